"""Help at the counter: unlock after seeing the KTP, one-time reset code, card block and unblock."""

import dataclasses

import pytest
from sqlmodel import select

from kidb_tui.backoffice.screens.counter import CounterScreen
from kidb_tui.backoffice.screens.reset_code import ResetCodeScreen
from kidb_tui.errors import AuthError
from kidb_tui.models import AuditEvent, LoginThrottle
from kidb_tui.services import auth, reset_codes
from tests.backoffice.conftest import ANI, field_error, notification_kinds, participant_of, screen_text, status_text
from tests.conftest import BUDI, RINA, SITI, settle

SIZE = (80, 24)


async def _counter(pilot, nib: str) -> None:
    await pilot.pause()
    await pilot.press("f5")
    await pilot.pause()
    assert isinstance(pilot.app.screen, CounterScreen)
    await pilot.press(*nib)


def _lock(rt, nib: str) -> None:
    for _ in range(rt.settings.lock_threshold):
        auth.login(rt, nib, "999999")
    with rt.read() as session:
        assert session.get(LoginThrottle, nib).locked_until is not None


async def test_unlock_needs_the_ktp_checkbox_and_clears_the_lock(make_bo, demo_rt):
    _lock(demo_rt, SITI.nib)
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=SIZE) as pilot:
        await _counter(pilot, SITI.nib)
        await pilot.press("f3")
        await pilot.pause()
        assert "melihat KTP asli" in field_error(app, "ktp_seen")
        with demo_rt.read() as session:
            assert session.get(LoginThrottle, SITI.nib) is not None
        await pilot.press("space", "f3")
        await pilot.pause()
        assert "Kunci akun NIB 26010000001 dibuka" in status_text(app)
        assert app.screen.query_one("#ktp_seen").value is False
    with demo_rt.read() as session:
        assert session.get(LoginThrottle, SITI.nib) is None
        audit = session.exec(select(AuditEvent).where(AuditEvent.action == "counter.unlocked")).one()
    assert (audit.actor, audit.subject, audit.details["ktp_seen"]) == ("ani.petugas", SITI.nib, True)
    assert auth.login(demo_rt, SITI.nib, SITI.secret).identity is not None


async def test_bad_nib_is_named_under_the_field(make_bo):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=SIZE) as pilot:
        await _counter(pilot, "1234")
        await pilot.press("f4")
        await settle(pilot)
        assert "11 angka" in field_error(app, "nib")
        assert isinstance(app.screen, CounterScreen)


async def test_reset_code_is_shown_once_and_redeems(make_bo, demo_rt):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=SIZE) as pilot:
        await _counter(pilot, SITI.nib)
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, ResetCodeScreen)
        code = "".join(str(cell.render()) for cell in app.screen.query(".code-char"))
        assert len(code) == 8 and set(code) <= set(reset_codes.ALPHABET)
        assert "Berlaku 15 menit, sampai 25 Nov 2026 10.15 WIB" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CounterScreen)
        assert not any(isinstance(screen, ResetCodeScreen) for screen in app.screen_stack)
        assert code not in screen_text(app)
    identity = reset_codes.redeem(demo_rt, SITI.nib, code, "pin", "582946", "582946")
    assert identity.nib == SITI.nib
    assert auth.login(demo_rt, SITI.nib, "582946").identity is not None
    with pytest.raises(AuthError):
        reset_codes.redeem(demo_rt, SITI.nib, code, "pin", "714925", "714925")


async def test_reset_code_needs_a_kiosk_account(make_bo):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=SIZE) as pilot:
        await _counter(pilot, RINA.nib)
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, CounterScreen)
        assert "belum punya akun KIDB" in status_text(app)


async def test_block_and_unblock_the_card_with_a_reason(make_bo, demo_rt):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=SIZE) as pilot:
        await _counter(pilot, SITI.nib)
        await pilot.press("f6")
        await pilot.pause()
        assert "wajib diisi" in field_error(app, "reason")
        assert participant_of(demo_rt, SITI.nib).card_status == "active"
        app.screen.query_one("#reason").focus()
        await pilot.press(*"Kartu dilaporkan hilang", "f6")
        await pilot.pause()
        assert "Kartu NIB 26010000001 diblokir" in status_text(app)
        assert participant_of(demo_rt, SITI.nib).card_status == "blocked"
        await pilot.press(*"Kartu ditemukan kembali", "f7")
        await pilot.pause()
        assert participant_of(demo_rt, SITI.nib).card_status == "active"
    assert notification_kinds(demo_rt, SITI.nib)[-2:] == ["card_blocked", "card_unblocked"]



async def test_typed_nib_shows_whose_it_is(make_bo, demo_rt):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await pilot.pause()
        await pilot.press(*BUDI.nib)
        await pilot.pause()
        who = str(app.screen.query_one("#who").render())
        assert "Budi Santoso" in who and "************0002" in who and "3273011708780002" not in who
        await pilot.press("backspace")
        await pilot.pause()
        assert "11" in str(app.screen.query_one("#who").render())


async def test_a_waiting_terminal_is_listed_and_its_wait_ended(make_bo, demo_rt):
    kiosk = dataclasses.replace(demo_rt, settings=demo_rt.settings.with_(terminal_id="JKT-07"))
    for n in range(demo_rt.settings.terminal_failure_limit):
        auth.login(kiosk, f"999999{n:05d}", "123456")
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=SIZE) as pilot:
        await _counter(pilot, "")
        assert app.screen.query_one("#terminals").display
        [line] = [str(option.prompt) for option in app.screen.query_one("#terminal-list").options]
        assert "JKT-07 · 10 kali gagal · menunggu sampai 25 Nov 2026 10.01 WIB" == line
        app.screen.query_one("#end-wait").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert "Penundaan terminal JKT-07 diakhiri" in status_text(app)
        assert not app.screen.query_one("#terminals").display
    with demo_rt.read() as session:
        assert session.get(LoginThrottle, "terminal:JKT-07") is None
        audit = session.exec(select(AuditEvent).where(AuditEvent.action == "counter.terminal_cleared")).one()
    assert (audit.actor, audit.subject) == ("ani.petugas", "terminal:JKT-07")
    assert auth.login(kiosk, SITI.nib, SITI.secret).ok


async def test_the_terminal_list_is_hidden_while_no_terminal_waits(make_bo):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=SIZE) as pilot:
        await _counter(pilot, "")
        assert not app.screen.query_one("#terminals").display
