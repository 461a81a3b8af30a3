"""A screen that leaves for good (the old mode's screens at a sign-in or sign-out, the screen a
new one replaces) is removed without drawing the screen on top again: Textual repainted it whole,
then laid it out and repainted it whole once more as the removal ended, inside the transition
(kidb_tui/terminal_app.py `_replace_screen`). The removed screens are still released
(test_session_guard.py)."""

from textual._compositor import LayoutUpdate
from textual.screen import Screen

from tests import ui
from tests.conftest import SITI

NIB_LABEL = "NIB (nomor peserta)"


def _watch(app, monkeypatch) -> list[str]:
    """`layout:Screen` for each layout and `whole:Screen` for each whole frame from now on."""
    seen: list[str] = []
    display = app._display
    layout = Screen._refresh_layout

    def spy(screen, update):
        if isinstance(update, LayoutUpdate):
            seen.append(f"whole:{type(screen).__name__}")
        return display(screen, update)

    def counted(self, size=None, scroll=False):
        seen.append(f"layout:{type(self).__name__}")
        return layout(self, size, scroll)

    app._display = spy
    monkeypatch.setattr(Screen, "_refresh_layout", counted)
    return seen


async def test_signing_in_draws_the_menu_as_it_opens_only(make_app, monkeypatch):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.until(pilot, lambda: NIB_LABEL in ui.text(app))
        seen = _watch(app, monkeypatch)
        await ui.keys(pilot, *SITI.nib, "enter", *SITI.secret, "enter")
        await ui.until(pilot, lambda: ui.at(app, "menu.title"))
        await ui.settle(pilot)
        assert [entry for entry in seen if entry.endswith("MenuScreen")] == [
            "layout:MenuScreen", "whole:MenuScreen", "layout:MenuScreen", "whole:MenuScreen"]
        assert app.query("LoginScreen").nodes == [] and len(app.screen_stack) == 1


async def test_signing_out_draws_the_login_screen_no_more_for_the_old_screens(make_app, monkeypatch):
    app = make_app()
    app.kiosk = True  # ctrl+q signs out (test_session_guard.py)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, *SITI.nib, "enter", *SITI.secret, "enter")
        await ui.until(pilot, lambda: ui.at(app, "menu.title"))
        await ui.keys(pilot, "2")
        await ui.until(pilot, lambda: ui.at(app, "status.title"))
        await ui.settle(pilot)
        seen = _watch(app, monkeypatch)
        await ui.keys(pilot, "ctrl+q", "y")
        await ui.until(pilot, lambda: NIB_LABEL in ui.text(app))
        await ui.settle(pilot)
        assert seen.count("whole:LoginScreen") <= 3  # six while the old mode's removal drew it
        assert ui.at(app, "login.title") and SITI.name not in ui.text(app)
