"""PIN reset with an officer's one-time code, at the kiosk (F4 on the login screen)."""

from sqlmodel import select

from kidb_tui.errors import AuthError
from kidb_tui.masked import SecretStr
from kidb_tui.models import KioskAccount, Notification, Participant
from kidb_tui.services import auth, officers, reset_codes
from kidb_tui.services.demo import OFFICERS
from tests import ui
from tests.conftest import SITI

NEW_PIN = "583920"


def _code(rt) -> str:
    username, password, *_ = OFFICERS[0]
    officer = officers.login(rt, username, password).officer
    return reset_codes.issue(rt, officer, SITI.nib, ktp_seen=True)


async def _fill(pilot, code: str, pin: str, repeat: str) -> None:
    await ui.keys(pilot, "f4")
    assert ui.at(pilot.app, "reset.title")
    await ui.keys(pilot, *SITI.nib, "enter", *code, "enter", "enter", *pin, "enter", *repeat, "enter")


def test_reset_snapshot(snap_compare, make_app):
    assert snap_compare(make_app(), press=["f4"], terminal_size=(80, 24))


async def test_reset_with_code_sets_new_pin_and_signs_in(make_app, demo_rt):
    code = _code(demo_rt)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _fill(pilot, code.lower(), NEW_PIN, NEW_PIN)
        assert ui.at(app, "menu.title")
        assert SITI.name in ui.title(app)
    assert auth.login(demo_rt, SITI.nib, NEW_PIN).ok
    assert not auth.login(demo_rt, SITI.nib, SITI.secret).ok
    with demo_rt.read() as session:
        kinds = session.exec(select(Notification.kind)).all()
    assert "password_reset" in kinds


async def test_wrong_code_changes_nothing(make_app, demo_rt):
    _code(demo_rt)
    with demo_rt.read() as session:
        before = session.exec(select(KioskAccount.secret_hash)).all()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _fill(pilot, "AAAA2222", NEW_PIN, NEW_PIN)
        assert ui.at(app, "reset.title")
        assert "Kode reset salah" in ui.status(app)
        assert ui.focused_label(app) == ui.t("field.reset_code")
        assert ui.focused_value(app) == ui.t("reset.code_placeholder")
    with demo_rt.read() as session:
        assert session.exec(select(KioskAccount.secret_hash)).all() == before


async def test_weak_new_pin_names_field_and_rule(make_app, demo_rt):
    code = _code(demo_rt)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _fill(pilot, code, "123456", "123456")
        assert ui.at(app, "reset.title")
        text = ui.field_error(app, ui.t("reset.new_secret"))
        assert "PIN / kata sandi" in text and "berturut-turut" in text
    assert auth.login(demo_rt, SITI.nib, SITI.secret).ok


async def test_a_blocked_card_is_refused_as_at_login_and_not_signed_in(make_app, demo_rt):
    code = _code(demo_rt)
    with demo_rt.write() as session:
        session.exec(select(Participant).where(Participant.nib == SITI.nib)).one().card_status = "blocked"
    with demo_rt.read() as session:
        before = session.exec(select(KioskAccount.secret_hash)).all()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _fill(pilot, code, NEW_PIN, NEW_PIN)
        assert ui.at(app, "reset.title")
        assert "Kartu diblokir" in ui.status(app)
        assert SITI.name not in ui.title(app)
    with demo_rt.read() as session:
        assert session.exec(select(KioskAccount.secret_hash)).all() == before


async def test_the_code_and_new_pin_reach_the_service_masked(make_app, monkeypatch):
    seen = []

    def redeem(rt, nib, code, kind, secret, confirmation):
        seen.extend([code, secret, confirmation])
        raise AuthError("reset.invalid_code", minutes=15)

    monkeypatch.setattr(reset_codes, "redeem", redeem)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _fill(pilot, "ABCD2345", NEW_PIN, NEW_PIN)
    assert [type(value) for value in seen] == [SecretStr] * 3
    assert [value.get_secret_value() for value in seen] == ["ABCD2345", NEW_PIN, NEW_PIN]
