"""Claim detail: the participant (NIK masked), the claim, its requirement checks recomputed now,
the documents, the full history and the money; the key bar offers the current stage's actions."""

from __future__ import annotations

from rich.console import Group, RenderableType
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll

from kidb_tui.backoffice.screens.actions import (
    ActionForm,
    ActionOutcome,
    ApproveForm,
    AssessForm,
    CloseForm,
    PaymentForm,
    RejectForm,
)
from kidb_tui.backoffice.screens.base import BackofficeScreen
from kidb_tui.errors import DomainError, NotFound
from kidb_tui.screens.claim.requirements import requirement_text
from kidb_tui.services import review
from kidb_tui.services.requirements import IN_FLOW, MET
from kidb_tui.services.review import ClaimDetail
from kidb_tui.widgets.text import Block

REQUIREMENT_MARKS = {MET: "[x]", IN_FLOW: "[~]"}
ACTIONS: dict[str, tuple[tuple[str, ...], type[ActionForm]]] = {
    "assess": (("agenda",), AssessForm),
    "approve": (("penetapan",), ApproveForm),
    "pay": (("persetujuan",), PaymentForm),
    "close": (("pembayaran",), CloseForm),
    "reject": (("agenda", "penetapan", "persetujuan"), RejectForm),
}


class ClaimDetailScreen(BackofficeScreen[ClaimDetail | NotFound]):
    TITLE_KEY = "bo.detail.title"
    HELP_TOPIC = "detail"
    BINDINGS = [
        *BackofficeScreen.BINDINGS,
        Binding("f3", "act('assess')", "bo.key.assess"),
        Binding("f4", "act('approve')", "bo.key.approve"),
        Binding("f5", "act('pay')", "bo.key.pay"),
        Binding("f6", "act('close')", "bo.key.close"),
        Binding("f8", "act('reject')", "bo.key.reject"),
        Binding("f9", "reload", "bo.key.reload"),
        Binding("escape", "back", "key.back"),
    ]

    def __init__(self, claim_id: int) -> None:
        super().__init__()
        self.claim_id = claim_id
        self._approval_refusal: DomainError | None = None
        """Why this officer may not approve the claim now (asked before Setujui is offered)."""

    @property
    def detail(self) -> ClaimDetail | None:
        return self.view if isinstance(self.view, ClaimDetail) else None

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="claim-detail", classes="card"):
            yield Block(self._draw)

    def on_mount(self) -> None:
        self.query_one("#claim-detail").focus()

    def load(self) -> ClaimDetail | NotFound:
        try:
            detail = review.detail(self.rt, self.claim_id)
        except NotFound as error:
            return error
        if detail.stage in ACTIONS["approve"][0]:
            self._approval_refusal = review.may_approve(self.rt, self.officer, self.claim_id)
        else:
            self._approval_refusal = None
        return detail

    def show(self, view: ClaimDetail | NotFound) -> None:
        self.redraw()
        self.refresh_bindings()

    def _draw(self, block: Block) -> RenderableType:
        view = self.view
        if view is None:
            return ""
        if isinstance(view, NotFound):
            return block.heading(self.message(view))
        d = view
        parts: list[RenderableType] = [
            block.heading(self.t("bo.detail.head", reference=d.reference, stage=self.stage_label(d.stage),
                                 version=d.version)),
            block.rows([(self.t(f"bo.detail.{name}"), value) for name, value in self._summary(d)], label_width=15),
            block.text(""),
            block.heading(self.t("bo.detail.requirements")),
            block.marked([(REQUIREMENT_MARKS.get(item.status, "[ ]"), requirement_text(self.t, item))
                          for item in d.requirements.items]),
            block.text(""),
        ]
        seen_key = "bo.detail.documents_seen" if d.documents_seen else "bo.detail.documents_unseen"
        parts.append(block.heading(f"{self.t('bo.detail.documents')} ({self.t(seen_key)})"))
        parts.append(block.marked([("[x]" if d.documents_seen else "[ ]", self.t(f"doc.{code}")) for code in d.documents]))
        parts += [block.text(""), block.heading(self.t("bo.detail.history"))]
        for event in d.events:
            line = f"{self.terminal.i18n.datetime(event.at)}  {self.stage_label(event.stage)}"
            parts.append(block.text(f"{line}: {event.note}" if event.note else line))
        if not any(d.stage in stages for stages, _ in ACTIONS.values()):
            parts += [block.text(""), block.text(self.t("bo.detail.no_actions"))]
        return Group(*parts)

    def _summary(self, d: ClaimDetail) -> list[tuple[str, str]]:
        none = "-"
        rows = [
            ("participant", self.t("bo.detail.participant_value", name=d.participant_name, nib=d.participant_nib,
                                   nik=d.nik_masked)),
            ("money", self.t("bo.detail.money_value", balance_amount=d.balance_amount, reserved_amount=d.reserved_amount)),
            ("claim", self.t("bo.detail.claim_value", type=self.type_label(d.type_code), amount=d.amount)),
            ("account", self.t("bo.detail.account_value", bank=d.bank_name, account=d.account_masked,
                               holder=d.account_holder)),
            ("reason", d.reason),
            ("filed", self.t("bo.detail.filed_value", created_at=d.created_at, terminal=d.terminal_id or none,
                             branch=d.branch or none)),
        ]
        if d.approved_amount is not None:
            rows.append(("assessed", self.t("bo.detail.assessed_value", approved_amount=d.approved_amount,
                                            officer=d.assessed_by)))
        if d.approved_by:
            rows.append(("approved", d.approved_by))
        refusal = self._approval_refusal
        if d.stage in ACTIONS["approve"][0] and refusal is not None:
            rows.append(("approval", self.t("bo.detail.approval_refused", reason=self.message(refusal))))
        if d.paid_amount is not None:
            rows.append(("paid", self.t("bo.detail.paid_value", paid_amount=d.paid_amount, transfer=d.payment_reference)))
        if d.rejection_code:
            reason = self.t(f"reject.{d.rejection_code}")
            rows.append(("rejected", self.t("bo.detail.rejected_value", reason=reason, note=d.rejection_reason)))
        return rows

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "act":
            name = str(parameters[0])
            stages, _ = ACTIONS[name]
            if name == "approve" and self._approval_refusal is not None:
                return False
            return self.detail is not None and self.detail.stage in stages
        return True

    def action_act(self, name: str) -> None:
        if self.detail is None:
            return
        _, form = ACTIONS[name]
        self.app.push_screen(form(self.detail), callback=self._after_action)

    def _after_action(self, outcome: ActionOutcome | None) -> None:
        if outcome is None:
            return
        self.set_status(outcome.message, error=outcome.error)
        self.reload()

    def action_reload(self) -> None:
        """Read the claim again and redraw it; the keys follow its new stage."""
        self.set_status("")
        self.reload()

    def action_back(self) -> None:
        self.app.pop_screen()
