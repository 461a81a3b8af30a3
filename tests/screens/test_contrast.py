"""WCAG AA contrast (at least 4.5:1) of the quiet texts a first-time participant must still read:
placeholders (in an empty field, focused or not), hints and error messages, computed from the
colours the theme and the style sheets give them on the running screen."""

from textual.color import Color
from textual.widgets import Input

from kidb_tui.widgets.form_field import FormField
from tests import ui

AA = 4.5


def _luminance(color: Color) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = color.rgb
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(foreground: Color, background: Color) -> float:
    light, dark = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _ratio(style) -> float:
    return contrast(Color.from_rich_color(style.color), Color.from_rich_color(style.bgcolor))


async def test_placeholders_hints_and_errors_meet_wcag_aa(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        await ui.keys(pilot, *"12ab", "enter", *"1", "enter")
        await ui.settle(pilot)
        screen = app.screen
        ratios: dict[str, float] = {}
        for field in screen.query(Input):
            field.value = ""
            for focused in (False, True):
                if focused:
                    field.focus()
                else:
                    screen.set_focus(None)
                await pilot.pause()
                ratios[f"placeholder {field.id} focused={focused}"] = _ratio(
                    field.get_component_rich_style("input--placeholder"))
        form_field = screen.query(FormField).first()
        ratios["field error"] = _ratio(form_field.get_component_rich_style("form-field--error"))
        ratios["field hint"] = _ratio(form_field.get_component_rich_style("form-field--hint"))
        for hint in screen.query(".hint"):
            ratios[f"hint {hint.id}"] = _ratio(hint.rich_style)
        status = screen.query_one("#status-line")
        ratios["status error"] = _ratio(status.rich_style)
    low = {name: round(ratio, 2) for name, ratio in ratios.items() if ratio < AA}
    assert not low, low
