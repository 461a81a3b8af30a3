"""Daftar Pencairan, step 5: the whole claim at a glance (the full account number, on the
participant's own screen only, so a typo is caught; the estimated tax and net payout), then
"Simpan" after the PIN/password again.

Saving runs in a worker thread (argon2). The idempotency key made when the form opened goes
with every attempt, so pressing Simpan twice or retrying after an error makes one claim only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Input

from kidb_tui.errors import AuthError, DomainError, FormErrors, ValidationError
from kidb_tui.masked import SecretStr, masked
from kidb_tui.money import format_rupiah
from kidb_tui.screens.base import KioskScreen
from kidb_tui.screens.claim.common import ValidDraft, document_names
from kidb_tui.screens.messages import SignOutRequested
from kidb_tui.services import claims
from kidb_tui.services.profile import Contact
from kidb_tui.validation import phone_national
from kidb_tui.widgets.form_field import FormField
from kidb_tui.widgets.line_input import LineInput
from kidb_tui.widgets.text import Block, KeyButton, Sheet

if TYPE_CHECKING:
    from kidb_tui.screens.claim.flow import ClaimFlow

LOCKED = "auth.reauth_locked"


class ConfirmScreen(KioskScreen[None]):
    TITLE_KEY = "claim.confirm_title"
    BINDINGS = [
        *KioskScreen.BINDINGS,
        Binding("f5", "save", "key.save"),
        Binding("escape", "back", "key.back"),
        Binding("pagedown", "scroll_summary(1)", show=False),
        Binding("pageup", "scroll_summary(-1)", show=False),
    ]

    def __init__(self, flow: ClaimFlow, step: ValidDraft, contact: Contact) -> None:
        super().__init__()
        self.flow = flow
        self.step = step
        self.contact = contact
        self.saving = False

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="summary", classes="card", can_focus=False):
            yield Block(self._summary)
        with Vertical(id="confirm-box", classes="card"):
            yield self.say("claim.confirm_secret_hint", classes="hint")
            yield FormField("secret", LineInput(id="secret", password=True, max_length=128),
                            placeholder_key="login.secret_placeholder")
            yield KeyButton("claim.save_button", id="save", variant="primary")

    def _summary(self, block: Block) -> Sheet:
        clean, contact = self.step.clean, self.contact
        assert self.flow.requirements is not None
        info = self.flow.requirements.info
        rows = [
            (self.t("field.claim_type"), info.name(self.terminal.language)),
            (self.t("claim.amount"), format_rupiah(clean.amount)),
            *self._payout_rows(),
            (self.t("field.bank"), self.t("claim.account_summary", bank=clean.bank_name,
                                          account=clean.account_number)),
            (self.t("field.account_holder"), clean.account_holder),
            (self.t("field.reason"), clean.reason),
            (self.t("field.documents"), ", ".join(document_names(self.t, clean.documents))),
            (self.t("field.address"), contact.address),
            (self.t("field.postal_code"), contact.postal_code),
            (self.t("field.phone"), phone_national(contact.phone)),
            (self.t("field.email"), contact.email),
        ]
        return Sheet(Content(""), block.sheet_heading(self.t("claim.confirm_lead")), Content(""), block.sheet_rows(rows))

    def _payout_rows(self) -> list[tuple[str, str]]:
        """The estimated tax and what reaches the account, for a type a tax rule applies to."""
        payout = self.step.clean.payout
        if payout.rule is None:
            return []
        return [(self.t("claim.payout_tax_label"), self.t("claim.payout_tax", tax_amount=payout.tax_amount)),
                (self.t("claim.payout_net_label"), self.t("claim.payout_net", net_amount=payout.net_amount))]

    def on_mount(self) -> None:
        """The PIN field focused now: the first frame shows it focused."""
        self.focus_now(self.query_one("#secret", Input))

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
        self._submit(masked(self.query_one("#secret", Input).value))

    @work(thread=True, group="claim-submit")
    def _submit(self, secret: SecretStr) -> None:
        try:
            receipt = claims.submit_claim(self.rt, self.identity, self.step.draft, self.contact, secret, self.step.key)
        except DomainError as error:
            self.app.call_from_thread(self._failed, error)
            return
        self.app.call_from_thread(self.flow.saved, receipt)

    def _busy(self, busy: bool) -> None:
        """While the claim is saved, Simpan and Esc do nothing (the key bar drops them) and keys
        typed meanwhile wait for the answer (kidb_tui/type_ahead.py); the PIN field and the button
        are not disabled, which restyled and redrew them on the way to the receipt."""
        self.saving = busy
        self.refresh_bindings()

    def system_busy(self) -> None:
        self._busy(False)
        super().system_busy()

    def _failed(self, error: DomainError) -> None:
        i18n = self.terminal.i18n
        if isinstance(error, AuthError) and error.key == LOCKED:
            self.post_message(SignOutRequested("locked", i18n.error(error)))
            return
        self._busy(False)
        secret = self.query_one("#secret", Input)
        secret.value = ""
        secret.focus()
        if isinstance(error, FormErrors):
            errors = error.errors
            self.set_status(lambda: " ".join([*(i18n.error(item) for item in errors), self.t("claim.go_back_to_fix")]),
                            error=True)
            return
        if isinstance(error, AuthError):
            self.query_one("#field-secret", FormField).show_error(lambda: i18n.error(error))
        self.set_status(lambda: i18n.error(error), error=True)

    def action_back(self) -> None:
        self.app.pop_screen()
