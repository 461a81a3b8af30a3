"""PIN reset at the kiosk: the participant types the one-time code an officer gave them at the
counter (after seeing their KTP) and chooses a new PIN or password; the officer never sees it."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input

from kidb_tui.errors import AuthError, DomainError
from kidb_tui.masked import SecretStr, masked
from kidb_tui.screens.auth.new_secret import NewSecretScreen
from kidb_tui.screens.messages import SignedIn
from kidb_tui.services import reset_codes
from kidb_tui.services.auth import Identity
from kidb_tui.widgets.form_field import FormField
from kidb_tui.widgets.line_input import LineInput
from kidb_tui.widgets.text import KeyButton


class ResetScreen(NewSecretScreen):
    TITLE_KEY = "reset.title"

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="reset-box", classes="card auth-form", can_focus=False):
            yield self.say("reset.intro", classes="intro")
            yield FormField("nib", LineInput(id="nib", max_length=20), placeholder_key="login.nib_placeholder")
            yield FormField("reset_code", LineInput(id="reset_code", max_length=12), placeholder_key="reset.code_placeholder")
            yield from self.secret_fields("reset.new_secret", "reset.new_secret_confirm")
            with Horizontal(classes="buttons"):
                yield KeyButton("reset.submit", id="submit", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#nib", Input).focus()

    @on(Input.Submitted, "#nib, #reset_code, #secret")
    def _next_field(self) -> None:
        self.focus_next()

    @on(Input.Submitted, "#secret_confirm")
    @on(Button.Pressed, "#submit")
    def submit(self) -> None:
        nib = self.query_one("#nib", Input).value
        self.clear_errors()
        self.set_busy(True)
        self.set_status(self.t("reset.checking"))
        self._redeem(nib, masked(self.query_one("#reset_code", Input).value), *self.chosen_secret())

    @work(thread=True, exclusive=True, group="reset")
    def _redeem(self, nib: str, code: SecretStr, kind: str, secret: SecretStr, confirmation: SecretStr) -> None:
        try:
            identity = reset_codes.redeem(self.rt, nib, code, kind, secret, confirmation)
        except DomainError as error:
            self.app.call_from_thread(self._refused, error)
            return
        self.app.call_from_thread(self._done, identity)

    def _done(self, identity: Identity) -> None:
        self.post_message(SignedIn(identity, self.t("reset.done")))

    def _refused(self, error: DomainError) -> None:
        if self.show_form_errors(error):
            return
        self.show_error(error)
        if isinstance(error, AuthError):
            code = self.query_one("#reset_code", Input)
            code.value = ""
            code.focus()
