"""What the kiosk writes to the terminal (kidb_tui/frames.py) puts the same cells on it as
Textual's own output would, in fewer bytes: a screen that Textual draws whole several times as
it opens is sent about once, and only its lines that differ from the screen before.

The pilot runs headless (Textual writes nothing), so each test renders every update the app
would write both ways, at the moment it is written, into two pyte terminals."""

from __future__ import annotations

import pyte
import pytest
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate, LayoutUpdate
from textual.geometry import Region
from textual.strip import Strip

from kidb_tui.frames import FrameWriter
from tests import ui
from tests.conftest import SITI
from tests.screens.claim_steps import open_form, type_form


class TwoTerminals:
    """Every update the app writes, rendered by Textual and by a FrameWriter into a terminal each."""

    def __init__(self, app) -> None:
        self.writer = FrameWriter()
        self.textual = pyte.Screen(80, 24)
        self.ours = pyte.Screen(80, 24)
        self._textual_stream = pyte.Stream(self.textual)
        self._our_stream = pyte.Stream(self.ours)
        self.textual_bytes = self.our_bytes = 0
        self.mismatches: list[tuple[int, int]] = []
        display = app._display

        def spy(screen, update):
            if isinstance(update, (LayoutUpdate, ChopsUpdate)):
                self._feed(update, app.console, screen._compositor)
            return display(screen, update)

        app._display = spy

    def _feed(self, update, console, compositor) -> None:
        textual, ours = update.render_segments(console), self.writer.render(update, console, compositor)
        self.textual_bytes += len(textual.encode())
        self.our_bytes += len(ours.encode())
        self._textual_stream.feed(textual)
        self._our_stream.feed(ours)
        self.mismatches += [(y, x) for y in range(24) for x in range(80)
                            if self.textual.buffer[y][x] != self.ours.buffer[y][x]]

    def measure(self) -> None:
        """Count bytes from now on (the terminals keep what they show)."""
        self.textual_bytes = self.our_bytes = 0

    def text(self) -> str:
        return "\n".join(self.ours.display)


async def test_the_claim_flow_shows_the_same_cells_as_textual_would(make_app):
    app = make_app()
    terminals = TwoTerminals(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, *SITI.nib, "enter", *SITI.secret, "enter")
        await ui.until(pilot, lambda: ui.at(app, "menu.title"))
        await open_form(pilot)
        await type_form(pilot)
        await ui.keys(pilot, "f5")
        await ui.until(pilot, lambda: ui.at(app, "claim.personal_title"))
        await pilot.pause()
    assert terminals.mismatches == []
    assert ui.t("claim.personal_title") in terminals.text()
    assert terminals.our_bytes < terminals.textual_bytes / 2


async def test_a_screen_opening_is_sent_at_most_once(make_app):
    """Textual draws the claim type list whole three or four times as it opens; the terminal
    receives it once: no more than one of Textual's own frames of the finished screen."""
    app = make_app(signed_in=SITI)
    terminals = TwoTerminals(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.until(pilot, lambda: ui.at(app, "menu.title"))
        await pilot.pause()
        terminals.measure()
        await ui.keys(pilot, "1")
        await ui.until(pilot, lambda: ui.at(app, "claim.type_title"))
        await pilot.pause()
        one_frame = len(app.screen._compositor.render_full_update().render_segments(app.console).encode())
    assert terminals.mismatches == []
    assert terminals.textual_bytes > 2 * one_frame
    assert terminals.our_bytes < one_frame


async def test_an_unchanged_line_is_not_sent_again(make_app):
    """A whole frame of the same screen again (Textual repaints after its children mount)
    sends nothing; a new size forgets what the terminal showed, and everything is sent."""
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.until(pilot, lambda: ui.at(app, "menu.title"))
        await pilot.pause()
        writer = FrameWriter()
        compositor = app.screen._compositor
        first = writer.render(compositor.render_full_update(), app.console, compositor)
        again = writer.render(compositor.render_full_update(), app.console, compositor)
        writer.forget()
        after_forget = writer.render(compositor.render_full_update(), app.console, compositor)
    assert ui.t("menu.title") in first
    assert again == ""
    assert after_forget == first


@pytest.mark.parametrize("color_system", ["standard", "256", "truecolor"])
def test_style_changes_come_out_as_textual_writes_them(color_system):
    """Every change between these styles (attributes on and off, default, 16-colour, 256-colour
    and true colours) leaves the same cells as Textual's full sequence and reset per piece."""
    styles = [Style.parse(text) for text in (
        "bold #d7ffff on #0087d7", "on #0087d7", "dim red", "bold italic underline red on black",
        "reverse", "default on default", "bright_green on grey11", "strike blue", "")]
    line = Strip([Segment(f"{index}{text[:3]}", style or None) for index, style in enumerate(styles * 2)
                  for text in ("ab ", "cd")])
    console = Console(color_system=color_system, force_terminal=True, width=80)
    textual, ours = pyte.Screen(80, 2), pyte.Screen(80, 2)
    update = LayoutUpdate([[line.adjust_cell_length(80)], [line.adjust_cell_length(80)]], Region(0, 0, 80, 2))
    pyte.Stream(textual).feed(update.render_segments(console))
    pyte.Stream(ours).feed(FrameWriter().render(update, console, None))
    assert [[textual.buffer[y][x] for x in range(80)] for y in range(2)] == \
        [[ours.buffer[y][x] for x in range(80)] for y in range(2)]
