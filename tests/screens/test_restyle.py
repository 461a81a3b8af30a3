"""Textual styles a whole screen again each time it resumes: about half the style work of a new
screen. The kiosk has it do so only when the screen comes back from under another (what happened
meanwhile may have changed its look), not when the screen has just been pushed, nor on the second
resume that a switch to a new mode sends (signing in), when each node was styled as it was mounted."""

from textual.screen import Screen

from tests import ui
from tests.conftest import SITI


def _restyled(app) -> list[str]:
    """The titles of the screens Textual styles as a whole from now on, in order."""
    restyled: list[str] = []
    update_styles = app.update_styles

    def spy(node, animate=True):
        if isinstance(node, Screen):
            restyled.append(ui.title(app))
        return update_styles(node, animate=animate)

    app.update_styles = spy
    return restyled


async def test_a_screen_is_restyled_when_it_comes_back_not_when_it_opens(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        restyled = _restyled(app)
        await ui.keys(pilot, *SITI.nib, "enter", *SITI.secret, "enter")
        await ui.until(pilot, lambda: ui.at(app, "menu.title"))
        await ui.settle(pilot)
        assert restyled == []
        await ui.keys(pilot, "1")
        await ui.until(pilot, lambda: ui.at(app, "claim.type_title"))
        await ui.keys(pilot, "escape")
        await ui.until(pilot, lambda: ui.at(app, "menu.title"))
        await ui.settle(pilot)
        assert restyled == [ui.title(app)]
