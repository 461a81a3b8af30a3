"""Officer login and sign-out, driven with keys."""

from kidb_tui.backoffice.screens.login import OfficerLoginScreen
from kidb_tui.backoffice.screens.queue import QueueScreen
from kidb_tui.masked import SecretStr
from kidb_tui.models import LoginThrottle
from kidb_tui.services import officers
from kidb_tui.services.officers import OfficerLogin
from tests.backoffice.conftest import ANI, status_text
from tests.conftest import settle


async def _type(pilot, username: str, password: str) -> None:
    await pilot.press(*username, "enter", *password, "enter")
    await settle(pilot)


async def test_login_opens_the_queue(make_bo):
    app = make_bo()
    async with app.run_test(size=(80, 24)) as pilot:
        await _type(pilot, *ANI)
        assert isinstance(app.screen, QueueScreen)
        assert app.officer.username == "ani.petugas"
        assert app.identity is None
        assert "ani.petugas (petugas)" in str(app.screen.query_one("#title-bar").render())


async def test_wrong_password_and_unknown_officer_fail_alike(make_bo, demo_rt):
    app = make_bo()
    async with app.run_test(size=(80, 24)) as pilot:
        await _type(pilot, "ani.petugas", "bukan-sandinya-1")
        wrong = status_text(app)
        assert app.screen.query_one("#password").value == ""
        username = app.screen.query_one("#username")
        username.value = ""
        username.focus()
        await _type(pilot, "tidak.ada", "bukan-sandinya-1")
        unknown = status_text(app)
        assert isinstance(app.screen, OfficerLoginScreen)
        assert app.officer is None
    assert wrong == unknown
    assert "salah" in wrong and "5 kali" in wrong
    with demo_rt.read() as session:
        assert session.get(LoginThrottle, "officer:ani.petugas").failures == 1


async def test_empty_fields_are_named(make_bo):
    app = make_bo()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "enter")
        await settle(pilot)
        assert "Isi nama pengguna dan kata sandi" in status_text(app)


async def test_sign_out_keeps_nothing_of_the_officer(make_bo):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("escape", "f10")
        await settle(pilot)
        assert isinstance(app.screen, OfficerLoginScreen)
        assert app.officer is None
        assert len(app.screen_stack) == 2
        assert app.screen.query_one("#username").value == ""
        assert "ani.petugas" not in str(app.screen.query_one("#title-bar").render())


async def test_language_switch_on_login_keeps_typed_username(make_bo):
    app = make_bo()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"ani", "f2")
        await pilot.pause()
        assert app.screen.query_one("#username").value == "ani"
        assert "Officer log in" in str(app.screen.query_one("#title-bar").render())


async def test_the_dummy_hash_is_made_as_soon_as_the_login_screen_is_up(make_bo, demo_rt):
    demo_rt.hasher.__dict__.pop("_dummy", None)
    app = make_bo()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, OfficerLoginScreen)
        assert "_dummy" in demo_rt.hasher.__dict__


async def test_the_typed_password_reaches_the_service_masked(make_bo, monkeypatch):
    seen = []
    def login(rt, name, password):
        seen.append(password)
        return OfficerLogin(None, "auth.failed")

    monkeypatch.setattr(officers, "login", login)
    app = make_bo()
    async with app.run_test(size=(80, 24)) as pilot:
        await _type(pilot, "ani.petugas", "Typed-Password-Here-1")
    [password] = seen
    assert isinstance(password, SecretStr) and password.get_secret_value() == "Typed-Password-Here-1"


async def test_a_waiting_terminal_is_told_how_long_to_wait(make_bo, demo_rt):
    for n in range(demo_rt.settings.terminal_failure_limit):
        officers.login(demo_rt, f"nobody.{n}", "Wrong-Password-123")
    app = make_bo()
    async with app.run_test(size=(80, 24)) as pilot:
        await _type(pilot, *ANI)
        assert isinstance(app.screen, OfficerLoginScreen)
        assert app.officer is None
        assert "terminal ini: tunggu 1 menit" in status_text(app)
