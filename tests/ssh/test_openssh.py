"""The OpenSSH alternative: Debian's sshd with the configuration of docs/openssh.md on a
loopback port, its forced command `kidb attach` handing each terminal to a `kidb host`, the
kiosk driven through the OpenSSH client on a pseudo-terminal."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from sqlmodel import select

from kidb_tui.config import load_settings
from kidb_tui.models import AuditEvent
from kidb_tui.services.runtime import Runtime
from tests.conftest import SITI
from tests.ssh import flows
from tests.ssh.harness import pids_with_environment, processes, pty_terminal
from tests.ssh.sshd import SessionHost, client_environment, running_sshd, ssh_command, sshd_available


@pytest.fixture
def host_socket(kiosk_env, monkeypatch):
    """A short socket path for the session host (AF_UNIX paths are limited), in KIDB_HOST_SOCKET."""
    folder = tempfile.mkdtemp(prefix="kidb-host-")
    path = Path(folder) / "host.sock"
    monkeypatch.setitem(kiosk_env, "KIDB_HOST_SOCKET", str(path))
    monkeypatch.setenv("KIDB_HOST_SOCKET", str(path))
    yield path
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def session_host(kiosk_env, host_socket):
    host = SessionHost(kiosk_env)
    yield host
    host.stop()


@pytest.fixture
def sshd(kiosk_env, host_socket, tmp_path):
    """sshd -D on 127.0.0.1 with the documented Match block (for root, temporary paths)."""
    if not sshd_available():
        reason = "needs Debian's openssh-server (sshd) and root"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}: .ci/run installs it")
        pytest.skip(reason)
    with running_sshd(kiosk_env, tmp_path) as server:
        yield server.port, server.identity, server.log


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


def attach_pids(data_dir: str) -> list[int]:
    """The `kidb attach` processes sshd runs for this test (one that ended meanwhile is none)."""
    found = []
    for pid in pids_with_environment("KIDB_DATA_DIR", data_dir):
        try:
            if b"attach" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0"):
                found.append(pid)
        except OSError:
            continue
    return found


async def test_kiosk_through_openssh_login_and_hang_up(sshd, session_host, kiosk_env):
    port, identity, _log = sshd
    argv = ssh_command(port, identity, "-tt")
    async with pty_terminal(argv, client_environment()) as (term, client):
        await flows.login_screen(term, timeout=30)
        await flows.login(term, SITI.nib, SITI.secret, SITI.name)
        [kiosk] = session_host.sessions()
        [attach] = attach_pids(kiosk_env["KIDB_DATA_DIR"])
        assert processes()[attach][0] != session_host.process.pid, "sshd runs kidb attach, the host forks the kiosk"
        environ = Path(f"/proc/{kiosk}/environ").read_bytes().decode().split("\0")
        names = {entry.split("=", 1)[0] for entry in environ if entry}
        assert all(name.startswith("KIDB_") or name in {"PATH", "LANG", "GLIBC_TUNABLES"} for name in names), names
        assert not any(name.startswith("SSH_") for name in names)
        client.kill()
    await wait_until(lambda: logout_reasons("JKT-01") == ["disconnect"], "the logout audited as disconnect")
    await wait_until(lambda: not session_host.sessions() and not attach_pids(kiosk_env["KIDB_DATA_DIR"]),
                     "the kiosk and kidb attach to end", timeout=5)


async def test_attach_files_a_claim_and_exits_with_the_sessions_status(sshd, session_host):
    """A whole claim through sshd and `kidb attach`; when the session's process dies of SIGKILL
    the OpenSSH client exits with 128 + 9, as `kidb attach` reports it."""
    port, identity, _log = sshd
    async with pty_terminal(ssh_command(port, identity, "-tt"), client_environment()) as (term, client):
        await flows.login(term, SITI.nib, SITI.secret, SITI.name)
        await flows.open_claim_form(term)
        await flows.fill_claim_form(term, SITI.name)
        reference = await flows.submit_claim(term, SITI.secret)
        [kiosk] = session_host.sessions()
        os.kill(kiosk, signal.SIGKILL)
        assert await asyncio.to_thread(client.wait, 10) == 128 + signal.SIGKILL
    assert reference.startswith("KIDB-20")


async def test_a_terminal_that_comes_before_the_host_is_told_and_then_served(sshd, kiosk_env):
    """No host yet: the terminal reads that the kiosk is starting (no traceback, no hang); the
    login screen appears as soon as the host answers."""
    port, identity, _log = sshd
    async with pty_terminal(ssh_command(port, identity, "-tt"), client_environment()) as (term, _client):
        await term.wait_text("Kios sedang disiapkan", timeout=30)
        host = SessionHost(kiosk_env)
        try:
            await flows.login_screen(term, timeout=30)
        finally:
            host.stop()
    assert b"Traceback" not in term.raw


def kidb_started(data_dir: str) -> bool:
    """Whether Python runs `kidb attach` for this test: the forced command's shell has run its
    `trap` and exec'd it (before that, a signal key ends the shell, never with a traceback)."""
    return bool(attach_pids(data_dir))


async def test_openssh_ctrl_c_at_start_shows_no_traceback(sshd, session_host, kiosk_env):
    """With the documented ForceCommand, Ctrl+C and Ctrl+\\ typed while `kidb attach` and the
    kiosk start never end them with a traceback; the kiosk logs to kidb.log, not the terminal."""
    port, identity, log = sshd
    async with pty_terminal(ssh_command(port, identity, "-tt"), client_environment()) as (term, client):
        await wait_until(lambda: kidb_started(kiosk_env["KIDB_DATA_DIR"]), "kidb attach started", timeout=30)
        term.timeout = 30
        await flows.signal_keys_until_drawn(term)
        await flows.login_screen(term)
        assert client.poll() is None, log.read_text()
        client.kill()
    assert b"Traceback" not in term.raw and b"KeyboardInterrupt" not in term.raw
    await wait_until(lambda: not session_host.sessions(), "the kiosk to end", timeout=5)
    kiosk_log = Path(kiosk_env["KIDB_DATA_DIR"]) / "kidb.log"
    assert kiosk_log.exists() and kiosk_log.stat().st_mode & 0o777 == 0o600


def test_openssh_refuses_commands_and_forwarding(sshd, session_host, kiosk_env):
    port, identity, _log = sshd
    command = subprocess.run([*ssh_command(port, identity, "-T"), "id"], capture_output=True, text=True,
                             timeout=30, stdin=subprocess.DEVNULL)
    assert command.returncode == 1, command
    assert "interactive terminals only" in command.stderr
    assert "uid=" not in command.stdout
    forward = subprocess.run(ssh_command(port, identity, "-N", "-o", "ExitOnForwardFailure=yes",
                                         "-R", "0:127.0.0.1:1"), capture_output=True, text=True,
                             timeout=30, stdin=subprocess.DEVNULL)
    assert forward.returncode == 255, forward
    assert re.search(r"forwarding failed", forward.stderr), forward.stderr
    assert not session_host.sessions() and not attach_pids(kiosk_env["KIDB_DATA_DIR"])
