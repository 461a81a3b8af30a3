"""One focus colour on every kind of control (field, button, checkbox, choice of PIN/password),
read from the running screens."""

from textual.widgets import Button, Checkbox, Input, RadioSet

from tests import ui


async def _focused_backgrounds(pilot, kinds) -> dict[str, object]:
    seen = {}
    for widget in pilot.app.screen.query("*"):
        if isinstance(widget, kinds) and widget.focusable and type(widget).__name__ not in seen:
            widget.focus()
            await pilot.pause()
            seen[type(widget).__name__] = (widget.styles.background, widget.rich_style.bold)
    return seen


async def test_every_control_has_the_same_focus_colour(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        seen = await _focused_backgrounds(pilot, (Input, Button))
        await ui.keys(pilot, "f3")
        await ui.settle(pilot)
        seen.update(await _focused_backgrounds(pilot, (Checkbox, RadioSet, Button)))
    assert {"LineInput", "KeyButton", "SecretKindChoice"} <= set(seen), seen  # the login's fields are LineInputs
    assert len(set(seen.values())) == 1, seen
