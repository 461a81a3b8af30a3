"""`kidb serve` with its session host: sessions are forked by the host and handed the pty over
its socket; a host killed mid-session leaves the session running and is replaced; a session
holds no descriptor of another session or of the host."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kidb_tui.config import load_settings
from kidb_tui.services.runtime import Runtime
from tests.conftest import BUDI, SITI
from tests.ssh import flows
from tests.ssh.harness import is_running, processes, start_crowd_server, stop_server, terminal
from tests.ssh.sshd import SessionHost
from tests.ssh.test_kiosk_over_ssh import audit_rows, claims_of


def parent_of(pid: int) -> int:
    return processes()[pid][0]


async def test_a_session_forked_by_the_host_files_a_claim(kiosk_env, tmp_path):
    """The session is the host's child; the host holds no thread, event loop or database."""
    server, [key] = start_crowd_server(kiosk_env, tmp_path, 1)
    try:
        async with terminal(server.port, key) as (term, _conn, _chan):
            await flows.login_screen(term)
            [host] = server.host_pids()
            [kiosk] = server.session_pids("JKT-01")
            assert parent_of(kiosk) == host and parent_of(host) == server.process.pid
            assert Path(f"/proc/{kiosk}/exe").resolve() == Path(f"/proc/{host}/exe").resolve()
            host_fds = {str(fd.readlink()) for fd in Path(f"/proc/{host}/fd").iterdir()}
            assert len(list(Path(f"/proc/{host}/task").iterdir())) == 1, "the host runs no thread"
            assert not [t for t in host_fds if "eventpoll" in t or "sqlite" in t], host_fds
            await flows.login(term, SITI.nib, SITI.secret, SITI.name)
            await flows.open_claim_form(term)
            await flows.fill_claim_form(term, SITI.name)
            reference = await flows.submit_claim(term, SITI.secret)
        await server.wait_log(rf"session end terminal=JKT-01 pid={kiosk} status=0 reason=disconnect")
        await server.wait_log(rf"kidb-host INFO session forked terminal=JKT-01 role=kiosk pid={kiosk}")
    finally:
        stop_server(server)
    rt = Runtime.create(load_settings())
    [claim] = claims_of(rt, SITI.nib)
    assert (claim.reference, claim.terminal_id, claim.branch) == (reference, "JKT-01", "Jakarta Pusat")
    rt.engine.dispose()


async def test_a_host_killed_mid_session_leaves_the_session_running(kiosk_env, tmp_path):
    """SIGKILL to the host: the session goes on to file a claim, its end (status and audit) is
    recorded as ever; a new host starts, and a terminal arriving meanwhile is told the kiosk is
    starting, then served by it."""
    server, [first, second] = start_crowd_server(kiosk_env, tmp_path, 2)
    try:
        async with terminal(server.port, first) as (term, _conn, _chan):
            await flows.login(term, SITI.nib, SITI.secret, SITI.name)
            [old_host] = server.host_pids()
            [kiosk] = server.session_pids("JKT-01")
            os.kill(old_host, signal.SIGKILL)
            async with terminal(server.port, second) as (other, _conn2, _chan2):
                await other.wait_text("Kios sedang disiapkan. Mohon tunggu sebentar...")
                await flows.login_screen(other, "JKT-02")
                await flows.login(other, BUDI.nib, BUDI.secret, BUDI.name)
            [new_host] = server.host_pids()
            assert new_host != old_host and not is_running(old_host)
            assert parent_of(kiosk) == server.process.pid, "the orphaned session is the server's now"
            await flows.open_claim_form(term)
            await flows.fill_claim_form(term, SITI.name)
            await flows.submit_claim(term, SITI.secret)
        await server.wait_log(rf"session end terminal=JKT-01 pid={kiosk} status=0 reason=disconnect")
        await server.wait_log(r"session host pid=\d+ ended with status -9; starting a new one")
        assert "Traceback" not in server.log()
    finally:
        stop_server(server)
    rt = Runtime.create(load_settings())
    assert [row.terminal_id for row in audit_rows(rt, "auth.logout")] == ["JKT-02", "JKT-01"]
    assert len(claims_of(rt, SITI.nib)) == 1
    rt.engine.dispose()


def descriptor_targets(pid: int) -> set[str]:
    """What a process's descriptors point at that could be shared: terminals, pipes, sockets."""
    targets = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = str(fd.readlink())
        except OSError:
            continue
        if target.startswith(("/dev/pts/", "pipe:", "socket:")):
            targets.add(target)
    return targets


async def test_no_session_sees_a_descriptor_of_another_or_of_the_host(kiosk_env, tmp_path):
    server, keys = start_crowd_server(kiosk_env, tmp_path, 3)
    try:
        async with (terminal(server.port, keys[0]) as (one, _c1, _h1),
                    terminal(server.port, keys[1]) as (two, _c2, _h2),
                    terminal(server.port, keys[2]) as (three, _c3, _h3)):
            for number, term in enumerate((one, two, three), start=1):
                await flows.login_screen(term, f"JKT-{number:02d}")
            kiosks = [server.session_pids(f"JKT-{number:02d}")[0] for number in (1, 2, 3)]
            [host] = server.host_pids()
            held = {pid: descriptor_targets(pid) for pid in kiosks}
            host_held = descriptor_targets(host)
    finally:
        stop_server(server)
    for pid in kiosks:
        assert len([t for t in held[pid] if t.startswith("/dev/pts/")]) == 1, held[pid]
        assert not held[pid] & host_held, (held[pid], host_held)
        for other in kiosks:
            if other != pid:
                assert not held[pid] & held[other], (held[pid], held[other])


async def test_the_host_of_a_server_that_died_stops(kiosk_env, tmp_path):
    """`kidb serve` killed outright: its session host does not linger (it stops listening when
    the server is gone)."""
    server, _keys = start_crowd_server(kiosk_env, tmp_path, 1)
    try:
        await server.wait_log(r"session host pid=\d+ ready")
        [host] = server.host_pids()
        server.process.kill()
        server.process.wait(10)
        deadline = time.monotonic() + 5
        while is_running(host) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert not is_running(host)
        assert "the process that started this host has ended; stopping" in server.log()
    finally:
        server.process.stdout.close()


def test_the_host_socket_admits_only_its_own_user(kiosk_env):
    """`kidb host`'s socket is 0600 in a 0700 directory: another user cannot even connect."""
    folder = Path(tempfile.mkdtemp(prefix="kidb-host-"))
    path = folder / "run" / "host.sock"
    host = SessionHost({**kiosk_env, "KIDB_HOST_SOCKET": str(path)})
    try:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_ISSOCK(path.stat().st_mode)
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as own:
            own.connect(str(path))
        if os.geteuid() == 0:
            for directory in (folder, path.parent):
                directory.chmod(0o755)  # so that only the socket's own mode stands in the way
            probe = ("import socket, sys; "
                     "socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET).connect(sys.argv[1])")
            python = shutil.which("python3", path="/usr/bin:/bin") or sys.executable
            other = subprocess.run([python, "-I", "-c", probe, str(path)], capture_output=True, text=True,
                                   timeout=30, user=65534, group=65534)
            assert other.returncode == 1 and "PermissionError" in other.stderr, other.stderr
    finally:
        host.stop()
        shutil.rmtree(folder, ignore_errors=True)
    assert not path.exists()
