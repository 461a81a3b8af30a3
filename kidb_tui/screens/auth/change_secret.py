"""Ganti PIN: the current secret, then a new PIN or password typed twice under the same policy."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input

from kidb_tui.errors import AuthError, DomainError, FormErrors, ValidationError
from kidb_tui.masked import SecretStr, masked
from kidb_tui.screens.auth.new_secret import NewSecretScreen
from kidb_tui.screens.messages import SignOutRequested
from kidb_tui.services import auth
from kidb_tui.widgets.form_field import FormField
from kidb_tui.widgets.line_input import LineInput
from kidb_tui.widgets.text import KeyButton


class ChangeSecretScreen(NewSecretScreen):
    TITLE_KEY = "change.title"

    def compose_body(self) -> ComposeResult:
        with Vertical(id="change-box", classes="card auth-form"):
            yield self.say("change.intro", classes="intro")
            yield FormField("secret_current", LineInput(id="secret_current", password=True, max_length=128),
                            placeholder_key="change.current_placeholder")
            yield from self.secret_fields("change.new_secret", "change.new_secret_confirm")
            with Horizontal(classes="buttons"):
                yield KeyButton("change.submit", id="submit", variant="primary")
                yield self.say("change.keys_hint", classes="button-hint")

    def on_mount(self) -> None:
        self.query_one("#secret_current", Input).focus()

    @on(Input.Submitted, "#secret_current, #secret")
    def _next_field(self) -> None:
        self.focus_next()

    @on(Input.Submitted, "#secret_confirm")
    @on(Button.Pressed, "#submit")
    def submit(self) -> None:
        kind, secret, confirmation = self.chosen_secret()
        self.clear_errors()
        if not self.query_one("#secret_current", Input).value:
            self.show_error(FormErrors([ValidationError("secret_current", "required")]))
            return
        self.set_busy(True)
        self.set_status(self.t("change.checking"))
        self._change(masked(self.query_one("#secret_current", Input).value), kind, secret, confirmation)

    @work(thread=True, exclusive=True, group="change_secret")
    def _change(self, current: SecretStr, kind: str, secret: SecretStr, confirmation: SecretStr) -> None:
        try:
            auth.change_secret(self.rt, self.identity, current, kind, secret, confirmation)
        except DomainError as error:
            self.app.call_from_thread(self._refused, error)
            return
        self.app.call_from_thread(self._changed)

    def _changed(self) -> None:
        self.app.pop_screen()
        self.app.notify(self.t("change.done"), title=self.t("change.done_title"), timeout=10, markup=False)

    def _refused(self, error: DomainError) -> None:
        self.set_busy(False)
        if isinstance(error, AuthError) and error.key == "auth.reauth_locked":
            self.post_message(SignOutRequested("locked", self.terminal.i18n.error(error)))
            return
        if self.show_form_errors(error):
            return
        self.show_error(error)
        current = self.query_one("#secret_current", Input)
        current.value = ""
        self.query_one("#field-secret_current", FormField).show_error(lambda: self.terminal.i18n.error(error))
        current.focus()
