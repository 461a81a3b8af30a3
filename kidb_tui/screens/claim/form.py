"""Daftar Pencairan, step 3: amount, destination account, reason and the documents to bring."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Select, Static

from kidb_tui.errors import DomainError
from kidb_tui.money import format_rupiah, parse_rupiah
from kidb_tui.screens.base import KioskScreen
from kidb_tui.screens.claim.flow import ValidDraft, claim_type, document_names
from kidb_tui.screens.claim.personal_data import PersonalDataScreen
from kidb_tui.services import claims, reference, requirements
from kidb_tui.services.claims import ClaimDraft
from kidb_tui.services.profile import Contact
from kidb_tui.services.reference import BankInfo
from kidb_tui.widgets.checklist import Checklist
from kidb_tui.widgets.form_field import FormField
from kidb_tui.widgets.hinted_field import HintedField


class ClaimFormScreen(KioskScreen):
    TITLE_KEY = "claim.form_title"
    BINDINGS = [
        *KioskScreen.BINDINGS,
        Binding("f5", "next", "key.next"),
        Binding("escape", "back", "key.back"),
    ]

    def __init__(self, type_code: str) -> None:
        super().__init__()
        self.type_code = type_code
        self.idempotency_key = claims.new_idempotency_key()
        self.contact: Contact | None = None
        self._banks: dict[str, BankInfo] = {}

    def compose_body(self) -> ComposeResult:
        info = claim_type(self.rt, self.type_code)
        self._banks = {bank.code: bank for bank in reference.banks(self.rt)}
        report = requirements.check(self.rt, self.identity.participant_id, self.type_code)
        prefill = format_rupiah(report.max_amount)[2:] if info.full_balance else ""
        lead_key = "claim.form_lead_full" if info.full_balance else "claim.form_lead"
        with VerticalScroll(id="claim-form", classes="card"):
            yield Static(
                self.t(lead_key, type=info.name(self.app.i18n.language), max_amount=report.max_amount),
                markup=False, classes="lead",
            )
            yield HintedField("amount", self._input("amount", 20, "claim.amount_placeholder", prefill))
            banks = [(bank.name, bank.code) for bank in self._banks.values()]
            yield FormField("bank", Select(banks, prompt=self.t("claim.bank_prompt"), compact=True, id="bank"))
            yield HintedField("account_number", self._input("account_number", 40, "claim.account_placeholder"))
            yield FormField("account_holder", self._input("account_holder", 120, "claim.holder_placeholder"))
            yield FormField("reason", self._input("reason", 500, "claim.reason_placeholder"))
            yield Checklist(
                "documents", list(zip(info.documents, document_names(self, info.documents), strict=True)),
                hint=self.t("claim.documents_hint"), prefix="doc",
            )
            with Horizontal(classes="buttons"):
                yield Button(self.t("claim.next_button"), id="next", variant="primary")

    def _input(self, name: str, max_length: int, placeholder_key: str, value: str = "") -> Input:
        return Input(value, id=name, max_length=max_length, placeholder=self.t(placeholder_key))

    def on_mount(self) -> None:
        self._update_hints()
        self.query_one("#amount", Input).focus()

    def after_relabel(self) -> None:
        self._update_hints()

    @on(Input.Changed, "#amount")
    @on(Select.Changed, "#bank")
    def _update_hints(self) -> None:
        self.query_one("#field-amount", HintedField).set_hint(self._amount_preview())
        bank = self._banks.get(self._bank_code())
        account_hint = self.t("claim.account_length_hint", length=bank.account_length) if bank else ""
        self.query_one("#field-account_number", HintedField).set_hint(account_hint)

    @on(Select.Changed, "#bank")
    def _bank_chosen(self) -> None:
        if self.focused is self.query_one("#bank", Select):
            self.focus_next()

    def _amount_preview(self) -> str:
        try:
            return f"= {format_rupiah(parse_rupiah(self.query_one('#amount', Input).value))}"
        except ValueError:
            return ""

    def _bank_code(self) -> str:
        value = self.query_one("#bank", Select).value
        return value if isinstance(value, str) else ""

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    def draft(self) -> ClaimDraft:
        return ClaimDraft(
            type_code=self.type_code,
            amount=self.query_one("#amount", Input).value,
            bank_code=self._bank_code(),
            account_number=self.query_one("#account_number", Input).value,
            account_holder=self.query_one("#account_holder", Input).value,
            reason=self.query_one("#reason", Input).value,
            documents=self.query_one(Checklist).value,
        )

    @on(Button.Pressed, "#next")
    def action_next(self) -> None:
        draft = self.draft()
        self.clear_errors()
        try:
            clean = claims.validate_draft(self.rt, self.identity, draft)
        except DomainError as error:
            self.show_error(error)
            return
        step = ValidDraft(self.idempotency_key, draft, clean)
        self.app.push_screen(PersonalDataScreen(step, self.contact), callback=self._keep_contact)

    def _keep_contact(self, contact: Contact | None) -> None:
        """The personal data step hands back what was typed there when the participant goes back."""
        if contact is not None:
            self.contact = contact

    def action_back(self) -> None:
        self.app.pop_screen()
