"""Verifikasi email: the address on record and whether it is proven; a 6-digit code is asked
for here (or was sent when the address was entered) and typed back. A branch without a mail
server says so plainly, and the address stays on record unverified."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input

from kidb_tui.errors import DomainError
from kidb_tui.masked import SecretStr, masked
from kidb_tui.screens.base import KioskScreen
from kidb_tui.services import verification
from kidb_tui.services.verification import EmailStatus
from kidb_tui.widgets.form_field import FormField
from kidb_tui.widgets.text import Block, KeyButton


class VerifyEmailScreen(KioskScreen[EmailStatus]):
    TITLE_KEY = "verify.title"
    BINDINGS = [*KioskScreen.BINDINGS, Binding("escape", "app.pop_screen", "key.back")]

    def compose_body(self) -> ComposeResult:
        with Vertical(id="verify-box", classes="card"):
            yield Block(self._state, id="verify-state")
            yield FormField("email_code", Input(id="email_code", max_length=6, restrict=r"[0-9]*"),
                            placeholder_key="verify.code_placeholder")
            with Horizontal(classes="buttons"):
                yield KeyButton("verify.submit", id="submit", variant="primary")
                yield KeyButton("verify.send", id="send")

    def load(self) -> EmailStatus:
        return verification.status(self.rt, self.identity.participant_id)

    def show(self, view: EmailStatus) -> None:
        usable = view.mail_configured and bool(view.email) and not view.verified
        for widget in self.query("#field-email_code, .buttons"):
            widget.display = usable
        self.query_one("#verify-state", Block).refresh(layout=True)
        if usable:
            self.focus_now(self.query_one("#email_code", Input))

    def _state(self, block: Block) -> str:
        view = self.view
        if view is None:
            return self.t("verify.loading")
        lines = [self.t("verify.on_record", email=view.email or "-")]
        if view.verified:
            lines.append(self.t("verify.is_verified"))
        elif not view.mail_configured:
            lines.append(self.t("verify.no_mail"))
        elif not view.email:
            lines.append(self.t("verify.no_email"))
        else:
            lines.append(self.t("verify.code_sent" if view.code_pending else "verify.ask_code"))
        return "\n\n".join(lines)

    @on(Button.Pressed, "#send")
    def send(self) -> None:
        self.clear_errors()
        self._send(self.terminal.language)

    @work(thread=True, exclusive=True, group="verify")
    def _send(self, language: str) -> None:
        try:
            verification.send_code(self.rt, self.identity.participant_id, language)
        except DomainError as error:
            self.app.call_from_thread(self.show_error, error)
            return
        self.app.call_from_thread(self._sent)

    def _sent(self) -> None:
        self.set_status(self.t("verify.sent_status"))
        self.reload()

    @on(Input.Submitted, "#email_code")
    @on(Button.Pressed, "#submit")
    def submit(self) -> None:
        self.clear_errors()
        self._verify(masked(self.query_one("#email_code", Input).value))

    @work(thread=True, exclusive=True, group="verify")
    def _verify(self, code: SecretStr) -> None:
        try:
            verification.verify(self.rt, self.identity.participant_id, code)
        except DomainError as error:
            self.app.call_from_thread(self._refused, error)
            return
        self.app.call_from_thread(self._verified)

    def _refused(self, error: DomainError) -> None:
        self.query_one("#email_code", Input).value = ""
        self.show_error(error)
        self.query_one("#email_code", Input).focus()

    def _verified(self) -> None:
        self.set_status(self.t("verify.done"))
        self.reload()
