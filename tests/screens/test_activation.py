"""Activation screen: snapshots at 80x24 and the flows driven with keys, checked in the database."""

import json

import pytest
from sqlmodel import select

from kidb_tui.errors import AuthError
from kidb_tui.masked import SecretStr
from kidb_tui.models import AuditEvent, KioskAccount, Participant
from kidb_tui.screens.auth.activation import ActivationScreen
from kidb_tui.screens.auth.login import LoginScreen
from kidb_tui.screens.menu import MenuScreen
from kidb_tui.services import auth
from tests.conftest import RINA, SITI, settle

GOOD_PIN = "482915"
RINA_BIRTH = "15-12-1995"


async def _activate(pilot, nib=RINA.nib, nik=RINA.nik, birth=RINA_BIRTH, kind="pin", secret=GOOD_PIN, confirm=None):
    """Open activation from the login screen with F3 and type everything with the keyboard."""
    await pilot.press("f3")
    await pilot.pause()
    await pilot.press(*nib, "enter", *nik, "enter", *birth, "enter")
    if kind == "password":
        await pilot.press("right")
    await pilot.press("enter", *secret, "enter", *(secret if confirm is None else confirm), "enter")
    await settle(pilot)


def _text(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


def _field_error(screen, field: str) -> str:
    return _text(screen, f"#field-{field} .field-error")


def _rina_account(rt):
    with rt.read() as session:
        participant = session.exec(select(Participant).where(Participant.nib == RINA.nib)).one()
        return session.exec(select(KioskAccount).where(KioskAccount.participant_id == participant.id)).first()


def test_activation_snapshot(snap_compare, make_app):
    assert snap_compare(make_app(), press=["f3"], terminal_size=(80, 24))


def test_activation_errors_snapshot(snap_compare, make_app):
    async def malformed(pilot):
        await _activate(pilot, nib="2601", nik="3201", birth="15121995")

    assert snap_compare(make_app(), run_before=malformed, terminal_size=(80, 24))


def test_activation_mismatch_snapshot(snap_compare, make_app):
    async def wrong_nik(pilot):
        await _activate(pilot, nik=SITI.nik)

    assert snap_compare(make_app(), run_before=wrong_nik, terminal_size=(80, 24))


async def test_rina_activates_lands_on_menu_and_can_log_in(make_app, demo_rt):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _activate(pilot)
        assert isinstance(app.screen, MenuScreen)
        assert app.identity.nib == RINA.nib
        assert [type(screen) for screen in app.screen_stack[1:]] == [MenuScreen]
        assert any("sudah aktif" in str(toast.render()) for toast in app.screen.query("Toast"))
        await pilot.press("0")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        await pilot.press(*RINA.nib, "enter", *GOOD_PIN, "enter")
        await settle(pilot)
        assert isinstance(app.screen, MenuScreen)
        assert app.identity.nib == RINA.nib
    account = _rina_account(demo_rt)
    assert account is not None and account.secret_kind == "pin" and account.status == "active"
    with demo_rt.read() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.subject == RINA.nib)).all()
    activated = [event for event in events if event.action == "auth.activated"]
    assert len(activated) == 1
    for event in events:
        details = json.dumps(event.details)
        assert GOOD_PIN not in details and RINA.nik not in details


async def test_password_kind_activates(make_app, demo_rt):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _activate(pilot, kind="password", secret="Bogor-Hujan-77")
        assert isinstance(app.screen, MenuScreen)
    assert _rina_account(demo_rt).secret_kind == "password"


WEAK = [
    ("pin", "111111", None, "secret", "berulang"),
    ("pin", "123456", None, "secret", "berturut-turut"),
    ("pin", "654321", None, "secret", "berturut-turut"),
    ("pin", "151295", None, "secret", "tanggal lahir"),
    ("pin", "951215", None, "secret", "tanggal lahir"),
    ("pin", "260100", None, "secret", "dari NIB"),
    ("pin", "015512", None, "secret", "dari NIK"),
    ("pin", "123123", None, "secret", "paling sering"),
    ("pin", "48291", None, "secret", "tepat 6 angka"),
    ("password", "password", None, "secret", "paling sering"),
    ("password", "Kopi-77", None, "secret", "minimal 8"),
    ("pin", GOOD_PIN, "482916", "secret_confirm", "tidak sama"),
]


