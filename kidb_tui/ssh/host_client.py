"""`kidb serve`'s side of the session host: it runs `kidb host` as its child (and a new one
whenever that one ends), and starts each session by handing the session's pty and log pipe to
it (protocol.py). A session's end is reported by the host; if the host died meanwhile, the
server (a child subreaper, so the orphaned session becomes its child) waits for the session's
process through its pidfd instead, and the session never notices."""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import socket
import sys
import time
from pathlib import Path

from kidb_tui.host import protocol
from kidb_tui.logs import LOG_FD_ENV, escape
from kidb_tui.ssh.key_lines import Terminal

log = logging.getLogger("kidb.ssh")

START_SECONDS = 60.0
ANSWER_SECONDS = 10.0
RESTART_DELAYS = (0.5, 1.0, 2.0, 5.0)
STEADY_SECONDS = 30.0
STOP_SECONDS = 10.0
_PR_SET_CHILD_SUBREAPER = 36
MALLOC_TUNABLE = "glibc.malloc.hugetlb=1"
"""glibc (2.35 and later; older ones ignore it) then asks for transparent huge pages on the
chunks of 2 MiB and more it maps (argon2's 19 MiB): a session's first and only hash faults in
ten pages instead of 4,864, 33 -> 22 ms of CPU (bench/RESULTS.md, "Session 6: session host").
Read by glibc when a process starts: the host's forked sessions inherit it."""


class HostUnavailable(Exception):
    """The session host does not answer (starting, restarting, or it refused the request)."""


def become_subreaper() -> None:
    """Orphaned descendants (sessions of a host that died) become this process's children."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        log.warning("cannot become a child subreaper: %s", os.strerror(ctypes.get_errno()))


def host_environment(database_url: str, data_dir: Path) -> dict[str, str]:
    """The host's environment: the server's KIDB_* settings (not its log fd), its database and
    data directory, its glibc tunables with MALLOC_TUNABLE added, and nothing else of the server's."""
    env = {name: value for name, value in os.environ.items() if name.startswith("KIDB_") and name != LOG_FD_ENV}
    tunables = [item for item in os.environ.get("GLIBC_TUNABLES", "").split(":") if item]
    if not any(item.startswith("glibc.malloc.hugetlb=") for item in tunables):
        tunables.append(MALLOC_TUNABLE)
    env.update(PATH=os.defpath, LANG="C.UTF-8", KIDB_DATABASE_URL=database_url, KIDB_DATA_DIR=str(data_dir),
               GLIBC_TUNABLES=":".join(tunables))
    return env


class HostChild:
    """A session forked by the host, as `kidb serve` follows it."""

    def __init__(self, sock: socket.socket, pid: int, pidfd: int) -> None:
        self.pid = pid
        self.ended = False
        self._sock: socket.socket | None = sock
        self._pidfd = pidfd
        self._loop = asyncio.get_running_loop()
        self._status: asyncio.Future[int | None] = self._loop.create_future()
        self._loop.add_reader(sock, self._host_readable)

    async def wait(self) -> int | None:
        return await asyncio.shield(self._status)

    def _host_readable(self) -> None:
        assert self._sock is not None
        try:
            message, fds = protocol.receive(self._sock)
        except BlockingIOError:
            return
        except (OSError, protocol.ProtocolError):
            message, fds = None, []
        for fd in fds:
            os.close(fd)
        if message is not None:
            if isinstance(message.get("exit"), int):
                self._set(message["exit"])
            return
        self._close_socket()
        log.warning("session host gone; following pid=%d by itself", self.pid)
        self._loop.add_reader(self._pidfd, self._process_ended)

    def _process_ended(self) -> None:
        try:
            info = os.waitid(os.P_PIDFD, self._pidfd, os.WEXITED | os.WNOHANG)
        except ChildProcessError:
            self._set(None)
            return
        if info is None:
            return
        self._set(info.si_status if info.si_code == os.CLD_EXITED else -info.si_status)

    def _set(self, status: int | None) -> None:
        self._close_socket()
        if self._pidfd >= 0:
            self._loop.remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = -1
        self.ended = True
        if not self._status.done():
            self._status.set_result(status)

    def _close_socket(self) -> None:
        if self._sock is not None:
            self._loop.remove_reader(self._sock)
            self._sock.close()
            self._sock = None


