"""The review queue: counts per stage, claims oldest first a page at a time, filtered by stage
(keys 0-6), branch and claim type; Enter opens a claim. A page is as many claims as the table
shows in the window (read again when the window changes), so only what is seen is read and
drawn. Read again whenever the officer comes back to it; every read runs in a worker thread."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.cells import cell_len, set_cell_size
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.geometry import Size
from textual.message import Message
from textual.widgets import DataTable, Select

from kidb_tui.backoffice.screens.base import BackofficeScreen
from kidb_tui.backoffice.screens.counter import CounterScreen
from kidb_tui.backoffice.screens.dead_letters import DeadLettersScreen
from kidb_tui.backoffice.screens.detail import ClaimDetailScreen
from kidb_tui.money import format_rupiah
from kidb_tui.screens.messages import SignOutRequested
from kidb_tui.services import reference, review
from kidb_tui.services.review import Queue
from kidb_tui.services.runtime import Runtime
from kidb_tui.widgets.text import Block

STAGE_FILTERS = ("", "agenda", "penetapan", "persetujuan", "pembayaran", "selesai", "ditolak")
PAGE = 100
"""The most claims a page holds, however tall the window."""
CHROME_ROWS = 8
"""The rows of the screen that are not claims at 80 columns: title, two lines of stage counts,
the filters and the space under them, the table's header, status line and key bar."""
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


@dataclass(frozen=True)
class QueueRequest:
    """What the officer asked to see: a stage (or all), branch, claim type and page."""

    stage: str = ""
    branch: str = ""
    type_code: str = ""
    offset: int = 0
    limit: int = PAGE


@dataclass(frozen=True)
class QueueView:
    request: QueueRequest
    queue: Queue
    branches: tuple[str, ...]
    types: tuple[str, ...]
    read_at: datetime


class Cell:
    """One line of a table cell: a space and the text, cut with an ellipsis or padded to the
    column's width, as a Rich `Text` with `no_wrap` and `overflow="ellipsis"` draws it, without
    Text's wrapping and justifying (119 cells drawn in 2.8 ms rather than 4.5)."""

    __slots__ = ("right", "text")

    def __init__(self, text: str, justify: str = "left") -> None:
        self.text = f" {text}"
        self.right = justify == "right"

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width, text = options.max_width, self.text
        if cell_len(text) > width:
            text = set_cell_size(text, width - 1) + "…" if width > 1 else "…"[:width]
        pad = " " * (width - cell_len(text))
        yield Segment(pad + text if self.right else text + pad)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        width = cell_len(self.text)
        return Measurement(width, width)


def page_rows(window: Size) -> int:
    """How many claims a page holds in a window of this size, before the table is laid out."""
    return max(min(window.height - CHROME_ROWS, PAGE), 1)


def read(rt: Runtime, request: QueueRequest, lists: tuple[tuple[str, ...], tuple[str, ...]] | None = None) -> QueueView:
    """The page `request` asks for, with the branches and claim types offered (read unless given)."""
    queue = review.queue(rt, request.stage or None, request.branch or None, request.type_code or None,
                         limit=request.limit, offset=request.offset)
    if lists is None:
        lists = (tuple(review.branches(rt)), tuple(info.code for info in reference.claim_types(rt)))
    return QueueView(request, queue, *lists, rt.now())


class QueueTable(DataTable[Cell]):
    """The claims table; Enter opens the highlighted claim and says so in the key bar. The
    cursor keys go on to the next page past the last row, and to the previous one above the first."""

    BINDINGS = [Binding("enter", "select_cursor", "bo.key.open", key_display="Enter")]

    class Fits(Message):
        """How many claim rows the table shows at its new size."""

        def __init__(self, rows: int) -> None:
            super().__init__()
            self.rows = rows

    class Turn(Message):
        """The cursor went on past the page's last row (1) or above its first (-1)."""

        def __init__(self, direction: int) -> None:
            super().__init__()
            self.direction = direction

    def action_cursor_down(self) -> None:
        if self.row_count and self.cursor_row == self.row_count - 1:
            self.post_message(self.Turn(1))
        else:
            super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.row_count and self.cursor_row == 0:
            self.post_message(self.Turn(-1))
        else:
            super().action_cursor_up()

    def on_resize(self, _event: events.Resize) -> None:
        self.post_message(self.Fits(max(self.scrollable_content_region.height - self.header_height, 1)))


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