@pytest.mark.parametrize(("kind", "secret", "confirm", "field", "rule_text"), WEAK)
async def test_weak_secret_is_refused_with_field_and_rule(make_app, demo_rt, kind, secret, confirm, field, rule_text):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _activate(pilot, kind=kind, secret=secret, confirm=confirm)
        screen = app.screen
        assert isinstance(screen, ActivationScreen)
        label = app.t(f"field.{field}")
        message = _field_error(screen, field)
        assert label in message and rule_text in message
        assert label in _text(screen, "#status-line")
        assert screen.query_one("#secret").value == "" and screen.query_one("#secret_confirm").value == ""
        assert screen.query_one("#nik").value == RINA.nik
        assert app.focused is screen.query_one("#secret")
    assert _rina_account(demo_rt) is None


async def test_malformed_identity_fields_each_get_their_rule(make_app, demo_rt):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _activate(pilot, nib="2601", nik="3201", birth="15121995")
        screen = app.screen
        assert "NIB" in _field_error(screen, "nib") and "11 angka" in _field_error(screen, "nib")
        assert "NIK" in _field_error(screen, "nik") and "16 angka" in _field_error(screen, "nik")
        assert "Tanggal lahir" in _field_error(screen, "birth_date") and "HH-BB-TTTT" in _field_error(screen, "birth_date")
        assert "3 isian" in _text(screen, "#status-line")
    assert _rina_account(demo_rt) is None


async def test_wrong_nik_gets_the_mismatch_message_and_no_account(make_app, demo_rt):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _activate(pilot, nik=SITI.nik)
        screen = app.screen
        assert isinstance(screen, ActivationScreen)
        status = _text(screen, "#status-line")
        for part in ("NIB di kartu peserta", "NIK di KTP", "tanggal lahir", "dihitung", "5 kali", "30 menit"):
            assert part in status
        assert "NIK salah" not in status
        assert screen.query_one("#nib").value == RINA.nib
        assert app.identity is None
    assert _rina_account(demo_rt) is None
    with demo_rt.read() as session:
        failed = session.exec(select(AuditEvent).where(AuditEvent.action == "auth.activation_failed")).all()
    assert len(failed) == 1 and SITI.nik not in json.dumps(failed[0].details)


async def test_wrong_birth_date_gets_the_same_message(make_app, demo_rt):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _activate(pilot, nik=SITI.nik)
        wrong_nik = _text(app.screen, "#status-line")
        await pilot.press("escape")
        await pilot.pause()
        await _activate(pilot, birth="16-12-1995")
        assert _text(app.screen, "#status-line") == wrong_nik
    assert _rina_account(demo_rt) is None


async def test_already_active_account_points_to_login(make_app, demo_rt):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _activate(pilot, nib=SITI.nib, nik=SITI.nik, birth="22-04-1985")
        screen = app.screen
        assert isinstance(screen, ActivationScreen)
        status = _text(screen, "#status-line")
        assert "sudah aktif" in status and "petugas cabang" in status
        assert app.identity is None
    with demo_rt.read() as session:
        assert len(session.exec(select(KioskAccount)).all()) == 5


async def test_language_switch_keeps_kind_and_typed_values(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press(*RINA.nib, "tab", "tab", "tab", "right", "enter")
        await pilot.press("f2")
        await pilot.pause()
        screen = app.screen
        assert "Activate account" in _text(screen, "#title-bar")
        assert screen.query_one("#nib").value == RINA.nib
        assert screen.query_one("#secret_kind").pressed_index == 1
        assert screen.query_one("#secret").placeholder == "at least 8 characters"


async def test_escape_returns_to_login(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        assert isinstance(app.screen, ActivationScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)


async def test_tab_visits_every_field_and_the_button_then_wraps(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        visited = []
        for _ in range(7):
            visited.append(app.focused.id)
            await pilot.press("tab")
        assert visited == ["nib", "nik", "birth_date", "secret_kind", "secret", "secret_confirm", "submit"]
        assert app.focused.id == "nib"


def _block_card(rt, nib: str) -> None:
    with rt.write() as session:
        row = session.exec(select(Participant).where(Participant.nib == nib)).one()
        row.card_status = "blocked"
        session.add(row)


async def test_a_blocked_card_is_refused_as_at_login_and_not_signed_in(make_app, demo_rt):
    _block_card(demo_rt, RINA.nib)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _activate(pilot)
        assert isinstance(app.screen, ActivationScreen)
        assert "Kartu diblokir" in _text(app.screen, "#status-line")
        assert app.identity is None
    assert _rina_account(demo_rt) is None


async def test_the_new_secret_reaches_the_service_masked(make_app, monkeypatch):
    seen = []

    def activate(rt, nib, nik, birth_date, kind, secret, confirmation):
        seen.extend([secret, confirmation])
        raise AuthError("activation.mismatch")

    monkeypatch.setattr(auth, "activate", activate)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _activate(pilot)
    assert [type(value) for value in seen] == [SecretStr, SecretStr]
    assert [value.get_secret_value() for value in seen] == [GOOD_PIN, GOOD_PIN]
