"""Debian's sshd with the configuration of docs/openssh.md on a loopback port (for root, with
temporary paths), a `kidb host` as the documented systemd unit runs it, and the OpenSSH client
that logs in with the terminal's key: for tests/ssh/test_openssh.py and bench/ssh_bench.py."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from select import select

import asyncssh

from kidb_tui.ssh.host_client import MALLOC_TUNABLE
from tests.ssh.harness import STOP_SECONDS, descendants, has_terminal, is_running, key_line

DOCS = Path(__file__).resolve().parents[2] / "docs" / "openssh.md"
SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
START_SECONDS = 15.0


def sshd_available() -> bool:
    return os.path.exists(SSHD) and os.geteuid() == 0


def documented_config() -> str:
    """The sshd configuration block of docs/openssh.md."""
    text = DOCS.read_text()
    block = text.split("<!-- sshd-config -->", 1)[1]
    return block.split("```", 2)[1].strip("\n")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_listening(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"sshd exited: {log.read_text()}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"sshd did not listen: {log.read_text()}")


@dataclass
class Sshd:
    port: int
    identity: Path
    log: Path


@contextmanager
def running_sshd(env: dict[str, str], folder: Path, force_command: str | None = None,
                 server_options: str = "") -> Iterator[Sshd]:
    """sshd -D on 127.0.0.1 with the documented Match block for root, the terminal JKT-01's key
    in its authorized-keys file and `env` on its SetEnv line; `force_command` replaces the
    documented forced command (a benchmark's baseline); `server_options`, lines for the global
    section (e.g. docs/openssh.md's optional KexAlgorithms)."""
    client_key = asyncssh.generate_private_key("ssh-ed25519")
    identity = folder / "terminal_key"
    identity.write_bytes(client_key.export_private_key())
    identity.chmod(0o600)
    keys = folder / "kidb_authorized_keys"
    keys.write_text(key_line(client_key, "terminal=JKT-01 branch=Jakarta Pusat", "restrict,pty") + "\n")
    host_key = folder / "ssh_host_ed25519_key"
    host_key.write_bytes(asyncssh.generate_private_key("ssh-ed25519").export_private_key())
    host_key.chmod(0o600)
    settings = " ".join(f"{name}={value}" for name, value in env.items())
    block = (documented_config()
             .replace("Match User kiosk", "Match User root")
             .replace("/opt/kidb/venv/bin/python", sys.executable)
             .replace("/etc/kidb/authorized_keys", str(keys))
             .replace("SetEnv KIDB_DATA_DIR=/var/lib/kidb", f"SetEnv {settings}"))
    if force_command is not None:
        block = "\n".join(f"    ForceCommand {force_command}" if line.strip().startswith("ForceCommand") else line
                          for line in block.splitlines())
    port = _free_port()
    config = folder / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\nPidFile none\nUsePAM no\n"
        "StrictModes no\nPermitRootLogin prohibit-password\nAllowUsers root\nPasswordAuthentication no\n"
        f"KbdInteractiveAuthentication no\n{server_options}{block}\n"
    )
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    check = subprocess.run([SSHD, "-t", "-f", str(config)], capture_output=True, text=True, timeout=STOP_SECONDS)
    assert check.returncode == 0, check.stderr
    log = folder / "sshd.log"
    with log.open("w") as handle:
        process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=handle, stderr=handle,
                                   stdin=subprocess.DEVNULL)
    try:
        _wait_listening(port, process, log)
        yield Sshd(port, identity, log)
    finally:
        process.terminate()
        process.wait(STOP_SECONDS)


def ssh_command(port: int, identity: Path, *extra: str) -> list[str]:
    return ["ssh", "-F", "/dev/null", "-i", str(identity), "-p", str(port), "-o", "IdentitiesOnly=yes",
            "-o", "IdentityAgent=none", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", *extra, "root@127.0.0.1"]


def client_environment() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", os.defpath), "HOME": os.environ.get("HOME", "/root"),
            "TERM": "xterm-256color", "LANG": "C.UTF-8"}


class SessionHost:
    """`python -I -m kidb_tui host` as the documented systemd unit runs it (its GLIBC_TUNABLES
    too), with `env`."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen([sys.executable, "-I", "-m", "kidb_tui", "host"],
                                        env={"PATH": os.defpath, "LANG": "C.UTF-8",
                                             "GLIBC_TUNABLES": MALLOC_TUNABLE, **env},
                                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        ready, _, _ = select([self.process.stdout], [], [], START_SECONDS * 2)
        line = self.process.stdout.readline() if ready else b""
        assert line.startswith(b"session host ready on"), (line, self.stop())

    def sessions(self) -> list[int]:
        return [pid for pid in descendants(self.process.pid) if has_terminal(pid) and is_running(pid)]

    def stop(self) -> bytes:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(STOP_SECONDS)
        return self.process.stderr.read()
