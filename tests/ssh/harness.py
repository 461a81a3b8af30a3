"""`kidb serve` in a child process on a throwaway demo database, and SSH terminals to it."""

from __future__ import annotations

import asyncio
import os
import re
import select
import signal
import subprocess
import sys
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from unittest.mock import patch

import asyncssh

from kidb_tui.bootstrap import build_demo
from kidb_tui.config import load_settings
from kidb_tui.ssh.session import set_window_size
from tests.ssh.terminal import Term

START_SECONDS = 30.0
TERMINAL = "terminal=JKT-01 branch=Jakarta Pusat"
STOP_SECONDS = 15.0


def kiosk_environment(data_dir: Path) -> dict[str, str]:
    """The KIDB_* settings of a test: its own data dir and database, a pepper, fast argon2, no delays."""
    return {
        "KIDB_DATA_DIR": str(data_dir),
        "KIDB_DATABASE_URL": f"sqlite:///{data_dir / 'kidb.sqlite3'}",
        "KIDB_PEPPER": "ssh-test-pepper-0123456789abcdef-0123",
        "KIDB_ARGON2_MEMORY_KIB": "1024",
        "KIDB_ARGON2_TIME_COST": "1",
        "KIDB_FAILURE_DELAY": "0",
    }


def key_line(key: asyncssh.SSHKey, fields: str, options: str = "") -> str:
    public = key.export_public_key().decode().split()
    return " ".join(part for part in (options, public[0], public[1], fields) if part)


def processes() -> dict[int, tuple[int, str]]:
    """Every process now: pid -> (parent pid, command line)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        found[int(entry.name)] = (int(stat.rsplit(")", 1)[1].split()[1]), cmdline)
    return found


def _stat_fields(pid: int) -> list[str]:
    """/proc/PID/stat after the command name: state, ppid, pgrp, session, tty_nr, ..."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def is_running(pid: int) -> bool:
    """Alive and not a zombie."""
    try:
        state = _stat_fields(pid)[0]
    except OSError:
        return False
    return state != "Z"


def has_terminal(pid: int) -> bool:
    """Whether the process has a controlling terminal (every kiosk session; never the host)."""
    try:
        return int(_stat_fields(pid)[4]) != 0
    except OSError:
        return False


def descendants(pid: int) -> list[int]:
    """Every process below `pid`: children, their children, ..."""
    children: dict[int, list[int]] = {}
    for child, (parent, _cmdline) in processes().items():
        children.setdefault(parent, []).append(child)
    found, todo = [], list(children.get(pid, []))
    while todo:
        child = todo.pop()
        found.append(child)
        todo.extend(children.get(child, []))
    return found


@dataclass
class ServeProcess:
    """`kidb serve --listen 127.0.0.1:0` as a child process; its log goes to a file."""

    process: subprocess.Popen
    port: int
    log_path: Path
    stdout: str

    @classmethod
    def start(cls, env: dict[str, str], authorized_keys: Path, host_key: Path, log_path: Path,
              extra: tuple[str, ...] = (), preexec_fn=None) -> ServeProcess:
        """`extra`: more `kidb serve` options; `preexec_fn` runs in the server's process before exec."""
        command = [sys.executable, "-m", "kidb_tui", "serve", "--listen", "127.0.0.1:0",
                   "--authorized-keys", str(authorized_keys), "--host-key", str(host_key), *extra]
        log = log_path.open("w")
        process = subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=log,
                                   stdin=subprocess.DEVNULL, preexec_fn=preexec_fn)
        log.close()
        output = b""
        deadline = time.monotonic() + START_SECONDS
        while b"listening on" not in output or not output.endswith(b"\n"):
            ready, _, _ = select.select([process.stdout], [], [], max(deadline - time.monotonic(), 0))
            chunk = os.read(process.stdout.fileno(), 4096) if ready else b""
            if not chunk:
                process.kill()
                process.wait(STOP_SECONDS)
                raise AssertionError(f"kidb serve did not start: {output!r} {log_path.read_text()}")
            output += chunk
        port = int(re.search(rb"listening on [\d.]+:(\d+)", output).group(1))
        return cls(process, port, log_path, output.decode())

    def log(self) -> str:
        return self.log_path.read_text()

    def kiosk_pids(self) -> list[int]:
        """The kiosk (or back-office) sessions below the server: forked by its session host,
        spawned by itself (`--no-host`), or adopted after a host died; each has a terminal."""
        return [pid for pid in descendants(self.process.pid) if has_terminal(pid) and is_running(pid)]

    def host_pids(self) -> list[int]:
        """The session host(s) the server runs: its children without a terminal."""
        return [pid for pid, (parent, cmdline) in processes().items()
                if parent == self.process.pid and " host " in cmdline and not has_terminal(pid) and is_running(pid)]

    def session_pids(self, terminal_id: str) -> list[int]:
        pattern = rf"session start terminal={re.escape(terminal_id)} .*?pid=(\d+)"
        return [int(pid) for pid in re.findall(pattern, self.log())]

    async def wait_log(self, pattern: str, count: int = 1, timeout: float = 20.0, since: int = 0) -> list[str]:
        """The matches of `pattern` in the log (from offset `since`), once there are `count` of them."""
        deadline = time.monotonic() + timeout
        while True:
            found = re.findall(pattern, self.log()[since:])
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"log has no {pattern!r} x{count}:\n{self.log()}")
            await asyncio.sleep(0.05)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(STOP_SECONDS)
            raise AssertionError("kidb serve did not stop on SIGTERM") from None
        finally:
            self.process.stdout.close()