async def _receive(sock: socket.socket, timeout: float) -> tuple[dict | None, list[int]]:
    loop = asyncio.get_running_loop()
    deadline = time.monotonic() + timeout
    while True:
        try:
            return protocol.receive(sock)
        except BlockingIOError:
            pass
        readable: asyncio.Future[None] = loop.create_future()
        loop.add_reader(sock, _settle, readable)
        try:
            await asyncio.wait_for(readable, max(deadline - time.monotonic(), 0))
        finally:
            loop.remove_reader(sock)


class HostLauncher:
    """Starts sessions in the session host, which it keeps running."""

    def __init__(self, socket_path: Path, env: dict[str, str], language: str | None) -> None:
        self.socket_path = socket_path
        self._env = env
        self._language = language
        self._ready = asyncio.Event()
        self._stopping = False
        self._process: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task | None = None

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None and self._process.returncode is None else None

    def start_host(self) -> None:
        become_subreaper()
        self._task = asyncio.get_running_loop().create_task(self._keep_running())

    async def wait_ready(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def _keep_running(self) -> None:
        failures = 0
        while not self._stopping:
            started = time.monotonic()
            await self._run_once()
            if self._stopping:
                return
            failures = 0 if time.monotonic() - started > STEADY_SECONDS else failures + 1
            await asyncio.sleep(RESTART_DELAYS[min(failures, len(RESTART_DELAYS) - 1)])

    async def _run_once(self) -> None:
        try:
            process = self._process = await asyncio.create_subprocess_exec(
                sys.executable, "-I", "-m", "kidb_tui", "host", "--socket", str(self.socket_path),
                "--exit-with-parent", "--caps-by-parent",
                env=self._env, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as error:
            log.error("session host could not start: %s", escape(error))
            return
        log.info("session host pid=%d starting", process.pid)
        try:
            assert process.stdout is not None, "the host is started with stdout=PIPE"
            line = await asyncio.wait_for(process.stdout.readline(), START_SECONDS)
        except TimeoutError:
            line = b""
        if line.startswith(protocol.READY.encode()):
            self._ready.set()
            log.info("session host pid=%d ready on %s", process.pid, self.socket_path)
        else:
            process.kill()
        status = await process.wait()
        self._ready.clear()
        if not self._stopping:
            log.error("session host pid=%d ended with status %s; starting a new one", process.pid, status)

    async def start(self, terminal: Terminal, term_type: str, columns: int, rows: int, slave: int,
                    log_fd: int) -> HostChild:
        request = protocol.request(terminal.terminal_id, terminal.branch, terminal.role, term_type,
                                   columns, rows, self._language, terminal.timezone)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        sock.setblocking(False)
        try:
            await asyncio.wait_for(asyncio.get_running_loop().sock_connect(sock, str(self.socket_path)),
                                   ANSWER_SECONDS)
            protocol.send(sock, request, [slave, log_fd])
            message, fds = await _receive(sock, ANSWER_SECONDS)
        except (OSError, TimeoutError, protocol.ProtocolError) as error:
            sock.close()
            raise HostUnavailable(str(error) or type(error).__name__) from None
        if message is None or not isinstance(message.get("pid"), int) or len(fds) != 1:
            sock.close()
            for fd in fds:
                os.close(fd)
            raise HostUnavailable((message or {}).get("error", "no answer"))
        return HostChild(sock, message["pid"], fds[0])

    async def stop(self) -> None:
        """End the host (after the sessions: it reports their ends until then)."""
        self._stopping = True
        process = self._process
        if process is not None and process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), STOP_SECONDS)
            except TimeoutError:
                process.kill()
                await process.wait()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