class QueueScreen(BackofficeScreen[QueueView]):
    TITLE_KEY = "bo.queue.title"
    HELP_TOPIC = "queue"
    AUTO_FOCUS = "QueueTable"
    """Focused as the screen is composed: a `focus()` in `on_mount` lands after the first frame
    and restyles, lays out and draws the whole queue a second time."""
    BINDINGS = [
        Binding("f1", "app.help", "key.help", show=False),  # hides the F1 of BackofficeScreen (no room), still works
        Binding("0", "stage(0)", "bo.key.stage", key_display="0-6"),
        *(Binding(str(index), f"stage({index})", "bo.key.stage", show=False) for index in range(1, 7)),
        Binding("f3", "focus_filter('branch')", "bo.key.branch"),
        Binding("f4", "focus_filter('type_code')", "bo.key.type"),
        Binding("f5", "counter", "bo.key.counter"),
        Binding("f6", "page(-1)", "bo.key.prev_page"),
        Binding("f7", "page(1)", "bo.key.next_page"),
        Binding("f8", "dead_letters", "bo.key.dead_letters", show=False),
        Binding("f10", "logout", "key.logout"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.request = QueueRequest(limit=page_rows(self.app.size))
        self._fitted_to = self.app.size
        """The window's size when the page size was last set from it."""
        self._choices: dict[str, list[str]] = {}
        self._landing: tuple[QueueRequest, int] | None = None
        """The page the cursor keys turned to, and the row the cursor goes to on it (-1: the last)."""
        self._shown_rows: list[tuple[str, tuple[str, ...]]] | None = None
        """The table's rows as drawn: each claim's id and its cells' text."""
        self._heading: tuple[object, ...] | None = None
        """What the stage counts and the page's place were drawn from."""
        self._lists: tuple[tuple[str, ...], tuple[str, ...]] | None = None
        """The branches and claim types offered, read as the queue opens and when the officer
        comes back to it (not for each page or filter)."""
        first, self.office.first_queue = self.office.first_queue, None
        if first is not None and first.request == self.request:
            self._lists = (first.branches, first.types)
            self.preload(first)

    def compose_body(self) -> ComposeResult:
        with Vertical(id="queue", classes="card"):
            yield Block(self._counts, id="stage-counts")
            with Horizontal(id="queue-filters"):
                yield self.say("bo.queue.branch", classes="filter-label")
                yield Select([(self.t("bo.queue.all_branches"), "")], allow_blank=False, compact=True, id="branch")
                yield self.say("bo.queue.type", classes="filter-label")
                yield Select([(self.t("bo.queue.all_types"), "")], allow_blank=False, compact=True, id="type_code")
            yield QueueTable(id="queue-table", cursor_type="row", cell_padding=0, zebra_stripes=False)
            yield self.say("bo.queue.empty", id="queue-empty")

    def on_mount(self) -> None:
        self._columns()
        self.query_one("#queue-empty").display = False

    def load(self) -> QueueView:
        view = read(self.rt, self.request, self._lists)
        self._lists = (view.branches, view.types)
        return view

    def show(self, view: QueueView) -> None:
        """Only what differs from what is shown: coming back from a claim nobody changed redraws
        neither the rows nor the counts."""
        self._filters(view)
        self._rows(view)
        heading = (view.queue.counts, view.queue.total, len(view.queue.items), view.request)
        if heading != self._heading:
            self._heading = heading
            self.query_one("#stage-counts", Block).refresh(layout=True)
        self.refresh_bindings()

    def after_relabel(self) -> None:
        self._columns()
        if self.view is not None:
            self._filters(self.view, relabel=True)
            self._rows(self.view)

    def on_screen_resume(self) -> None:
        """Read again when the officer comes back (a claim may have moved meanwhile); not when
        the queue first shows, whose data was read as it opened."""
        if self.returning and self.view is not None:
            self._lists = None
            self.reload()

    @on(QueueTable.Turn)
    def _turn(self, event: QueueTable.Turn) -> None:
        if self.check_action("page", (event.direction,)):
            self.action_page(event.direction)
            self._landing = (self.request, 0 if event.direction > 0 else -1)

    @on(QueueTable.Fits)
    def _fit(self, event: QueueTable.Fits) -> None:
        """A page as tall as the table: read again when the window changed size, or when fewer
        rows fit than the page has (its first size was a guess); a page a row or two short of
        the table as the stage counts take fewer lines stays (no reading back and forth)."""
        rows = min(event.rows, PAGE)
        resized, self._fitted_to = self.app.size != self._fitted_to, self.app.size
        needed = len(self.view.queue.items) if self.view is not None else self.request.limit
        if rows == self.request.limit or not (resized or rows < needed):
            return
        request = self.request
        first = request.offset + self.query_one(QueueTable).cursor_row
        self.request = QueueRequest(request.stage, request.branch, request.type_code, first // rows * rows, rows)
        self.reload()

    def _columns(self) -> None:
        table = self.query_one(QueueTable)
        table.clear(columns=True)
        self._shown_rows = None
        for name, width, justify in COLUMNS:
            label = Text(f" {self.t(f'bo.col.{name}')}", justify=justify, overflow="ellipsis", no_wrap=True)  # type: ignore[arg-type]
            table.add_column(label, key=name, width=width)

    def _filters(self, view: QueueView, relabel: bool = False) -> None:
        """The branch and type lists as read (set only when they changed, which keeps the choice)."""
        for widget_id, options in (
            ("branch", [(self.t("bo.queue.all_branches"), ""), *((name, name) for name in view.branches)]),
            ("type_code", [(self.t("bo.queue.all_types"), ""), *((self.type_label(code), code) for code in view.types)]),
        ):
            select: Select[str] = self.query_one(f"#{widget_id}", Select)
            values = [value for _, value in options]
            if relabel or values != self._choices.get(widget_id):
                self._choices[widget_id] = values
                chosen = select.value
                with select.prevent(Select.Changed):
                    select.set_options(options)
                    if any(value == chosen for _, value in options):
                        select.value = chosen
                    select.mutate_reactive(Select.value)  # type: ignore[misc]  # Textual's documented idiom

    def _rows(self, view: QueueView) -> None:
        table = self.query_one(QueueTable)
        rows: list[tuple[str, tuple[str, ...]]] = [
            (str(item.claim_id), (item.reference, self.stage_label(item.stage), self.type_label(item.type_code),
                                  format_rupiah(item.amount), item.participant_name, item.branch or "-",
                                  self._age(item.created_at, view.read_at)))
            for item in view.queue.items
        ]
        landing, self._landing = self._landing, None
        if rows == self._shown_rows:
            return
        self._shown_rows = rows
        current = self._highlighted_claim_id(table)
        table.clear()
        for key, texts in rows:
            table.add_row(*(Cell(text, justify) for text, (_, _, justify) in zip(texts, COLUMNS, strict=True)), key=key)
        if landing is not None and landing[0] == view.request:
            table.move_cursor(row=landing[1] % max(table.row_count, 1))
        elif current is not None:
            row = next((index for index, item in enumerate(view.queue.items) if item.claim_id == current), 0)
            table.move_cursor(row=row)
        self.query_one("#queue-empty").display = not view.queue.items

    def _highlighted_claim_id(self, table: DataTable[Cell]) -> int | None:
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return int(row_key.value) if row_key.value else None

    def _counts(self, _block: Block) -> Text:
        if self.view is None:
            return Text(self.t("bo.queue.loading"))
        queue, stage = self.view.queue, self.view.request.stage
        total = sum(queue.counts.values())
        items = []
        for index, name in enumerate(STAGE_FILTERS):
            label = self.stage_label(name) if name else self.t("bo.queue.all")
            count = queue.counts.get(name, 0) if name else total
            text = f"{index} {label}: {count}"
            items.append(Text(f"[{text}]", style="bold reverse") if name == stage else Text(f" {text} "))
        if queue.total > len(queue.items) or self.view.request.offset:
            first = self.view.request.offset + 1
            items.append(Text(self.t("bo.queue.page", first=first, last=first + len(queue.items) - 1,
                                     total=queue.total)))
        return wrap_items([Text(self.t("bo.queue.stages")), *items], HEADER_WIDTH)

    def _age(self, created_at: datetime, now: datetime) -> str:
        hours = max(int((now - created_at).total_seconds() // 3600), 0)
        if hours < 24:
            return self.t("bo.age.hours", hours=hours)
        return self.t("bo.age.days", days=hours // 24)

    def _ask(self, **changes: object) -> None:
        fields = {"stage": self.request.stage, "branch": self.request.branch, "type_code": self.request.type_code,
                  "offset": 0, "limit": self.request.limit, **changes}
        self.request = QueueRequest(**fields)  # type: ignore[arg-type]
        self.reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "page":
            if self.view is None:
                return False
            offset = self.view.request.offset + int(str(parameters[0])) * self.request.limit
            return 0 <= offset < self.view.queue.total or (offset < 0 < self.view.request.offset)
        return True

    def action_stage(self, index: int) -> None:
        self._ask(stage=STAGE_FILTERS[index])

    def action_page(self, direction: int) -> None:
        self._ask(offset=max(self.request.offset + direction * self.request.limit, 0))

    def action_focus_filter(self, widget_id: str) -> None:
        self.query_one(f"#{widget_id}", Select).focus()

    @on(Select.Changed)
    def _filter_changed(self) -> None:
        branch, type_code = (self.query_one(f"#{name}", Select).value for name in ("branch", "type_code"))
        branch = branch if isinstance(branch, str) else ""
        type_code = type_code if isinstance(type_code, str) else ""
        if (branch, type_code) != (self.request.branch, self.request.type_code):
            self._ask(branch=branch, type_code=type_code)

    @on(DataTable.RowSelected, "#queue-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        self.app.push_screen(ClaimDetailScreen(int(str(event.row_key.value))))

    def action_counter(self) -> None:
        self.app.push_screen(CounterScreen())

    def action_dead_letters(self) -> None:
        self.app.push_screen(DeadLettersScreen())

    def action_logout(self) -> None:
        self.post_message(SignOutRequested())
