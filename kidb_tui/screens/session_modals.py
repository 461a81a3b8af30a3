"""Modals that guard a shared terminal: confirm leaving (kiosk quit keys), the idle countdown,
and the apology after an unexpected error wiped the session. They follow the language key."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button

from kidb_tui.widgets.text import KeyButton, Say, Translated

if TYPE_CHECKING:
    from kidb_tui.terminal_app import TerminalApp


class SessionModal(ModalScreen[bool | None]):
    """A modal whose texts are redrawn when the language changes."""

    def t(self, key: str, **params: object) -> str:
        return cast("TerminalApp", self.app).t(key, **params)

    def say(self, key: str, *, id: str | None = None, classes: str | None = None, **params: object) -> Say:
        return Say(lambda: self.t(key, **params), id=id, classes=classes)

    def on_mount(self) -> None:
        self.watch(self.app, "language", self._relabel, init=False)

    def _relabel(self, _language: str) -> None:
        for widget in self.query("*"):
            if isinstance(widget, Translated):
                widget.relabel()


class ConfirmLeaveScreen(SessionModal):
    """"Log out and return to the login screen?" — Ya / Tidak."""

    BINDINGS = [Binding("escape", "stay", show=False), Binding("y", "leave", show=False), Binding("n", "stay", show=False)]

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield self.say("session.leave_question", classes="lead")
            with Horizontal(classes="buttons"):
                yield KeyButton("session.leave_yes", id="leave", variant="error")
                yield KeyButton("session.leave_no", id="stay", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#stay", Button).focus()

    @on(Button.Pressed, "#leave")
    def action_leave(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#stay")
    def action_stay(self) -> None:
        self.dismiss(False)


class CountdownScreen(SessionModal):
    """The last seconds before the session is wiped; any key closes it (idle case)."""

    def __init__(self, seconds: int, reason: str) -> None:
        super().__init__()
        self.seconds = seconds
        self.reason = reason

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Say(lambda: self.t(f"session.countdown_{self.reason}", seconds=self.seconds), id="countdown",
                      classes="lead")

    def update_seconds(self, seconds: int) -> None:
        self.seconds = seconds
        self.query_one("#countdown", Say).relabel()


class ApologyScreen(SessionModal):
    """"Sorry, something went wrong": the session was closed; Enter returns to the login screen.
    Shown above a fresh login screen, so nothing of the previous session is behind it."""

    BINDINGS = [Binding("enter", "close", show=False), Binding("escape", "close", show=False)]

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield self.say("session.error_title", classes="lead")
            yield self.say("session.error_body", id="apology")
            with Horizontal(classes="buttons"):
                yield KeyButton("session.error_ok", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    @on(Button.Pressed, "#ok")
    def action_close(self) -> None:
        self.dismiss(None)
