"""Main menu: snapshots at 80x24 and the keys that open Bantuan and Ganti PIN or log out."""

from textual.widgets import Input

from kidb_tui.screens.auth.change_secret import ChangeSecretScreen
from kidb_tui.screens.auth.login import LoginScreen
from kidb_tui.screens.help import HelpScreen
from kidb_tui.screens.menu import MenuScreen
from tests.conftest import BUDI, SITI, settle


def test_menu_snapshot_budi_with_unread(snap_compare, make_app):
    assert snap_compare(make_app(signed_in=BUDI), terminal_size=(80, 24))


def test_menu_snapshot_siti(snap_compare, make_app):
    assert snap_compare(make_app(signed_in=SITI), terminal_size=(80, 24))


async def test_unread_count_is_shown_for_budi(make_app):
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        prompt = str(app.screen.query_one("#menu").get_option("notifications").prompt)
        assert "belum dibaca" in prompt


async def test_key_6_opens_help_and_escape_returns(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("6")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MenuScreen)
        assert app.identity.nib == SITI.nib


async def test_key_7_opens_change_pin_and_escape_returns(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("7")
        await pilot.pause()
        assert isinstance(app.screen, ChangeSecretScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MenuScreen)


async def _assert_fresh_login(app) -> None:
    assert isinstance(app.screen, LoginScreen)
    assert app.identity is None
    assert [type(screen) for screen in app.screen_stack[1:]] == [LoginScreen]
    assert all(field.value == "" for field in app.screen.query(Input))
    assert "Siti" not in str(app.screen.query_one("#title-bar").render())


async def test_key_0_logs_out_to_a_fresh_login(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("0")
        await settle(pilot)
        await _assert_fresh_login(app)


async def test_escape_on_menu_logs_out(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("escape")
        await settle(pilot)
        await _assert_fresh_login(app)


async def test_logout_from_a_screen_opened_from_the_menu_leaves_nothing_behind(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("6", "escape", "0")
        await settle(pilot)
        await _assert_fresh_login(app)
