"""Login screen: snapshot at 80x24 and the flows driven with keys."""

from sqlmodel import select

from kidb_tui.masked import SecretStr
from kidb_tui.models import AuditEvent, LoginThrottle
from kidb_tui.screens.auth.login import LoginScreen
from kidb_tui.screens.menu import MenuScreen
from kidb_tui.services import auth
from kidb_tui.services.auth import LoginResult
from tests.conftest import DEWI, SITI, settle


async def _type(pilot, nib: str, secret: str) -> None:
    await pilot.press(*nib, "enter")
    await pilot.press(*secret, "enter")
    await settle(pilot)


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
        await _type(pilot, SITI.nib, SITI.secret)
        assert isinstance(app.screen, MenuScreen)
        assert app.identity.nib == SITI.nib
    with demo_rt.read() as session:
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.subject == SITI.nib)).all()
    assert "auth.login" in actions


async def test_wrong_pin_and_unknown_nib_get_the_same_message(make_app, demo_rt):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _type(pilot, SITI.nib, "999999")
        wrong = str(app.screen.query_one("#status-line").render())
        nib_input = app.screen.query_one("#nib")
        nib_input.value = ""
        nib_input.focus()
        await _type(pilot, "99999999999", "999999")
        unknown = str(app.screen.query_one("#status-line").render())
        assert isinstance(app.screen, LoginScreen)
        assert app.screen.query_one("#secret").value == ""
    assert wrong == unknown
    assert "salah" in wrong
    with demo_rt.read() as session:
        assert session.get(LoginThrottle, SITI.nib).failures == 1
        assert session.get(LoginThrottle, "99999999999").failures == 1


async def test_blocked_card_is_explained_after_correct_pin(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _type(pilot, DEWI.nib, DEWI.secret)
        assert isinstance(app.screen, LoginScreen)
        assert "Kartu diblokir" in str(app.screen.query_one("#status-line").render())
        assert app.identity is None


async def test_malformed_nib_names_the_field_rule(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _type(pilot, "12ab", "258147")
        assert "11 angka" in str(app.screen.query_one("#status-line").render())


async def test_language_switch_keeps_typed_nib(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"2601")
        await pilot.press("f2")
        await pilot.pause()
        assert app.screen.query_one("#nib").value == "2601"
        assert "Log in" in str(app.screen.query_one("#title-bar").render())
        await pilot.press("f2")
        await pilot.pause()
        assert "Masuk" in str(app.screen.query_one("#title-bar").render())


async def test_the_dummy_hash_is_made_as_soon_as_the_login_screen_is_up(make_app, demo_rt):
    """The first unknown NIB of a process costs what a known one does."""
    demo_rt.hasher.__dict__.pop("_dummy", None)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert "_dummy" in demo_rt.hasher.__dict__


async def test_the_typed_pin_reaches_the_service_masked(make_app, monkeypatch):
    seen = []
    monkeypatch.setattr(auth, "login", lambda rt, nib, secret: seen.append(secret) or LoginResult(None, "auth.failed"))
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
        assert isinstance(app.screen, LoginScreen)
        assert app.identity is None
        message = str(app.screen.query_one("#status-line").render())
        assert "terminal ini: tunggu 1 menit" in message
