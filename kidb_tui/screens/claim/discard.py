""""Batalkan pengisian?": asked before Esc leaves a form with something typed in it. The default
(focused, and Enter or Esc) is No, which keeps everything as it was."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button

from kidb_tui.screens.session_modals import SessionModal
from kidb_tui.widgets.text import KeyButton


class ConfirmDiscardScreen(SessionModal):
    """Dismissed with True (leave, losing what was typed) or False (stay)."""

    BINDINGS = [Binding("escape", "stay", show=False), Binding("y", "discard", show=False),
                Binding("n", "stay", show=False)]

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield self.say("form.discard_question", classes="lead")
            with Horizontal(classes="buttons"):
                yield KeyButton("form.discard_yes", id="discard", variant="error")
                yield KeyButton("form.discard_no", id="stay", variant="primary")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#stay", Button).focus()

    @on(Button.Pressed, "#discard")
    def action_discard(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#stay")
    def action_stay(self) -> None:
        self.dismiss(False)


def leave_or_ask(screen: Screen[object], unchanged: bool) -> None:
    """Close `screen` at once when nothing typed would be lost; else only after "Batalkan pengisian?"."""
    def discarded(discard: bool | None) -> None:
        if discard:
            screen.app.pop_screen()

    if unchanged:
        screen.app.pop_screen()
    else:
        screen.app.push_screen(ConfirmDiscardScreen(), discarded)
