"""The review queue: counts per stage, claims oldest first, filtered by stage (keys 0-6), branch
and claim type; Enter opens a claim. Reloaded whenever the officer comes back to it."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Select, Static

from kidb_tui.backoffice.screens.base import BackofficeScreen
from kidb_tui.backoffice.screens.counter import CounterScreen
from kidb_tui.backoffice.screens.detail import ClaimDetailScreen
from kidb_tui.money import format_rupiah
from kidb_tui.services import reference, review
from kidb_tui.services.review import Queue, QueueItem

STAGE_FILTERS = ("", "agenda", "penetapan", "persetujuan", "pembayaran", "selesai", "ditolak")
HEADER_WIDTH = 78
COLUMNS = (
    ("reference", 17, "left"),
    ("stage", 12, "left"),
    ("type", 12, "left"),
    ("amount", 13, "right"),
    ("name", 13, "left"),
    ("branch", 7, "left"),
    ("age", 5, "right"),
)


class QueueTable(DataTable):
    """The claims table; Enter opens the highlighted claim and says so in the key bar."""

    BINDINGS = [Binding("enter", "select_cursor", "bo.key.open", key_display="Enter")]


def wrap_items(items: list[Text], width: int) -> Text:
    """Join `items` with a space, breaking lines only between items."""
    lines: list[Text] = []
    line = Text()
    for item in items:
        if line.cell_len and line.cell_len + 1 + item.cell_len > width:
            lines.append(line)
            line = Text()
        if line.cell_len:
            line.append(" ")
        line.append_text(item)
    lines.append(line)
    return Text("\n").join(lines)


def _cell(text: str, justify: str = "left") -> Text:
    return Text(f" {text}", justify=justify, overflow="ellipsis", no_wrap=True)


class QueueScreen(BackofficeScreen):
    TITLE_KEY = "bo.queue.title"
    BINDINGS = [
        *BackofficeScreen.BINDINGS,
        Binding("0", "stage(0)", "bo.key.stage", key_display="0-6"),
        *(Binding(str(index), f"stage({index})", "bo.key.stage", show=False) for index in range(1, 7)),
        Binding("f3", "focus_filter('branch')", "bo.key.branch"),
        Binding("f4", "focus_filter('type_code')", "bo.key.type"),
        Binding("f5", "counter", "bo.key.counter"),
        Binding("f10", "logout", "key.logout"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.stage = ""
        self.items: tuple[QueueItem, ...] = ()

    def compose_body(self) -> ComposeResult:
        branches = sorted({item.branch for item in review.queue(self.rt).items if item.branch})
        types = reference.claim_types(self.rt)
        with Vertical(id="queue", classes="card"):
            yield Static("", markup=False, id="stage-counts")
            with Horizontal(id="queue-filters"):
                yield Static(self.t("bo.queue.branch"), markup=False, classes="filter-label")
                yield Select(
                    [(self.t("bo.queue.all_branches"), ""), *((name, name) for name in branches)],
                    allow_blank=False, compact=True, id="branch",
                )
                yield Static(self.t("bo.queue.type"), markup=False, classes="filter-label")
                yield Select(
                    [(self.t("bo.queue.all_types"), ""), *((self.type_label(info.code), info.code) for info in types)],
                    allow_blank=False, compact=True, id="type_code",
                )
            yield QueueTable(id="queue-table", cursor_type="row", cell_padding=0, zebra_stripes=False)
            yield Static(self.t("bo.queue.empty"), markup=False, id="queue-empty")

    def on_mount(self) -> None:
        self._setup_table()
        self.reload()

    def after_relabel(self) -> None:
        self._setup_table()
        self.reload()

    async def on_screen_resume(self) -> None:
        self.reload()

    def _setup_table(self) -> None:
        table = self.query_one(QueueTable)
        for name, width, justify in COLUMNS:
            table.add_column(_cell(self.t(f"bo.col.{name}"), justify), key=name, width=width)
        table.focus()

    def _filter(self, widget_id: str) -> str:
        value = self.query_one(f"#{widget_id}", Select).value
        return value if isinstance(value, str) else ""

    def reload(self) -> None:
        """Fetch the queue for the current filters and redraw counts and rows, keeping the cursor's claim."""
        queue = review.queue(self.rt, self.stage or None, self._filter("branch") or None, self._filter("type_code") or None)
        self.items = queue.items
        self.query_one("#stage-counts", Static).update(self._counts(queue))
        table = self.query_one(QueueTable)
        current = self._highlighted_claim_id(table)
        table.clear()
        now = self.rt.now()
        for item in queue.items:
            table.add_row(
                _cell(item.reference),
                _cell(self.stage_label(item.stage)),
                _cell(self.type_label(item.type_code)),
                _cell(format_rupiah(item.amount), "right"),
                _cell(item.participant_name),
                _cell(item.branch or "-"),
                _cell(self._age(item.created_at, now), "right"),
                key=str(item.claim_id),
            )
        if current is not None:
            row = next((index for index, item in enumerate(queue.items) if item.claim_id == current), 0)
            table.move_cursor(row=row)
        self.query_one("#queue-empty").display = not queue.items

    def _highlighted_claim_id(self, table: DataTable) -> int | None:
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return int(row_key.value) if row_key.value else None

    def _counts(self, queue: Queue) -> Text:
        total = sum(queue.counts.values())
        items = []
        for index, stage in enumerate(STAGE_FILTERS):
            label = self.stage_label(stage) if stage else self.t("bo.queue.all")
            count = queue.counts.get(stage, 0) if stage else total
            text = f"{index} {label}: {count}"
            items.append(Text(f"[{text}]", style="bold reverse") if stage == self.stage else Text(f" {text} "))
        return wrap_items([Text(self.t("bo.queue.stages")), *items], HEADER_WIDTH)

    def _age(self, created_at: datetime, now: datetime) -> str:
        hours = max(int((now - created_at).total_seconds() // 3600), 0)
        if hours < 24:
            return self.t("bo.age.hours", hours=hours)
        return self.t("bo.age.days", days=hours // 24)

    def action_stage(self, index: int) -> None:
        self.stage = STAGE_FILTERS[index]
        self.reload()

    def action_focus_filter(self, widget_id: str) -> None:
        self.query_one(f"#{widget_id}", Select).focus()

    @on(Select.Changed)
    def _filter_changed(self) -> None:
        self.reload()

    @on(DataTable.RowSelected, "#queue-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        self.app.push_screen(ClaimDetailScreen(int(event.row_key.value)))

    def action_counter(self) -> None:
        self.app.push_screen(CounterScreen())

    async def action_logout(self) -> None:
        await self.app.sign_out()
