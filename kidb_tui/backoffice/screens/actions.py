"""The claim actions, each a small form over the claim detail: assess (Penetapan), approve
(Persetujuan), record payment (Pembayaran), close (Selesai) and reject (Ditolak).

Every form calls its service, in a worker thread, with the version the officer saw. It closes
with an `ActionOutcome` the detail screen shows after reloading: the confirmation, or the
"changed by someone else" message when the claim moved underneath. Field errors and refusals
the officer must read in context (supervisor rule, balance) stay in the form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select

from kidb_tui.backoffice.screens.base import BackofficeScreen
from kidb_tui.errors import DomainError, NotFound
from kidb_tui.money import format_rupiah
from kidb_tui.services import review
from kidb_tui.services.review import REJECTION_CODES, ClaimDetail, ConcurrentChange
from kidb_tui.widgets.checklist import MarkCheckbox
from kidb_tui.widgets.form_field import FormField
from kidb_tui.widgets.text import KeyButton, Say

RELOAD_ERRORS = ("review.wrong_stage",)


def submit_key(label: str) -> Binding:
    """F10 saves from anywhere in the form; its label matches the form's button."""
    return Binding("f10", "submit", label, priority=True)


@dataclass(frozen=True)
class ActionOutcome:
    """What the detail screen shows on its status line after reloading the claim."""

    message: str
    error: bool = False


