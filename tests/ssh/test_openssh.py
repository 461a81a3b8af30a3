"""The OpenSSH alternative: Debian's sshd with the configuration of docs/openssh.md on a
loopback port, the kiosk driven through the OpenSSH client on a pseudo-terminal."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import asyncssh
import pytest
from sqlmodel import select

from kidb_tui.config import load_settings
from kidb_tui.models import AuditEvent
from kidb_tui.services.runtime import Runtime
from tests.conftest import SITI
from tests.ssh import flows
from tests.ssh.harness import STOP_SECONDS, key_line, pids_with_environment, pty_terminal

DOCS = Path(__file__).resolve().parents[2] / "docs" / "openssh.md"
SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
START_SECONDS = 15.0


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


@pytest.fixture
def sshd(kiosk_env, tmp_path):
    """sshd -D on 127.0.0.1 with the documented Match block (for root, temporary paths)."""
    if not os.path.exists(SSHD) or os.geteuid() != 0:
        reason = "needs Debian's openssh-server (sshd) and root"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}: .ci/run installs it")
        pytest.skip(reason)
    client_key = asyncssh.generate_private_key("ssh-ed25519")
    identity = tmp_path / "terminal_key"
    identity.write_bytes(client_key.export_private_key())
    identity.chmod(0o600)
    keys = tmp_path / "kidb_authorized_keys"
    keys.write_text(key_line(client_key, "terminal=JKT-01 branch=Jakarta Pusat", "restrict,pty") + "\n")
    host_key = tmp_path / "ssh_host_ed25519_key"
    host_key.write_bytes(asyncssh.generate_private_key("ssh-ed25519").export_private_key())
    host_key.chmod(0o600)
    settings = " ".join(f"{name}={value}" for name, value in kiosk_env.items())
    block = (documented_config()
             .replace("Match User kiosk", "Match User root")
             .replace("/opt/kidb/venv/bin/python", sys.executable)
             .replace("/etc/kidb/authorized_keys", str(keys))
             .replace("SetEnv KIDB_DATA_DIR=/var/lib/kidb", f"SetEnv {settings}"))
    port = _free_port()
    config = tmp_path / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\nPidFile none\nUsePAM no\n"
        "StrictModes no\nPermitRootLogin prohibit-password\nAllowUsers root\nPasswordAuthentication no\n"
        f"KbdInteractiveAuthentication no\n{block}\n"
    )
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    check = subprocess.run([SSHD, "-t", "-f", str(config)], capture_output=True, text=True, timeout=STOP_SECONDS)
    assert check.returncode == 0, check.stderr
    log = tmp_path / "sshd.log"
    with log.open("w") as handle:
        process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=handle, stderr=handle,
                                   stdin=subprocess.DEVNULL)
    try:
        _wait_listening(port, process, log)
        yield port, identity, log
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


def logout_reasons(terminal_id: str) -> list[str]:
    rt = Runtime.create(load_settings())
    try:
        with rt.read() as session:
            rows = session.exec(select(AuditEvent).where(AuditEvent.action == "auth.logout",
                                                         AuditEvent.terminal_id == terminal_id)).all()
            return [row.details["reason"] for row in rows]
    finally:
        rt.engine.dispose()


async def wait_until(check, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def test_kiosk_through_openssh_login_and_hang_up(sshd, kiosk_env):
    port, identity, log = sshd
    argv = ssh_command(port, identity, "-tt")
    async with pty_terminal(argv, client_environment()) as (term, client):
        await flows.login_screen(term, timeout=30)
        await flows.login(term, SITI.nib, SITI.secret, SITI.name)
        kiosks = pids_with_environment("KIDB_DATA_DIR", kiosk_env["KIDB_DATA_DIR"])
        assert len(kiosks) == 1, log.read_text()
        environ = Path(f"/proc/{kiosks[0]}/environ").read_bytes().decode().split("\0")
        names = {entry.split("=", 1)[0] for entry in environ if entry}
        assert all(name.startswith("KIDB_") or name in {"PATH", "LANG", "TERM", "HOME"} for name in names), names
        assert "KIDB_TERMINAL_ID=JKT-01" in environ and "TERM=xterm-256color" in environ
        client.kill()
    await wait_until(lambda: logout_reasons("JKT-01") == ["disconnect"], "the logout audited as disconnect")
    await wait_until(lambda: not pids_with_environment("KIDB_DATA_DIR", kiosk_env["KIDB_DATA_DIR"]),
                     "the kiosk to end", timeout=5)


def test_openssh_refuses_commands_and_forwarding(sshd, kiosk_env):
    port, identity, log = sshd
    command = subprocess.run(ssh_command(port, identity, "-T") + ["id"], capture_output=True, text=True,
                             timeout=30, stdin=subprocess.DEVNULL)
    assert command.returncode == 1, command
    assert "interactive terminals only" in command.stderr
    assert "uid=" not in command.stdout
    forward = subprocess.run(ssh_command(port, identity, "-N", "-o", "ExitOnForwardFailure=yes",
                                         "-R", "0:127.0.0.1:1"), capture_output=True, text=True,
                             timeout=30, stdin=subprocess.DEVNULL)
    assert forward.returncode == 255, forward
    assert re.search(r"forwarding failed", forward.stderr), forward.stderr
    assert not pids_with_environment("KIDB_DATA_DIR", kiosk_env["KIDB_DATA_DIR"])
