"""Account activation: an imported participant proves NIB + NIK + birth date, then chooses a
PIN or password under the secret policy, and is signed in. A blocked card is refused once the
identity is proven, as at login. With a mail server, a code goes to the email on record, and
once the account is made (the identity proven) the Verifikasi email screen opens over the menu:
it shows that address, says how to correct it, and takes the code now or later (menu 8)."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input

from kidb_tui.errors import AuthError, DomainError
from kidb_tui.masked import SecretStr
from kidb_tui.screens.account.verify_email import VerifyEmailScreen
from kidb_tui.screens.auth.new_secret import NewSecretScreen
from kidb_tui.screens.messages import SignedIn
from kidb_tui.services import auth
from kidb_tui.services.auth import Identity
from kidb_tui.widgets.form_field import FormField
from kidb_tui.widgets.line_input import LineInput
from kidb_tui.widgets.text import KeyButton


class ActivationScreen(NewSecretScreen):
    TITLE_KEY = "activation.title"

    def compose_body(self) -> ComposeResult:
        with Vertical(id="activation-box", classes="card auth-form"):
            yield self.say("activation.intro", classes="intro")
            yield FormField("nib", LineInput(id="nib", max_length=20), placeholder_key="activation.nib_placeholder")
            yield FormField("nik", LineInput(id="nik", max_length=20), placeholder_key="activation.nik_placeholder")
            yield FormField("birth_date", LineInput(id="birth_date", max_length=10),
                            placeholder_key="activation.birth_date_placeholder")
            yield from self.secret_fields()
            with Horizontal(classes="buttons"):
                yield KeyButton("activation.submit", id="submit", variant="primary")
                yield self.say("activation.keys_hint", classes="button-hint")

    def on_mount(self) -> None:
        self.query_one("#nib", Input).focus()

    @on(Input.Submitted, "#nib, #nik, #birth_date, #secret")
    def _next_field(self) -> None:
        self.focus_next()

    @on(Input.Submitted, "#secret_confirm")
    @on(Button.Pressed, "#submit")
    def submit(self) -> None:
        values = [self.query_one(f"#{name}", Input).value for name in ("nib", "nik", "birth_date")]
        self.clear_errors()
        self.set_busy(True)
        self.set_status(self.t("activation.checking"))
        self._activate(*values, *self.chosen_secret())

    @work(thread=True, exclusive=True, group="activation")
    def _activate(
        self, nib: str, nik: str, birth_date: str, kind: str, secret: SecretStr, confirmation: SecretStr
    ) -> None:
        try:
            identity = auth.activate(self.rt, nib, nik, birth_date, kind, secret, confirmation)
        except DomainError as error:
            self.app.call_from_thread(self._refused, error)
            return
        self.app.call_from_thread(self._activated, identity)

    def _activated(self, identity: Identity) -> None:
        title = self.t("activation.done_title")
        if self.rt.settings.mail_configured:
            self.post_message(SignedIn(identity, self.t("activation.done_code_sent"), title, follow=VerifyEmailScreen))
        else:
            self.post_message(SignedIn(identity, self.t("activation.done"), title))

    def _refused(self, error: DomainError) -> None:
        if self.show_form_errors(error):
            return
        if isinstance(error, AuthError) and error.key == "activation.mismatch":
            settings = self.rt.settings
            self.set_status(lambda: self.t(error.key, attempts=settings.lock_threshold, minutes=settings.lock_minutes),
                            error=True)
            self.query_one("#nib", Input).focus()
            return
        self.show_error(error)
        self.clear_new_secret()
