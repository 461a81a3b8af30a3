"""Help at the counter: unlock after seeing the KTP, one-time reset code, card block and unblock."""

import dataclasses

import pytest
from sqlmodel import select

from kidb_tui.errors import AuthError
from kidb_tui.models import AuditEvent, LoginThrottle, ResetCode
from kidb_tui.services import auth, reset_codes
from tests import ui
from tests.backoffice.conftest import ANI, notification_kinds, participant_of
from tests.conftest import BUDI, RINA, SITI

SIZE = (80, 24)
TALL = (80, 40)


async def _counter(pilot, nib: str) -> None:
    await ui.keys(pilot, "f5")
    assert ui.at(pilot.app, "bo.counter.title")
    await ui.keys(pilot, *nib)


def _code(app) -> str:
    """The reset code as drawn: one character per box, on the boxes' middle row."""
    for row in map(ui._inner, ui.lines(app)):
        tokens = row.split()
        if len(tokens) == 8 and all(len(token) == 1 for token in tokens):
            return "".join(tokens)
    raise AssertionError(ui.text(app))


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
        await ui.keys(pilot, "f3")
        assert "melihat KTP asli" in ui.field_error(app, ui.t("field.ktp_seen"))
        with demo_rt.read() as session:
            assert session.get(LoginThrottle, SITI.nib) is not None
        await ui.focus_field(pilot, ui.t("field.ktp_seen"))
        await ui.keys(pilot, "space")
        assert ui.row_after(app, ui.t("field.ktp_seen")).startswith("[x]")
        await ui.keys(pilot, "f3")
        assert "Kunci akun NIB 26010000001 dibuka" in ui.status(app)
        assert ui.row_after(app, ui.t("field.ktp_seen")).startswith("[ ]")
        await ui.until(pilot, lambda: ui.shows(app, ui.t("bo.counter.locked_no")))
        assert not ui.shows(app, ui.t("bo.counter.locked_yes"))
    with demo_rt.read() as session:
        assert session.get(LoginThrottle, SITI.nib) is None
        audit = session.exec(select(AuditEvent).where(AuditEvent.action == "counter.unlocked")).one()
    assert (audit.actor, audit.subject, audit.details["ktp_seen"]) == ("ani.petugas", SITI.nib, True)
    assert auth.login(demo_rt, SITI.nib, SITI.secret).identity is not None


async def test_bad_nib_is_named_under_the_field(make_bo):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=SIZE) as pilot:
        await _counter(pilot, "1234")
        await ui.keys(pilot, "f4")
        assert "11 angka" in ui.field_error(app, ui.t("field.nib"))
        assert ui.at(app, "bo.counter.title")


async def test_reset_code_needs_the_ktp_checkbox(make_bo, demo_rt):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=SIZE) as pilot:
        await _counter(pilot, SITI.nib)
        await ui.keys(pilot, "f4")
        assert "melihat KTP asli" in ui.field_error(app, ui.t("field.ktp_seen"))
        assert ui.at(app, "bo.counter.title")
    with demo_rt.read() as session:
        assert session.exec(select(ResetCode)).all() == []


async def _tick_ktp(pilot) -> None:
    await ui.focus_field(pilot, ui.t("field.ktp_seen"))
    await ui.keys(pilot, "space")


async def test_reset_code_is_shown_once_and_redeems(make_bo, demo_rt):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=SIZE) as pilot:
        await _counter(pilot, SITI.nib)
        await _tick_ktp(pilot)
        await ui.keys(pilot, "f4")
        assert ui.at(app, "bo.code.title")
        code = _code(app)
        assert len(code) == 8 and set(code) <= set(reset_codes.ALPHABET)
        assert ui.shows(app, "Berlaku 15 menit, sampai 25 Nov 2026 10.15 WIB")
        await ui.keys(pilot, "enter")
        assert ui.at(app, "bo.counter.title")
        assert code not in ui.text(app)
        await ui.keys(pilot, "escape")
        assert ui.at(app, "bo.queue.title")
    identity = reset_codes.redeem(demo_rt, SITI.nib, code, "pin", "582946", "582946")
    assert identity.nib == SITI.nib
    assert auth.login(demo_rt, SITI.nib, "582946").identity is not None
    with pytest.raises(AuthError):
        reset_codes.redeem(demo_rt, SITI.nib, code, "pin", "714925", "714925")


async def test_reset_code_needs_a_kiosk_account(make_bo):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=SIZE) as pilot:
        await _counter(pilot, RINA.nib)
        await _tick_ktp(pilot)
        await ui.keys(pilot, "f4")
        assert ui.at(app, "bo.counter.title")
        assert "belum punya akun KIDB" in ui.status(app)


