"""Claim detail: the participant (NIK masked), the claim, its requirement checks recomputed now,
the documents, the full history and the money; the key bar offers the current stage's actions."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

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
from kidb_tui.errors import NotFound
from kidb_tui.services import review
from kidb_tui.services.requirements import IN_FLOW, MET, Requirement
from kidb_tui.services.review import ClaimDetail

REQUIREMENT_MARKS = {MET: "[x]", IN_FLOW: "[~]"}
ACTIONS: dict[str, tuple[tuple[str, ...], type[ActionForm]]] = {
    "assess": (("agenda",), AssessForm),
    "approve": (("penetapan",), ApproveForm),
    "pay": (("persetujuan",), PaymentForm),
    "close": (("pembayaran",), CloseForm),
    "reject": (("agenda", "penetapan", "persetujuan"), RejectForm),
}


class ClaimDetailScreen(BackofficeScreen):
    TITLE_KEY = "bo.detail.title"
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
        self.detail: ClaimDetail | None = None
        self.outcome: ActionOutcome | None = None

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="claim-detail", classes="card"):
            yield from self._rows()

    def on_mount(self) -> None:
        self._redrawn()

    def after_relabel(self) -> None:
        self._redrawn()

    def _redrawn(self) -> None:
        """After (re)composing: focus the detail, show the last action's outcome, update the keys."""
        self.query_one("#claim-detail").focus()
        if self.outcome is not None:
            self.set_status(self.outcome.message, error=self.outcome.error)
        self.refresh_bindings()

    def _rows(self) -> ComposeResult:
        try:
            self.detail = review.detail(self.rt, self.claim_id)
        except NotFound as error:
            self.detail = None
            yield Static(self.message(error), markup=False, classes="lead")
            return
        d = self.detail
        yield Static(self.t("bo.detail.head", reference=d.reference, stage=self.stage_label(d.stage), version=d.version),
                     markup=False, classes="lead")
        yield from self._summary(d)
        yield Static(self.t("bo.detail.requirements"), markup=False, classes="section")
        for item in d.requirements.items:
            yield from _marked(REQUIREMENT_MARKS.get(item.status, "[ ]"), self._requirement_text(item))
        seen_key = "bo.detail.documents_seen" if d.documents_seen else "bo.detail.documents_unseen"
        yield Static(f"{self.t('bo.detail.documents')} ({self.t(seen_key)})", markup=False, classes="section")
        for code in d.documents:
            yield from _marked("[x]" if d.documents_seen else "[ ]", self.t(f"doc.{code}"))
        yield Static(self.t("bo.detail.history"), markup=False, classes="section")
        for event in d.events:
            line = f"{self.app.i18n.datetime(event.at)}  {self.stage_label(event.stage)}"
            yield Static(f"{line}: {event.note}" if event.note else line, markup=False, classes="history")
        if not any(d.stage in stages for stages, _ in ACTIONS.values()):
            yield Static(self.t("bo.detail.no_actions"), markup=False, classes="hint")

    def _summary(self, d: ClaimDetail) -> ComposeResult:
        none = "-"
        rows = [
            ("participant", self.t("bo.detail.participant_value", name=d.participant_name, nib=d.participant_nib, nik=d.nik_masked)),
            ("money", self.t("bo.detail.money_value", balance_amount=d.balance_amount, reserved_amount=d.reserved_amount)),
            ("claim", self.t("bo.detail.claim_value", type=self.type_label(d.type_code), amount=d.amount)),
            ("account", self.t("bo.detail.account_value", bank=d.bank_name, account=d.account_masked, holder=d.account_holder)),
            ("reason", d.reason),
            ("filed", self.t("bo.detail.filed_value", created_at=d.created_at, terminal=d.terminal_id or none,
                             branch=d.branch or none)),
        ]
        if d.approved_amount is not None:
            rows.append(("assessed", self.t("bo.detail.assessed_value", approved_amount=d.approved_amount, officer=d.assessed_by)))
        if d.approved_by:
            rows.append(("approved", d.approved_by))
        if d.paid_amount is not None:
            rows.append(("paid", self.t("bo.detail.paid_value", paid_amount=d.paid_amount, transfer=d.payment_reference)))
        if d.rejection_code:
            reason = self.t(f"reject.{d.rejection_code}")
            rows.append(("rejected", self.t("bo.detail.rejected_value", reason=reason, note=d.rejection_reason)))
        for name, value in rows:
            with Horizontal(classes="detail-row"):
                yield Static(self.t(f"bo.detail.{name}"), markup=False, classes="detail-label")
                yield Static(value, markup=False, classes="detail-value")

    def _requirement_text(self, item: Requirement) -> str:
        key = f"req.{item.key}.{item.status}"
        if item.key == "contact_recent" and "confirmed_date" not in item.params:
            key = f"{key}_never"
        return self.t(key, **item.params)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "act":
            stages, _ = ACTIONS[str(parameters[0])]
            return self.detail is not None and self.detail.stage in stages
        return True

    def action_act(self, name: str) -> None:
        if self.detail is None:
            return
        _, form = ACTIONS[name]
        self.app.push_screen(form(self.detail), callback=self._after_action)

    async def _after_action(self, outcome: ActionOutcome | None) -> None:
        if outcome is None:
            return
        self.outcome = outcome
        await self.recompose()
        self._redrawn()

    async def action_reload(self) -> None:
        """Fetch the claim again and redraw it; the keys follow its new stage."""
        self.outcome = None
        await self.recompose()
        self._redrawn()

    def action_back(self) -> None:
        self.app.pop_screen()


def _marked(mark: str, text: str) -> ComposeResult:
    """A `[x]`/`[ ]` mark and a text that wraps under itself."""
    with Horizontal(classes="marked"):
        yield Static(mark, markup=False, classes="mark")
        yield Static(text, markup=False, classes="marked-text")
