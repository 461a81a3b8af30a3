"""Status Pencairan: the participant's claims, newest first, and the highlighted claim's timeline."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from kidb_tui.money import format_rupiah
from kidb_tui.screens.base import KioskScreen
from kidb_tui.services import claims, reference
from kidb_tui.services.claims import ClaimView
from kidb_tui.widgets.timeline import StageTimeline

TYPE_WIDTH = 26


class StatusScreen(KioskScreen):
    TITLE_KEY = "status.title"
    BINDINGS = [
        *KioskScreen.BINDINGS,
        Binding("escape", "back", "key.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.claims: list[ClaimView] = []
        self._row = 0
        self._names: dict[str, str] = {}

    def compose_body(self) -> ComposeResult:
        self.claims = claims.claims_of(self.rt, self.identity.participant_id)
        with Vertical(classes="card", id="status-body"):
            if not self.claims:
                yield Static(self.t("status.empty"), markup=False, classes="lead")
                yield Static(self.t("status.empty_how"), markup=False, classes="hint")
                return
            yield DataTable(id="claims", cursor_type="row")
            yield Static("", markup=False, id="claim-summary", classes="lead")
            yield StageTimeline(id="timeline")

    def on_mount(self) -> None:
        self._fill()

    def after_relabel(self) -> None:
        self._fill()

    def _fill(self) -> None:
        if not self.claims:
            return
        self._names = {info.code: info.name(self.app.i18n.language) for info in reference.claim_types(self.rt)}
        table = self.query_one("#claims", DataTable)
        table.add_column(Text(self.t("status.col_reference")), key="reference")
        table.add_column(Text(self.t("status.col_type")), key="type", width=TYPE_WIDTH)
        table.add_column(Text(self.t("status.col_amount")), key="amount")
        table.add_column(Text(self.t("status.col_stage")), key="stage")
        for claim in self.claims:
            table.add_row(
                Text(claim.reference),
                Text(self._names.get(claim.type_code, claim.type_code), overflow="ellipsis", no_wrap=True),
                Text(format_rupiah(claim.amount), justify="right"),
                Text(self.t(f"timeline.short.{claim.stage}")),
            )
        table.move_cursor(row=min(self._row, len(self.claims) - 1))
        table.focus()
        self._show(table.cursor_row)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._row = event.cursor_row
        self._show(event.cursor_row)

    def _show(self, row: int) -> None:
        claim = self.claims[row]
        summary = self.t(
            "status.summary", reference=claim.reference, type=self._names.get(claim.type_code, claim.type_code),
            amount=claim.amount, bank=claim.bank_name, account=claim.account_masked,
        )
        self.query_one("#claim-summary", Static).update(summary)
        self.query_one("#timeline", StageTimeline).show(claim)

    def action_back(self) -> None:
        self.app.pop_screen()
