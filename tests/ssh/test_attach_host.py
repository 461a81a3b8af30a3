"""`kidb host` on its own, as under OpenSSH, with `kidb attach` on local pseudo-terminals (the
real-sshd path is tests/ssh/test_openssh.py): the host's own session caps, the exit status an
attach learns from the session itself when its host died, and the sessions' memory offered to
the kernel's same-page merging (KSM)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
import tempfile
from contextlib import asynccontextmanager
from pathlib import Path

import asyncssh
import pytest

from kidb_tui.host import ksm
from tests.ssh import flows
from tests.ssh.harness import is_running, key_line, pty_terminal
from tests.ssh.sshd import SessionHost

TERMINALS = ("JKT-01", "JKT-02")


@pytest.fixture
def attach_env(kiosk_env):
    """The environment of `kidb attach` for each terminal (its accepted key in SSH_USER_AUTH),
    the host's socket in a short temporary path, and the authorized-keys file."""
    folder = Path(tempfile.mkdtemp(prefix="kidb-attach-"))
    keys = {terminal_id: asyncssh.generate_private_key("ssh-ed25519") for terminal_id in TERMINALS}
    authorized = folder / "authorized_keys"
    authorized.write_text("".join(key_line(key, f"terminal={terminal_id} branch=Jakarta Pusat") + "\n"
                                  for terminal_id, key in keys.items()))
    base = {**kiosk_env, "KIDB_HOST_SOCKET": str(folder / "host.sock"), "PATH": os.defpath,
            "LANG": "C.UTF-8", "TERM": "xterm-256color"}
    envs = {}
    for terminal_id, key in keys.items():
        auth = folder / f"auth-{terminal_id}"
        auth.write_text("publickey " + key.export_public_key().decode())
        envs[terminal_id] = {**base, "SSH_USER_AUTH": str(auth)}
    yield base, envs, authorized
    shutil.rmtree(folder, ignore_errors=True)


@asynccontextmanager
async def attached(env: dict[str, str], authorized: Path):
    async with pty_terminal([sys.executable, "-I", "-m", "kidb_tui", "attach", str(authorized)], env) as found:
        yield found


async def test_a_terminal_gets_one_session_and_the_host_at_most_its_cap(attach_env):
    """Per terminal (default 1): a second `kidb attach` of JKT-01 while the first runs is refused
    with a message naming the terminal. Global (KIDB_MAX_SESSIONS=2): a third session of
    any terminal is refused saying how many sessions there are."""
    base, envs, authorized = attach_env
    host = SessionHost({**base, "KIDB_MAX_SESSIONS": "2", "KIDB_MAX_SESSIONS_PER_TERMINAL": "1"})
    try:
        async with attached(envs["JKT-01"], authorized) as (first, _p1):
            await flows.login_screen(first)
            async with attached(envs["JKT-01"], authorized) as (again, process):
                await again.wait_text("Terminal JKT-01 sudah memiliki sesi yang berjalan; sesi kedua tidak dibuka.")
                assert await asyncio.to_thread(process.wait, 10) == 1
            async with attached(envs["JKT-02"], authorized) as (second, _p2):
                await flows.login_screen(second, "JKT-02")
                assert len(host.sessions()) == 2
                async with attached(envs["JKT-02"], authorized) as (third, process):
                    await third.wait_text("Semua 2 sesi sedang dipakai. Silakan coba lagi sebentar lagi.")
                    assert await asyncio.to_thread(process.wait, 10) == 1
    finally:
        log = host.stop().decode()
    assert "refused a session terminal=JKT-01: 1 session(s) of this terminal running (cap)" in log
    assert "refused a session terminal=JKT-02: 2 sessions running (cap)" in log
    assert "at most 2 sessions, 1 per terminal" in log


async def test_attach_learns_the_sessions_status_after_its_host_died(attach_env):
    """The host killed (SIGKILL) under a running session; the session, told to stop (SIGTERM),
    logs out and ends with 0 and says so itself: `kidb attach` exits 0 (it could only guess 1
    before)."""
    base, envs, authorized = attach_env
    host = SessionHost(base)
    try:
        async with attached(envs["JKT-01"], authorized) as (term, process):
            await flows.login_screen(term)
            [kiosk] = host.sessions()
            os.kill(host.process.pid, signal.SIGKILL)
            host.process.wait(10)
            assert is_running(kiosk)
            os.kill(kiosk, signal.SIGTERM)
            assert await asyncio.to_thread(process.wait, 10) == 0
    finally:
        host.stop()


def ksm_stat(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/ksm_stat").read_text().splitlines()
    return dict(line.replace(":", "").split(maxsplit=1) for line in lines)


@pytest.mark.parametrize(("setting", "merged"), [("1", "yes"), ("0", "no")])
async def test_the_host_offers_its_sessions_memory_to_ksm(attach_env, setting, merged):
    """With `memory_merge` (the default) the host and each session it forks have all their
    memory offered to KSM (ksm_merge_any in /proc/PID/ksm_stat), whether ksmd runs or not, and
    the host logs which; with memory_merge false, neither is."""
    if not (ksm.supported() and Path("/proc/self/ksm_stat").exists()):
        pytest.skip("needs a kernel with PR_SET_MEMORY_MERGE and /proc/PID/ksm_stat (Linux 6.4+)")
    base, envs, authorized = attach_env
    host = SessionHost({**base, "KIDB_MEMORY_MERGE": setting})
    try:
        async with attached(envs["JKT-01"], authorized) as (term, _process):
            await flows.login_screen(term)
            [kiosk] = host.sessions()
            assert ksm_stat(kiosk)["ksm_merge_any"] == merged
            assert ksm_stat(host.process.pid)["ksm_merge_any"] == merged
    finally:
        log = host.stop().decode()
    expected = {"0": "memory merging (KSM) off: memory_merge is false",
                "1": "memory merging (KSM) active" if ksm.ksmd_running() else "memory merging (KSM) requested, but inactive"}
    assert expected[setting] in log
