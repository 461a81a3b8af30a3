"""Status Pencairan: the participant's claims, newest first (with the amount that now holds), and
the highlighted claim's figures (requested, assessed, paid, why they differ) and timeline."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable

from kidb_tui.money import format_rupiah
from kidb_tui.screens.base import KioskScreen
from kidb_tui.services import claims, reference
from kidb_tui.services.claims import ClaimView
from kidb_tui.services.reference import ClaimTypeInfo
from kidb_tui.widgets.text import Block
from kidb_tui.widgets.timeline import timeline_notes, timeline_text

TYPE_WIDTHS = (8, 40)
"""The claim-type column takes the room the other columns leave, within these bounds (an
ellipsis marks a cut name): reference, amount and stage are never cut from 60 columns up."""


@dataclass(frozen=True)
class Claims:
    claims: tuple[ClaimView, ...]
    types: tuple[ClaimTypeInfo, ...]


class StatusScreen(KioskScreen[Claims]):
    TITLE_KEY = "status.title"
    BINDINGS = [
        *KioskScreen.BINDINGS,
        Binding("escape", "back", "key.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._row = 0
        self._filled_for = 0

    def compose_body(self) -> ComposeResult:
        with Vertical(classes="card", id="status-body"):
            yield DataTable(id="claims", cursor_type="row")
            yield Block(self._summary, id="claim-summary", classes="lead")
            yield Block(self._timeline, id="timeline")

    def load(self) -> Claims:
        return Claims(tuple(claims.claims_of(self.rt, self.identity.participant_id)), tuple(reference.claim_types(self.rt)))

    def show(self, view: Claims) -> None:
        table = self.query_one("#claims", DataTable)
        table.display = bool(view.claims)
        self._fill()
        if view.claims:
            self.focus_now(table)

    def after_relabel(self) -> None:
        self._fill()

    def _type_name(self, code: str) -> str:
        assert self.view is not None
        language = self.terminal.language
        return next((info.name(language) for info in self.view.types if info.code == code), code)

    def on_resize(self, _event: events.Resize) -> None:
        """A new terminal size: the table is filled again for its card's width once the screen
        has been laid out at that size (this handler runs before that layout)."""
        self.call_after_refresh(self._refit)

    def _refit(self) -> None:
        if self._room() != self._filled_for:
            self._fill()

    def _room(self) -> int:
        """The width of the table's card: laid out, or (before the first layout) the terminal's
        width within the card's maximum width, less its padding (its styles, from styles/base.tcss)."""
        card = self.query_one("#status-body")
        if card.content_size.width:
            return card.content_size.width
        size, widest = self.app.size, card.styles.max_width
        width = size.width if widest is None else min(size.width, int(widest.resolve(size, size)))
        return width - card.styles.gutter.width

    def _type_width(self, *columns: list[str]) -> int:
        """What the table's width leaves for the type column after the other `columns` (each a
        list of its texts) and every column's padding."""
        table = self.query_one("#claims", DataTable)
        room = self._room()
        used = sum(max(map(len, texts)) for texts in columns) + 2 * table.cell_padding * (len(columns) + 1)
        low, high = TYPE_WIDTHS
        return max(low, min(high, room - used - 1))

    def _fill(self) -> None:
        if self.view is None:
            return
        table = self.query_one("#claims", DataTable)
        self._filled_for = self._room()
        rows = [(claim.reference, self._type_name(claim.type_code), format_rupiah(claim.current_amount),
                 self.t(f"timeline.short.{claim.stage}")) for claim in self.view.claims]
        headings = [self.t(f"status.col_{name}") for name in ("reference", "type", "amount", "stage")]
        references, amounts, stages = ([headings[index], *(row[index] for row in rows)] for index in (0, 2, 3))
        table.clear(columns=True)
        table.add_column(Text(headings[0]), key="reference")
        table.add_column(Text(headings[1]), key="type", width=self._type_width(references, amounts, stages))
        table.add_column(Text(headings[2]), key="amount")
        table.add_column(Text(headings[3]), key="stage")
        for number, type_name, amount, stage in rows:
            table.add_row(Text(number), Text(type_name, overflow="ellipsis", no_wrap=True),
                          Text(amount, justify="right"), Text(stage))
        if self.view.claims:
            table.move_cursor(row=min(self._row, len(self.view.claims) - 1))
        self.redraw()

    def _current(self) -> ClaimView | None:
        if self.view is None or not self.view.claims:
            return None
        return self.view.claims[min(self._row, len(self.view.claims) - 1)]

    def _summary(self, _block: Block) -> str:
        if self.view is not None and not self.view.claims:
            return self.t("status.empty")
        claim = self._current()
        if claim is None:
            return ""
        summary = self.t("status.summary", reference=claim.reference, type=self._type_name(claim.type_code),
                         amount=claim.amount, bank=claim.bank_name, account=claim.account_masked)
        return "\n".join([summary, *self._figures(claim)])

    def _figures(self, claim: ClaimView) -> list[str]:
        """Requested, assessed and paid amounts once an officer has set one, and the reason
        they differ from the request."""
        if claim.approved_amount is None and claim.paid_amount is None:
            return []
        figures = [("status.requested", claim.amount), ("status.approved", claim.approved_amount),
                   ("status.paid", claim.paid_amount)]
        lines = [" · ".join(self.t(key, amount=amount) for key, amount in figures if amount is not None)]
        if claim.amount_changed and claim.difference_reason:
            lines.append(self.t("status.difference_reason", reason=claim.difference_reason))
        return lines

    def _timeline(self, block: Block) -> RenderableType:
        if self.view is not None and not self.view.claims:
            return self.t("status.empty_how")
        claim = self._current()
        if claim is None:
            return ""
        notes = Text("\n".join(timeline_notes(claim, self.t)))
        legend = Text(self.t("timeline.legend"), style=block.get_component_rich_style("block--label"))
        return Group(Text(timeline_text(claim, self.t, self.terminal.i18n.datetime)), Padding(notes, (0, 0, 0, 4)),
                     Text(""), legend)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row != self._row:
            self._row = event.cursor_row
            self.redraw()

    def action_back(self) -> None:
        self.app.pop_screen()
