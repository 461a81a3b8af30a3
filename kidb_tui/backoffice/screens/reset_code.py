"""The one-time reset code, shown once in large characters with its validity; it leaves the
screen (and this object) as soon as the officer goes back."""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from kidb_tui.backoffice.screens.base import BackofficeScreen
from kidb_tui.services import reset_codes


class ResetCodeScreen(BackofficeScreen[None]):
    TITLE_KEY = "bo.code.title"
    HELP_TOPIC = "reset_code"
    BINDINGS = [
        *BackofficeScreen.BINDINGS,
        Binding("enter", "done", "bo.key.done", key_display="Enter"),
        Binding("escape", "done", "bo.key.done", show=False),
    ]

    def __init__(self, nib: str, code: str, expires_at: datetime) -> None:
        super().__init__()
        self.nib = nib
        self.code = code
        self.expires_at = expires_at

    def compose_body(self) -> ComposeResult:
        with Vertical(id="reset-code-box", classes="card"):
            yield self.say("bo.code.lead", classes="lead", nib=self.nib)
            with Horizontal(id="reset-code"):
                for index, char in enumerate(self.code):
                    classes = "code-char -group" if index and index % 4 == 0 else "code-char"
                    yield Static(char, markup=False, classes=classes)
            yield self.say("bo.code.valid", classes="lead", minutes=reset_codes.VALID_MINUTES, expires_at=self.expires_at)
            yield self.say("bo.code.how", classes="hint")
            yield self.say("bo.code.once", classes="hint")

    async def action_done(self) -> None:
        self.code = ""
        await self.query_one("#reset-code").remove_children()
        self.app.pop_screen()
