"""The kiosk through a real SSH client against `kidb serve`: log in, file a claim, log out."""

from __future__ import annotations

import asyncio
import signal
import time

import asyncssh
from sqlmodel import select

from kidb_tui.config import load_settings
from kidb_tui.models import AuditEvent, Claim, Participant
from kidb_tui.services.audit import verify_chain
from kidb_tui.services.runtime import Runtime
from tests.conftest import SITI
from tests.ssh import flows
from tests.ssh.harness import ServeProcess, is_running, key_line, start_server, stop_server, terminal


def runtime() -> Runtime:
    return Runtime.create(load_settings())


def claims_of(rt: Runtime, nib: str) -> list[Claim]:
    with rt.read() as session:
        participant = session.exec(select(Participant).where(Participant.nib == nib)).one()
        return list(session.exec(select(Claim).where(Claim.participant_id == participant.id)).all())


def audit_rows(rt: Runtime, action: str) -> list[AuditEvent]:
    with rt.read() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


async def test_login_file_claim_logout(serve, terminal_key):
    async with terminal(serve.port, terminal_key) as (term, _conn, _chan):
        await flows.login_screen(term)
        await flows.login(term, SITI.nib, SITI.secret, SITI.name)
        await flows.open_claim_form(term)
        await flows.fill_claim_form(term, SITI.name)
        reference = await flows.submit_claim(term, SITI.secret)
        await flows.logout(term)
    rt = runtime()
    [claim] = claims_of(rt, SITI.nib)
    assert (claim.reference, claim.terminal_id, claim.branch) == (reference, "JKT-01", "Jakarta Pusat")
    assert claim.amount == 5_000_000
    [logout] = audit_rows(rt, "auth.logout")
    assert (logout.details["reason"], logout.terminal_id, logout.branch) == ("user", "JKT-01", "Jakarta Pusat")
    assert verify_chain(rt) is None, "the kiosk's audit rows are keyed with the server's audit key"
    await serve.wait_log(r"session end terminal=JKT-01 pid=\d+ status=\S+ reason=disconnect")
    rt.engine.dispose()


async def test_disconnect_mid_claim_logs_out_and_leaves_nothing(serve, terminal_key):
    async with terminal(serve.port, terminal_key) as (term, _conn, _chan):
        await flows.login(term, SITI.nib, SITI.secret, SITI.name)
        await flows.open_claim_form(term)
        term.send("5000000")
        await term.wait_text("= Rp5.000.000")
        [pid] = serve.session_pids("JKT-01")
        assert is_running(pid)
        dropped = time.monotonic()
    await serve.wait_log(rf"session end terminal=JKT-01 pid={pid} status=0 reason=disconnect", timeout=5)
    assert time.monotonic() - dropped < 5
    assert not is_running(pid)
    assert serve.kiosk_pids() == []
    rt = runtime()
    assert claims_of(rt, SITI.nib) == []
    [logout] = audit_rows(rt, "auth.logout")
    assert (logout.details["reason"], logout.terminal_id) == ("disconnect", "JKT-01")
    async with terminal(serve.port, terminal_key) as (term, _conn, _chan):
        await flows.login(term, SITI.nib, SITI.secret, SITI.name)
        await flows.open_claim_form(term)
        await flows.fill_claim_form(term, SITI.name)
        reference = await flows.submit_claim(term, SITI.secret)
    assert [claim.reference for claim in claims_of(rt, SITI.nib)] == [reference]
    rt.engine.dispose()


async def test_window_change_resizes_the_kiosk(serve, terminal_key):
    welcome = "Selamat datang di Kios KIDB BPJS Ketenagakerjaan."
    async with terminal(serve.port, terminal_key) as (term, _conn, chan):
        await flows.login_screen(term)
        assert welcome in term.text()
        term.resize(40, 30)
        chan.change_terminal_size(40, 30)
        await term.wait(lambda: welcome not in term.text() and term.find("Ketenagakerjaan.") is not None
                        and term.find("Ketenagakerjaan.")[0] > term.find("Selamat datang")[0],
                        "the welcome wrapped at 40 columns")
        await term.wait(lambda: "F1" in term.screen.display[29], "the key bar on row 30")


