"""Daftar Pencairan, step 5: the whole claim at a glance, then "Simpan" after the PIN/password again.

Saving runs in a worker thread (argon2). The idempotency key made when the form opened goes
with every attempt, so pressing Simpan twice or retrying after an error makes one claim only.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Static

from kidb_tui.errors import AuthError, DomainError, FormErrors, ValidationError
from kidb_tui.masked import SecretStr, masked
from kidb_tui.money import format_rupiah
from kidb_tui.screens.base import KioskScreen
from kidb_tui.screens.claim.flow import ValidDraft, claim_type, document_names, summary_row
from kidb_tui.screens.claim.receipt import ReceiptScreen
from kidb_tui.services import claims
from kidb_tui.services.auth import Identity
from kidb_tui.services.claims import Receipt
from kidb_tui.services.masking import mask_tail
from kidb_tui.services.profile import Contact
from kidb_tui.services.runtime import Runtime
from kidb_tui.widgets.form_field import FormField

LOCKED = "auth.reauth_locked"


class ConfirmScreen(KioskScreen):
    TITLE_KEY = "claim.confirm_title"
    BINDINGS = [
        *KioskScreen.BINDINGS,
        Binding("f5", "save", "key.save"),
        Binding("escape", "back", "key.back"),
        Binding("pagedown", "scroll_summary(1)", show=False),
        Binding("pageup", "scroll_summary(-1)", show=False),
    ]

    def __init__(self, step: ValidDraft, contact: Contact) -> None:
        super().__init__()
        self.step = step
        self.contact = contact
        self.saving = False

    def compose_body(self) -> ComposeResult:
        clean, contact = self.step.clean, self.contact
        info = claim_type(self.rt, clean.type_code)
        with VerticalScroll(id="summary", classes="card"):
            yield Static(self.t("claim.confirm_lead"), markup=False, classes="lead")
            yield from summary_row(self.t("field.claim_type"), info.name(self.app.i18n.language))
            yield from summary_row(self.t("claim.amount"), format_rupiah(clean.amount))
            yield from summary_row(
                self.t("field.bank"),
                self.t("claim.account_summary", bank=clean.bank_name, account=mask_tail(clean.account_number)),
            )
            yield from summary_row(self.t("field.account_holder"), clean.account_holder)
            yield from summary_row(self.t("field.reason"), clean.reason)
            yield from summary_row(self.t("field.documents"), ", ".join(document_names(self, clean.documents)))
            yield from summary_row(self.t("field.address"), contact.address)
            yield from summary_row(self.t("field.postal_code"), contact.postal_code)
            yield from summary_row(self.t("field.phone"), contact.phone)
            yield from summary_row(self.t("field.email"), contact.email)
        with Vertical(id="confirm-box", classes="card"):
            yield Static(self.t("claim.confirm_secret_hint"), markup=False, classes="hint")
            placeholder = self.t("login.secret_placeholder")
            yield FormField("secret", Input(id="secret", password=True, max_length=128, placeholder=placeholder))
            with Horizontal(classes="buttons"):
                yield Button(self.t("claim.save_button"), id="save", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#secret", Input).focus()

    def after_relabel(self) -> None:
        self._busy(self.saving)

    def action_scroll_summary(self, direction: int) -> None:
        summary = self.query_one("#summary", VerticalScroll)
        if direction > 0:
            summary.scroll_page_down()
        else:
            summary.scroll_page_up()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("save", "back"):
            return not self.saving
        return True

    @on(Input.Submitted, "#secret")
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        if self.saving:
            return
        self.clear_errors()
        if not self.query_one("#secret", Input).value:
            self.show_error(FormErrors([ValidationError("secret", "required")]))
            return
        self._busy(True)
        self.set_status(self.t("claim.saving"))
        self._submit(self.rt, self.identity, masked(self.query_one("#secret", Input).value))

    @work(thread=True, group="claim-submit")
    def _submit(self, rt: Runtime, identity: Identity, secret: SecretStr) -> None:
        try:
            receipt = claims.submit_claim(rt, identity, self.step.draft, self.contact, secret, self.step.key)
        except DomainError as error:
            self.app.call_from_thread(self._failed, error)
            return
        self.app.call_from_thread(self._saved, receipt)

    def _busy(self, busy: bool) -> None:
        self.saving = busy
        for widget in self.query("#secret, #save"):
            widget.disabled = busy
        self.refresh_bindings()

    def _saved(self, receipt: Receipt) -> None:
        self.app.switch_screen(ReceiptScreen(receipt))

    async def _failed(self, error: DomainError) -> None:
        if isinstance(error, AuthError) and error.key == LOCKED:
            message = self.app.i18n.error(error)
            await self.app.sign_out(reason="locked")
            self.app.screen.set_status(message, error=True)
            return
        self._busy(False)
        secret = self.query_one("#secret", Input)
        secret.value = ""
        secret.focus()
        if isinstance(error, FormErrors):
            messages = [self.app.i18n.error(item) for item in error.errors]
            self.set_status(" ".join([*messages, self.t("claim.go_back_to_fix")]), error=True)
            return
        message = self.app.i18n.error(error)
        if isinstance(error, AuthError):
            self.query_one("#field-secret", FormField).show_error(message)
        self.set_status(message, error=True)

    def action_back(self) -> None:
        self.app.pop_screen()