async def test_block_and_unblock_the_card_with_a_reason(make_bo, demo_rt):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=SIZE) as pilot:
        await _counter(pilot, SITI.nib)
        await ui.keys(pilot, "f6")
        assert "wajib diisi" in ui.field_error(app, ui.t("field.reason"))
        assert participant_of(demo_rt, SITI.nib).card_status == "active"
        await ui.focus_field(pilot, ui.t("field.reason"))
        await ui.keys(pilot, *"Kartu dilaporkan hilang", "f6")
        assert "Kartu NIB 26010000001 diblokir" in ui.status(app)
        assert participant_of(demo_rt, SITI.nib).card_status == "blocked"
        await ui.keys(pilot, *"Kartu ditemukan kembali", "f7")
        assert participant_of(demo_rt, SITI.nib).card_status == "active"
    assert notification_kinds(demo_rt, SITI.nib)[-2:] == ["card_blocked", "card_unblocked"]



async def test_typed_nib_shows_whose_it_is(make_bo, demo_rt):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=(80, 24)) as pilot:
        await _counter(pilot, BUDI.nib)
        assert ui.shows(app, "Budi Santoso", "************0002")
        assert "3273011708780002" not in ui.text(app)
        await ui.focus_field(pilot, ui.t("field.ktp_seen"))
        await ui.keys(pilot, "space")
        await ui.until(pilot, lambda: ui.shows(app, "NIK 3273011708780002"))
        await ui.keys(pilot, "space")
        await ui.until(pilot, lambda: "3273011708780002" not in ui.text(app))
        await ui.focus_field(pilot, ui.t("field.nib"))
        await ui.keys(pilot, "backspace")
        assert not ui.shows(app, "Budi Santoso")
        assert ui.shows(app, "11 angka")


def _reveals(rt) -> list[tuple[str, str]]:
    with rt.read() as session:
        rows = session.exec(select(AuditEvent).where(AuditEvent.action == "counter.nik_shown").order_by(AuditEvent.id))
        return [(row.actor, row.subject) for row in rows]


async def test_the_full_nik_is_audited_once_per_nib_shown_not_per_keystroke(make_bo, demo_rt):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=(80, 24)) as pilot:
        await _counter(pilot, BUDI.nib)
        await _tick_ktp(pilot)
        await ui.until(pilot, lambda: ui.shows(app, "NIK 3273011708780002"))
        await ui.focus_field(pilot, ui.t("field.nib"))
        for keys in (["end", "space"], ["backspace"], ["backspace", BUDI.nib[-1]]):
            await ui.keys(pilot, *keys)
            await ui.until(pilot, lambda: ui.shows(app, "NIK 3273011708780002"))
        await _tick_ktp(pilot)
        await _tick_ktp(pilot)
        await ui.until(pilot, lambda: ui.shows(app, "NIK 3273011708780002"))
        await ui.focus_field(pilot, ui.t("field.nib"))
        await ui.keys(pilot, "end", *["backspace"] * 11, *SITI.nib)
        await ui.until(pilot, lambda: ui.shows(app, f"NIK {SITI.nik}"))
    assert _reveals(demo_rt) == [("ani.petugas", BUDI.nib), ("ani.petugas", SITI.nib)]


async def test_a_waiting_terminal_is_listed_and_its_wait_ended(make_bo, demo_rt):
    kiosk = dataclasses.replace(demo_rt, settings=demo_rt.settings.with_(terminal_id="JKT-07"))
    for n in range(demo_rt.settings.terminal_failure_limit):
        auth.login(kiosk, f"999999{n:05d}", "123456")
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=TALL) as pilot:
        await _counter(pilot, "")
        assert ui.shows(app, ui.t("bo.counter.terminals_heading"))
        assert ui.shows(app, "JKT-07 · 10 kali gagal · menunggu sampai 25 Nov 2026 10.01 WIB")
        await ui.focus_field(pilot, ui.t("bo.counter.end_wait_button"))
        await ui.keys(pilot, "enter")
        assert "Penundaan terminal JKT-07 diakhiri" in ui.status(app)
        assert not ui.shows(app, ui.t("bo.counter.terminals_heading"))
    with demo_rt.read() as session:
        assert session.get(LoginThrottle, "terminal:JKT-07") is None
        audit = session.exec(select(AuditEvent).where(AuditEvent.action == "counter.terminal_cleared")).one()
    assert (audit.actor, audit.subject) == ("ani.petugas", "terminal:JKT-07")
    assert auth.login(kiosk, SITI.nib, SITI.secret).ok


async def test_the_terminal_list_is_hidden_while_no_terminal_waits(make_bo):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=TALL) as pilot:
        await _counter(pilot, "")
        assert not ui.shows(app, ui.t("bo.counter.terminals_heading"))
