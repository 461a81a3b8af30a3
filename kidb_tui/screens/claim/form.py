"""Daftar Pencairan, step 3: amount, destination account, reason and the documents to bring.

The limit is stated as one sentence (the same as on the requirements); a type that pays the whole
balance shows its amount instead of asking for it; the holder starts as the participant's name
and the bank account as the one of their last claim (both editable, the account with a sentence
saying where it came from while it is unchanged). The reason is a multi-line area: Enter moves
on as in every field, Ctrl+J starts a new line."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Button, Input

from kidb_tui.errors import DomainError
from kidb_tui.money import amount_preview
from kidb_tui.screens.base import KioskScreen
from kidb_tui.screens.claim.common import BOLD, Requirements, ValidDraft
from kidb_tui.screens.claim.discard import leave_or_ask
from kidb_tui.services import claims, profile
from kidb_tui.services.claims import ClaimDraft, ClaimPrefill, CleanClaim
from kidb_tui.services.profile import ProfileView
from kidb_tui.validation import MAX_REASON
from kidb_tui.widgets.area import FormArea
from kidb_tui.widgets.checklist import Checklist, TickList
from kidb_tui.widgets.chooser import Chooser
from kidb_tui.widgets.css import add_default_css
from kidb_tui.widgets.form_field import AreaField, FormField, HintedField
from kidb_tui.widgets.line_input import LineInput
from kidb_tui.widgets.text import Block, KeyButton, Say

if TYPE_CHECKING:
    from kidb_tui.screens.claim.flow import ClaimFlow


NEW_CLASSES = (Checklist, Input, Chooser, FormArea, TickList)
"""The form's widget classes no screen before it shows, in the order it mounts them: their CSS is
added before the form is pushed (kidb_tui/widgets/css.py), so the sheet is parsed once, not at
each level of the form."""


class ClaimFormScreen(KioskScreen[ClaimPrefill]):
    TITLE_KEY = "claim.form_title"
    BINDINGS = [
        *KioskScreen.BINDINGS,
        Binding("f5", "next", "key.next"),
        Binding("f6", "all_documents", "claim.key_all_documents", priority=True),
        Binding("escape", "back", "key.back"),
    ]
    """F6 is a priority binding: Textual's TextArea (the reason) binds F6 to select its line."""

    def __init__(self, flow: ClaimFlow, requirements: Requirements, prefill: ClaimPrefill | None = None) -> None:
        super().__init__()
        self.flow = flow
        self.requirements = requirements
        self._banks = {bank.code: bank for bank in requirements.banks}
        if prefill is not None:  # read while the requirements were shown (the flow's); else read here
            self.preload(prefill)
        add_default_css(self.app, NEW_CLASSES)

    def compose_body(self) -> ComposeResult:
        info, report = self.requirements.info, self.requirements.report
        limit_key, limit_params = report.limit.text()
        with VerticalScroll(id="claim-form", classes="card", can_focus=False):
            yield Block(lambda block: Content.assemble((info.name(self.terminal.language), BOLD), "\n\n",
                                                       self.t(limit_key, **limit_params)), id="form-lead")
            amount = HintedField("amount", LineInput(id="amount", max_length=20), placeholder_key="claim.amount_placeholder")
            if report.fixed_amount is not None:
                amount.display = False
                yield Say(lambda: self.t("claim.amount_fixed", max_amount=report.fixed_amount), id="amount-fixed")
            yield amount
            banks = [(bank.name, bank.code) for bank in self._banks.values()]
            yield FormField("bank", Chooser(banks, prompt=lambda: self.t("claim.bank_prompt"), id="bank"))
            yield HintedField("account_number", LineInput(id="account_number", max_length=40),
                              placeholder_key="claim.account_placeholder")
            prefilled = self.say("claim.account_prefilled", id="account-prefilled", classes="hint")
            prefilled.display = False
            yield prefilled
            yield FormField("account_holder", LineInput(id="account_holder", max_length=120),
                            placeholder_key="claim.holder_placeholder")
            reason = FormArea(id="reason", max_length=MAX_REASON)
            yield AreaField("reason", reason, lambda: [self.t("claim.reason_new_line"),
                                                       self.t("claim.reason_left", count=reason.room)],
                            placeholder_key="claim.reason_placeholder")
            yield Checklist(
                "documents", [(code, partial(self.t, f"doc.{code}")) for code in info.documents],
                hint=lambda: self.t("claim.documents_hint"),
            )
            yield KeyButton("claim.next_button", id="next", variant="primary")

    def load(self) -> ClaimPrefill:
        return claims.prefill(self.rt, self.identity)

    def show(self, view: ClaimPrefill) -> None:
        """The starting values, unless something was typed there already."""
        holder = self.query_one("#account_holder", Input)
        holder.value = holder.value or view.account_holder
        if view.bank_code in self._banks and not self._bank_code():
            self.query_one("#bank", Chooser).value = view.bank_code
            self.query_one("#account_number", Input).value = view.account_number
        self._untouched = self.draft()
        self._update_hints()

    def on_mount(self) -> None:
        fixed = self.requirements.report.fixed_amount is not None
        self.focus_now(self.query_one("#bank", Chooser) if fixed else self.query_one("#amount", Input))
        self._update_hints()
        self._untouched = self.draft()

    def after_relabel(self) -> None:
        self.query_one("#bank", Chooser).relabel()

    @on(Input.Changed, "#amount")
    @on(Input.Changed, "#account_number")
    @on(Chooser.Changed, "#bank")
    def _update_hints(self) -> None:
        self.query_one("#field-amount", HintedField).set_hint(self._amount_preview())
        bank = self._banks.get(self._bank_code())
        self.query_one("#field-account_number", HintedField).set_hint(
            (lambda: self.t("claim.account_length_hint", length=bank.account_length)) if bank else "")
        last = self.view
        account = (self._bank_code(), self.query_one("#account_number", Input).value)
        self._show_prefilled(bool(last is not None and last.bank_code and account == (last.bank_code, last.account_number)))

    def _show_prefilled(self, shown: bool) -> None:
        """The line under the account number saying it is the one of the last claim (composed
        hidden: mounted when first shown, it laid the form out and drew it again after its first
        frame)."""
        self.query_one("#account-prefilled").display = shown

    @on(Chooser.Changed, "#bank")
    def _bank_chosen(self) -> None:
        if self.focused is self.query_one("#bank", Chooser):
            self.focus_next()

    def _amount_preview(self) -> str:
        return amount_preview(self.query_one("#amount", Input).value)

    def _bank_code(self) -> str:
        return self.query_one("#bank", Chooser).value

    def action_all_documents(self) -> None:
        """One key ticks every document the participant confirms they will bring."""
        self.query_one(Checklist).tick_all()
        self.query_one("#next", Button).focus()

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    def draft(self) -> ClaimDraft:
        return ClaimDraft(
            type_code=self.requirements.info.code,
            amount=self.query_one("#amount", Input).value,
            bank_code=self._bank_code(),
            account_number=self.query_one("#account_number", Input).value,
            account_holder=self.query_one("#account_holder", Input).value,
            reason=self.query_one("#reason", FormArea).text,
            documents=self.query_one(Checklist).value,
        )

    @on(Button.Pressed, "#next")
    def action_next(self) -> None:
        self.clear_errors()
        self._validate(self.draft())

    @work(thread=True, exclusive=True, group="validate")
    def _validate(self, draft: ClaimDraft) -> None:
        """The draft checked and, when it is valid, the contact data the next step shows read in
        the same worker: the personal-data step opens with its data (one frame, no load of its own)."""
        try:
            clean = claims.validate_draft(self.rt, self.identity, draft)
            view = profile.get_profile(self.rt, self.identity.participant_id)
        except DomainError as error:
            self.app.call_from_thread(self.show_error, error)
            return
        self.app.call_from_thread(self._valid, draft, clean, view)

    def _valid(self, draft: ClaimDraft, clean: CleanClaim, view: ProfileView) -> None:
        self.flow.form_valid(ValidDraft(self.flow.key, draft, clean), view)

    def action_back(self) -> None:
        """Back to the requirements; with something typed, only after "Batalkan pengisian?"."""
        leave_or_ask(self, self.draft() == self._untouched)