def demo_database(data_dir: Path) -> dict[str, str]:
    """A fresh demo database in `data_dir`; returns the KIDB_* environment that points at it."""
    data_dir.mkdir(parents=True)
    env = kiosk_environment(data_dir)
    with patch.dict(os.environ, env):
        build_demo(load_settings()).engine.dispose()
    return env


def start_server(env: dict[str, str], key: asyncssh.SSHKey, folder: Path, extra: tuple[str, ...] = (),
                 preexec_fn=None) -> ServeProcess:
    keys = folder / "authorized_keys"
    keys.write_text(key_line(key, TERMINAL, "restrict,pty") + "\n")
    return ServeProcess.start(env, keys, folder / "host_key", folder / "serve.log", extra, preexec_fn)


def start_crowd_server(env: dict[str, str], folder: Path, count: int, extra: tuple[str, ...] = (),
                       preexec_fn=None) -> tuple[ServeProcess, list[asyncssh.SSHKey]]:
    """`kidb serve` with `count` terminals JKT-01, JKT-02, ... each with a key of its own."""
    keys = [asyncssh.generate_private_key("ssh-ed25519") for _ in range(count)]
    authorized = folder / "crowd_keys"
    authorized.write_text("".join(key_line(key, f"terminal=JKT-{n:02d} branch=Jakarta Pusat", "restrict,pty") + "\n"
                                  for n, key in enumerate(keys, start=1)))
    server = ServeProcess.start(env, authorized, folder / "host_key", folder / "serve.log", extra, preexec_fn)
    return server, keys


def stop_server(server: ServeProcess) -> None:
    """SIGTERM; the server must exit 0 and leave no kiosk behind."""
    children = server.kiosk_pids()
    assert server.stop() == 0, server.log()
    assert not [pid for pid in children if is_running(pid)], server.log()


class _ScreenSession(asyncssh.SSHClientSession):
    def __init__(self, term: Term) -> None:
        self.term = term

    def data_received(self, data: bytes, datatype) -> None:
        self.term.feed(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.term.closed.set()


async def connect(port: int, key: asyncssh.SSHKey | None, **options) -> asyncssh.SSHClientConnection:
    """An asyncssh client connection that offers `key` only (no agent, no config files)."""
    settings = {"username": "terminal", "client_keys": [key] if key else None, "known_hosts": None,
                "agent_path": None, "password": None, "config": None, **options}
    return await asyncio_wait(asyncssh.connect("127.0.0.1", port, **settings))


async def asyncio_wait(awaitable, timeout: float = 20.0):
    return await asyncio.wait_for(awaitable, timeout)


@asynccontextmanager
async def terminal(port: int, key: asyncssh.SSHKey, term_type: str = "xterm-256color", size=(80, 24),
                   request_size=None, term_class: type[Term] = Term):
    """An SSH connection with a PTY session, its output drawn on a `term_class` of `size`;
    yields (term, conn, chan). `request_size` is the window size asked for, if not `size`."""
    conn = await connect(port, key)
    try:
        holder: list[Term] = []

        def factory() -> _ScreenSession:
            term = term_class(lambda data: chan.write(data), *size)
            holder.append(term)
            return _ScreenSession(term)

        chan, _session = await asyncio_wait(
            conn.create_session(factory, term_type=term_type, term_size=request_size or size, encoding=None)
        )
        yield holder[0], conn, chan
    finally:
        conn.abort()
        await asyncio_wait(conn.wait_closed())


def pids_with_environment(name: str, value: str) -> list[int]:
    """Running processes whose environment has `name=value` (to find a test's kiosks)."""
    wanted = f"{name}={value}".encode()
    found = []
    for pid in processes():
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if wanted in environ and is_running(pid):
            found.append(pid)
    return found


@asynccontextmanager
async def pty_terminal(argv: list[str], env: dict[str, str], size=(80, 24), term_class: type[Term] = Term):
    """A program (e.g. the OpenSSH client) on a new pseudo-terminal drawn on a `term_class`;
    yields (term, process). The program is killed at the end if still running."""
    master, slave = os.openpty()
    set_window_size(master, *size)
    term = term_class(lambda data: os.write(master, data), *size)
    process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    loop = asyncio.get_running_loop()

    def readable() -> None:
        try:
            data = os.read(master, 65536)
        except OSError:
            data = b""
        if data:
            term.feed(data)
        else:
            loop.remove_reader(master)
            term.closed.set()

    loop.add_reader(master, readable)
    try:
        yield term, process
    finally:
        loop.remove_reader(master)
        if process.poll() is None:
            process.kill()
        process.wait(STOP_SECONDS)
        os.close(master)
