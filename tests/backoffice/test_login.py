"""Officer login and sign-out, driven with keys."""

from kidb_tui.masked import SecretStr
from kidb_tui.models import LoginThrottle
from kidb_tui.services import officers
from kidb_tui.services.officers import OfficerLogin
from tests import ui
from tests.backoffice.conftest import ANI
from tests.conftest import settle


async def _type(pilot, username: str, password: str) -> None:
    await ui.keys(pilot, *username, "enter", *password, "enter")


async def test_login_opens_the_queue(make_bo):
    app = make_bo()
    async with app.run_test(size=(80, 24)) as pilot:
        await _type(pilot, *ANI)
        assert ui.at(app, "bo.queue.title")
        assert ui.title(app).endswith("ani.petugas (petugas)")


async def test_wrong_password_and_unknown_officer_fail_alike(make_bo, demo_rt):
    app = make_bo()
    async with app.run_test(size=(80, 24)) as pilot:
        await _type(pilot, "ani.petugas", "bukan-sandinya-1")
        wrong = ui.field_error(app, ui.t("field.password")), ui.status(app), ui.text(app).count("! ")
        assert ui.focused_label(app) == ui.t("field.password")
        assert "•" not in ui.focused_value(app)
        await ui.keys(pilot, "shift+tab", "end", "ctrl+u")
        await _type(pilot, "tidak.ada", "bukan-sandinya-1")
        unknown = ui.field_error(app, ui.t("field.password")), ui.status(app), ui.text(app).count("! ")
        assert ui.at(app, "bo.login.title")
    assert wrong == unknown
    assert wrong[0] == ui.t("bo.auth.failed", attempts=5, minutes=30)
    assert "Periksa keduanya, lalu coba lagi" in wrong[0] and "tunggu" in wrong[0]
    assert wrong[1] == ui.t("login.failed_status", label=ui.t("field.password"))
    assert wrong[2] == 1
    with demo_rt.read() as session:
        assert session.get(LoginThrottle, "officer:ani.petugas").failures == 1


async def test_empty_fields_are_named(make_bo):
    app = make_bo()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, "enter", "enter")
        assert ui.field_error(app, ui.t("field.username")) == ui.t("bo.login.fill_both")
        assert ui.focused_label(app) == ui.t("field.username")
        await ui.keys(pilot, *"ani.petugas", "enter", "enter")
        assert ui.field_error(app, ui.t("field.password")) == ui.t("bo.login.fill_both")
        assert ui.focused_label(app) == ui.t("field.password")


async def test_sign_out_keeps_nothing_of_the_officer(make_bo):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, "enter")
        assert ui.at(app, "bo.detail.title")
        await ui.keys(pilot, "escape", "f10")
        assert ui.at(app, "bo.login.title")
        assert "ani.petugas (petugas)" not in ui.text(app)
        assert ui.focused_value(app) == ui.t("bo.login.username_placeholder")
        await ui.keys(pilot, "escape")
        assert ui.at(app, "bo.login.title")


async def test_language_switch_on_login_keeps_typed_username(make_bo):
    app = make_bo()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, *"ani", "f2")
        assert ui.focused_value(app) == "ani"
        assert "Officer log in" in ui.title(app)


async def test_the_dummy_hash_is_made_as_soon_as_the_login_screen_is_up(make_bo, demo_rt):
    demo_rt.hasher.__dict__.pop("_dummy", None)
    app = make_bo()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert ui.at(app, "bo.login.title")
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
        assert ui.at(app, "bo.login.title")
        assert "terminal ini: tunggu 1 menit" in ui.field_error(app, ui.t("field.password"))
