"""Modals that guard a shared terminal: confirm leaving (kiosk quit keys), the idle countdown,
and the apology after an unexpected error wiped the session."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmLeaveScreen(ModalScreen[bool]):
    """"Log out and return to the login screen?" — Ya / Tidak."""

    BINDINGS = [Binding("escape", "stay", show=False), Binding("y", "leave", show=False), Binding("n", "stay", show=False)]

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Static(self.app.t("session.leave_question"), markup=False, classes="lead")
            with Horizontal(classes="buttons"):
                yield Button(self.app.t("session.leave_yes"), id="leave", variant="error")
                yield Button(self.app.t("session.leave_no"), id="stay", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#stay", Button).focus()

    @on(Button.Pressed, "#leave")
    def action_leave(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#stay")
    def action_stay(self) -> None:
        self.dismiss(False)


class CountdownScreen(ModalScreen[None]):
    """The last seconds before the session is wiped; any key closes it (idle case)."""

    def __init__(self, seconds: int, reason: str) -> None:
        super().__init__()
        self.seconds = seconds
        self.reason = reason

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Static(self._text(), markup=False, id="countdown", classes="lead")

    def _text(self) -> str:
        return self.app.t(f"session.countdown_{self.reason}", seconds=self.seconds)

    def update_seconds(self, seconds: int) -> None:
        self.seconds = seconds
        self.query_one("#countdown", Static).update(self._text())


class ApologyScreen(ModalScreen[None]):
    """"Sorry, something went wrong": the session was closed; Enter returns to the login screen.
    Shown above a fresh login screen, so nothing of the previous session is behind it."""

    BINDINGS = [Binding("enter", "close", show=False), Binding("escape", "close", show=False)]

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Static(self.app.t("session.error_title"), markup=False, classes="lead")
            yield Static(self.app.t("session.error_body"), markup=False, id="apology")
            with Horizontal(classes="buttons"):
                yield Button(self.app.t("session.error_ok"), id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    @on(Button.Pressed, "#ok")
    def action_close(self) -> None:
        self.dismiss(None)
