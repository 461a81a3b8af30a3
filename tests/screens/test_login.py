"""Login screen: snapshots at 80x24 and the flows driven with keys, read back from the screen
and the database."""

import threading

from sqlmodel import select

from kidb_tui.masked import SecretStr
from kidb_tui.models import AuditEvent, LoginThrottle, Participant
from kidb_tui.services import auth
from kidb_tui.services.auth import LoginResult
from tests import ui
from tests.conftest import DEWI, SITI, settle


async def _type(pilot, nib: str, secret: str) -> None:
    await ui.keys(pilot, *nib, "enter")
    await ui.keys(pilot, *secret, "enter")


def test_login_snapshot(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=(80, 24))


def test_login_snapshot_english(snap_compare, make_app):
    assert snap_compare(make_app(), press=["f2"], terminal_size=(80, 24))


def test_login_failure_snapshot(snap_compare, make_app):
    async def wrong_pin(pilot):
        await _type(pilot, SITI.nib, "999999")

    assert snap_compare(make_app(), run_before=wrong_pin, terminal_size=(80, 24))


async def test_login_success_opens_menu_and_audits(make_app, demo_rt):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        assert ui.focused_label(app) == "NIB (nomor peserta)"
        await ui.keys(pilot, *SITI.nib, "enter")
        assert ui.focused_label(app) == "PIN / kata sandi"
        await ui.keys(pilot, *SITI.secret, "enter")
        assert ui.at(app, "menu.title")
        assert SITI.name in ui.title(app)
        assert ui.shows(app, ui.t("menu.greeting", name=SITI.name, nib=SITI.nib))
    with demo_rt.read() as session:
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.subject == SITI.nib)).all()
    assert "auth.login" in actions


async def test_login_in_english_makes_english_the_participants_message_language(make_app, demo_rt):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        await ui.keys(pilot, "f2")
        await ui.settle(pilot)
        await ui.keys(pilot, *SITI.nib, "enter", *SITI.secret, "enter")
        await ui.until(pilot, lambda: ui.shows(app, "Main menu"))
    with demo_rt.read() as session:
        assert session.exec(select(Participant.language).where(Participant.nib == SITI.nib)).one() == "en"


async def test_the_pin_is_never_drawn_in_clear(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, *SITI.nib, "enter", *SITI.secret)
        assert ui.focused_value(app) == "•" * len(SITI.secret)
        assert SITI.secret not in ui.text(app)


async def test_wrong_pin_and_unknown_nib_get_the_same_message(make_app, demo_rt):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _type(pilot, SITI.nib, "999999")
        wrong = ui.field_error(app, "PIN / kata sandi")
        assert ui.focused_label(app) == "PIN / kata sandi"
        assert ui.focused_value(app) != "•" * 6
        await ui.keys(pilot, "shift+tab", "end", "ctrl+u")
        await _type(pilot, "99999999999", "999999")
        unknown = ui.field_error(app, "PIN / kata sandi")
        pointer = ui.status(app)
        assert ui.at(app, "login.title")
    assert wrong == unknown
    assert "salah" in wrong
    assert "tunggu 30 menit, atau minta petugas di loket" in wrong
    assert pointer == ui.t("login.failed_status", label="PIN / kata sandi")
    with demo_rt.read() as session:
        assert session.get(LoginThrottle, SITI.nib).failures == 1
        assert session.get(LoginThrottle, "99999999999").failures == 1


async def test_a_second_click_while_the_pin_is_checked_is_not_a_second_attempt(make_app, demo_rt, monkeypatch):
    """The check is held until both clicks are in: only the first starts one."""
    checking, calls = threading.Event(), []

    def slow_login(rt, nib, secret, language=""):
        calls.append(nib)
        checking.wait(5)
        return real_login(rt, nib, secret, language)

    real_login = auth.login
    monkeypatch.setattr(auth, "login", slow_login)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, *SITI.nib, "tab", *"999999")
        app.screen.query_one("#login").active_effect_duration = 0  # clicked again after its 0.2 s
        await pilot.click("#login")
        await pilot.click("#login")
        checking.set()
        await ui.settle(pilot)
        assert "salah" in ui.field_error(app, "PIN / kata sandi")
    assert calls == [SITI.nib]
    with demo_rt.read() as session:
        assert session.get(LoginThrottle, SITI.nib).failures == 1


async def test_blocked_card_is_explained_after_correct_pin(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _type(pilot, DEWI.nib, DEWI.secret)
        assert ui.at(app, "login.title")
        assert "Kartu diblokir" in ui.field_error(app, "PIN / kata sandi")
        assert DEWI.name not in ui.title(app)


async def test_malformed_nib_names_the_field_rule(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _type(pilot, "12ab", "258147")
        assert "11 angka" in ui.field_error(app, "NIB (nomor peserta)")
        assert ui.focused_label(app) == "NIB (nomor peserta)"


async def test_language_switch_keeps_typed_nib(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, *"2601", "f2")
        assert ui.at(app, "login.title", "en")
        assert ui.focused_label(app) == ui.t("field.nib", "en")
        assert ui.focused_value(app) == "2601"
        await ui.keys(pilot, "f2")
        assert ui.at(app, "login.title")
        assert ui.focused_value(app) == "2601"


async def test_the_dummy_hash_is_made_as_soon_as_the_login_screen_is_up(make_app, demo_rt):
    """The first unknown NIB of a process costs what a known one does."""
    demo_rt.hasher.__dict__.pop("_dummy", None)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert ui.at(app, "login.title")
        assert "_dummy" in demo_rt.hasher.__dict__


async def test_the_typed_pin_reaches_the_service_masked(make_app, monkeypatch):
    seen = []
    def login(rt, nib, secret, language=""):
        seen.append(secret)
        return LoginResult(None, "auth.failed")

    monkeypatch.setattr(auth, "login", login)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _type(pilot, SITI.nib, "482915")
    [secret] = seen
    assert isinstance(secret, SecretStr) and secret.get_secret_value() == "482915"


async def test_a_waiting_terminal_is_told_how_long_to_wait(make_app, demo_rt):
    for n in range(demo_rt.settings.terminal_failure_limit):
        auth.login(demo_rt, f"999999{n:05d}", "123456")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _type(pilot, SITI.nib, SITI.secret)
        assert ui.at(app, "login.title")
        assert SITI.name not in ui.title(app)
        assert "terminal ini: tunggu 1 menit" in ui.field_error(app, "PIN / kata sandi")