class ActionForm(BackofficeScreen[None], ModalScreen[ActionOutcome | None]):
    """A form in a box over the claim detail; F10 or the button saves, Esc goes back unchanged."""

    DEFAULT_CLASSES = "action-form"
    HELP_TOPIC = "form"
    BUTTON_KEY = "key.save"
    DONE_KEY = ""
    BINDINGS = [
        *BackofficeScreen.BINDINGS,
        submit_key("key.save"),
        Binding("escape", "cancel", "key.back"),
    ]

    def __init__(self, detail: ClaimDetail) -> None:
        super().__init__()
        self.detail = detail

    def compose_body(self) -> ComposeResult:
        with Vertical(id="action-form"):
            yield Say(self.lead, classes="lead")
            yield from self.compose_fields()
            with Horizontal(classes="buttons"):
                yield KeyButton(self.BUTTON_KEY, id="submit", variant="primary")

    def lead(self) -> str:
        """The box's first line: which claim and what is being decided."""
        return ""

    def compose_fields(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.query("Input, Select, Button").first().focus()

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    @on(Button.Pressed, "#submit")
    def action_submit(self) -> None:
        self.clear_errors()
        for widget in self.query("Input, Select, Button, Checkbox"):
            widget.disabled = True
        self._perform(self.request())

    @work(thread=True, exclusive=True, group="action")
    def _perform(self, call: Callable[[], None]) -> None:
        try:
            call()
        except DomainError as error:
            self.app.call_from_thread(self._refused, error)
            return
        self.app.call_from_thread(self.dismiss, ActionOutcome(self.t(self.DONE_KEY, reference=self.detail.reference)))

    def _refused(self, error: DomainError) -> None:
        for widget in self.query("Input, Select, Button, Checkbox"):
            widget.disabled = False
        if isinstance(error, (ConcurrentChange, NotFound)) or error.key in RELOAD_ERRORS:
            self.dismiss(ActionOutcome(self.message(error), error=True))
        else:
            self.report(error)

    def request(self) -> Callable[[], None]:
        """The service call with what the form holds now (run in a worker thread; raises
        DomainError when the service refuses)."""
        raise NotImplementedError

    def action_cancel(self) -> None:
        self.dismiss(None)


class AssessForm(ActionForm):
    """The assessed amount, the reason when it is lower than requested (the participant reads
    it on Status) and the documents-seen tick."""

    TITLE_KEY = "bo.assess.title"
    HELP_TOPIC = "assess"
    DONE_KEY = "bo.assess.done"

    def lead(self) -> str:
        d = self.detail
        return self.t("bo.assess.lead", reference=d.reference, name=d.participant_name, amount=d.amount)

    def compose_fields(self) -> ComposeResult:
        prefill = format_rupiah(self.detail.approved_amount or self.detail.amount)[2:]
        yield FormField("approved_amount", Input(prefill, id="approved_amount", max_length=20))
        yield FormField("difference_reason", Input(id="difference_reason", max_length=review.MAX_NOTE),
                        label_key="bo.assess.reason_label", placeholder_key="bo.assess.reason_placeholder")
        yield FormField("documents_seen", MarkCheckbox(lambda: self.t("bo.assess.documents_label"), id="documents_seen"))

    def request(self) -> Callable[[], None]:
        amount = self.query_one("#approved_amount", Input).value
        reason = self.query_one("#difference_reason", Input).value
        seen = self.query_one("#documents_seen", MarkCheckbox).value
        rt, officer, d = self.rt, self.officer, self.detail
        return lambda: review.assess(rt, officer, d.claim_id, d.version, amount, seen, difference_reason=reason)


class ApproveForm(ActionForm):
    TITLE_KEY = "bo.approve.title"
    DONE_KEY = "bo.approve.done"
    BUTTON_KEY = "bo.approve.button"
    BINDINGS = [submit_key(BUTTON_KEY)]

    def lead(self) -> str:
        d = self.detail
        return self.t("bo.approve.lead", reference=d.reference, name=d.participant_name, amount=d.approved_amount or d.amount)

    def compose_fields(self) -> ComposeResult:
        d = self.detail
        yield self.say("bo.approve.assessed_by", officer=d.assessed_by or "-")
        threshold = self.rt.settings.supervisor_threshold
        if (d.approved_amount or d.amount) > threshold:
            yield self.say("bo.approve.threshold", classes="hint", threshold_amount=threshold)

    def request(self) -> Callable[[], None]:
        rt, officer, d = self.rt, self.officer, self.detail
        return lambda: review.approve(rt, officer, d.claim_id, d.version)


class PaymentForm(ActionForm):
    TITLE_KEY = "bo.pay.title"
    DONE_KEY = "bo.pay.done"

    def lead(self) -> str:
        d = self.detail
        return self.t(
            "bo.pay.lead", amount=d.approved_amount or d.amount, bank=d.bank_name,
            account=self.view if isinstance(self.view, str) else d.account_masked,
            holder=d.account_holder,
        )

    def compose_fields(self) -> ComposeResult:
        yield FormField("payment_reference", Input(id="payment_reference", max_length=60),
                        placeholder_key="bo.pay.reference_placeholder")

    def load(self) -> str:  # type: ignore[override]  # the view of this form is the account number
        """The whole account number to transfer to (audited), read when the form opens."""
        return review.payment_account(self.rt, self.officer, self.detail.claim_id)

    def show(self, view: str) -> None:  # type: ignore[override]
        self.redraw()

    def request(self) -> Callable[[], None]:
        reference = self.query_one("#payment_reference", Input).value
        rt, officer, d = self.rt, self.officer, self.detail
        return lambda: review.record_payment(rt, officer, d.claim_id, d.version, reference)


class CloseForm(ActionForm):
    TITLE_KEY = "bo.close.title"
    DONE_KEY = "bo.close.done"
    BUTTON_KEY = "bo.close.button"
    BINDINGS = [submit_key(BUTTON_KEY)]

    def lead(self) -> str:
        d = self.detail
        return self.t(
            "bo.close.lead", reference=d.reference, paid_amount=d.paid_amount or 0, transfer=d.payment_reference,
        )

    def compose_fields(self) -> ComposeResult:
        yield self.say("bo.close.hint")

    def request(self) -> Callable[[], None]:
        rt, officer, d = self.rt, self.officer, self.detail
        return lambda: review.close(rt, officer, d.claim_id, d.version)


class RejectForm(ActionForm):
    TITLE_KEY = "bo.reject.title"
    DONE_KEY = "bo.reject.done"
    BUTTON_KEY = "bo.reject.button"
    BINDINGS = [submit_key(BUTTON_KEY)]

    def lead(self) -> str:
        d = self.detail
        return self.t("bo.reject.lead", reference=d.reference, name=d.participant_name, amount=d.amount)

    def _reasons(self) -> list[tuple[str, str]]:
        return [(self.t(f"reject.{code}"), code) for code in REJECTION_CODES]

    def compose_fields(self) -> ComposeResult:
        yield FormField(
            "rejection_code", Select(self._reasons(), prompt=self.t("bo.reject.prompt"), compact=True, id="rejection_code"),
        )
        yield FormField("note", Input(id="note", max_length=review.MAX_NOTE), placeholder_key="bo.reject.note_placeholder")
        yield self.say("bo.reject.note_hint", classes="hint")

    @on(Select.Changed, "#rejection_code")
    def _reason_chosen(self, event: Select.Changed) -> None:
        """A reason chosen: the cursor moves on to the note that explains it."""
        if isinstance(event.value, str):
            self.query_one("#note", Input).focus()

    def after_relabel(self) -> None:
        select: Select[str] = self.query_one("#rejection_code", Select)
        chosen = select.value
        with select.prevent(Select.Changed):
            select.prompt = self.t("bo.reject.prompt")
            select.set_options(self._reasons())
            if isinstance(chosen, str):
                select.value = chosen
            select.mutate_reactive(Select.value)  # type: ignore[misc]  # Textual's documented idiom

    def request(self) -> Callable[[], None]:
        value = self.query_one("#rejection_code", Select).value
        code = value if isinstance(value, str) else ""
        note = self.query_one("#note", Input).value
        rt, officer, d = self.rt, self.officer, self.detail
        return lambda: review.reject(rt, officer, d.claim_id, d.version, code, note)