async def test_backoffice_terminal_gets_the_officers_login(kiosk_env, tmp_path):
    key = asyncssh.generate_private_key("ssh-ed25519")
    keys = tmp_path / "backoffice_keys"
    keys.write_text(key_line(key, "counter terminal=JKT-BO1 branch=Jakarta Pusat role=backoffice") + "\n")
    server = ServeProcess.start(kiosk_env, keys, tmp_path / "host_key", tmp_path / "serve.log")
    try:
        async with terminal(server.port, key) as (term, _conn, _chan):
            await term.wait_text("Masuk petugas")
        await server.wait_log(r"session start terminal=JKT-BO1 branch=Jakarta Pusat role=backoffice")
    finally:
        assert server.stop() == 0


async def test_sigterm_ends_every_session_cleanly(serve, terminal_key):
    async with terminal(serve.port, terminal_key) as (term, _conn, _chan):
        await flows.login(term, SITI.nib, SITI.secret, SITI.name)
        [pid] = serve.session_pids("JKT-01")
        serve.process.send_signal(signal.SIGTERM)
        await term.wait_closed(timeout=10)
        assert await asyncio.to_thread(serve.process.wait, 10) == 0
    assert not is_running(pid)
    await serve.wait_log(rf"session end terminal=JKT-01 pid={pid} status=0 reason=shutdown")
    rt = runtime()
    [logout] = audit_rows(rt, "auth.logout")
    assert (logout.details["reason"], logout.terminal_id) == ("disconnect", "JKT-01")
    rt.engine.dispose()


LEAVE_QUESTION = flows.LEAVE_QUESTION


async def test_quit_and_suspend_keys_over_ssh_stay_in_the_kiosk(serve, terminal_key):
    """Ctrl+C, Ctrl+Z, Ctrl+\\ and Ctrl+Q reach the app as keys (no signal, no shell): they ask to log out."""
    async with terminal(serve.port, terminal_key) as (term, _conn, _chan):
        await flows.login(term, SITI.nib, SITI.secret, SITI.name)
        [pid] = serve.session_pids("JKT-01")
        for key in (b"\x03", b"\x1a", b"\x1c", b"\x11"):
            term.send(key)
            await term.wait_text(LEAVE_QUESTION)
            term.send("n")
            await term.wait_gone(LEAVE_QUESTION)
            assert flows.MENU_HINT in term.text()
        term.send(b"\x03")
        await term.wait_text(LEAVE_QUESTION)
        term.send("y")
        await term.wait_text(flows.LOGIN_LABEL)
        await term.wait_gone(SITI.name)
        assert is_running(pid)
    rt = runtime()
    assert [row.details["reason"] for row in audit_rows(rt, "auth.logout")] == ["user"]
    rt.engine.dispose()


async def test_idle_settings_reach_the_kiosk_and_wipe_the_session(kiosk_env, terminal_key, tmp_path):
    fast = {**kiosk_env, "KIDB_IDLE_SECONDS": "6", "KIDB_IDLE_WARNING_SECONDS": "4"}
    folder = tmp_path / "idle"
    folder.mkdir()
    server = start_server(fast, terminal_key, folder)
    try:
        async with terminal(server.port, terminal_key) as (term, _conn, _chan):
            await flows.login(term, SITI.nib, SITI.secret, SITI.name)
            await term.wait_text("Tidak ada aktivitas.")
            await term.wait_text("Sesi ditutup karena tidak ada aktivitas.")
            await term.wait_gone(SITI.name)
    finally:
        stop_server(server)
    rt = runtime()
    [logout] = audit_rows(rt, "auth.logout")
    assert (logout.details["reason"], logout.terminal_id) == ("idle", "JKT-01")
    rt.engine.dispose()
