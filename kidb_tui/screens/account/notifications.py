"""Notifikasi: the inbox, newest first, unread ones marked; Enter opens one and marks it read.

A notification is stored as a kind and its parameters; its texts are `notif.<kind>.title`
and `notif.<kind>.body`, filled with the parameters in the participant's language.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group, RenderableType
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from kidb_tui.errors import NotFound
from kidb_tui.screens.base import KioskScreen
from kidb_tui.services import notifications
from kidb_tui.services.notifications import NotificationView
from kidb_tui.widgets.text import Block


@dataclass(frozen=True)
class Inbox:
    items: tuple[NotificationView, ...]
    opened: NotificationView | None = None


class NotificationsScreen(KioskScreen[Inbox]):
    TITLE_KEY = "inbox.title"
    BINDINGS = [
        *KioskScreen.BINDINGS,
        Binding("enter", "open", "inbox.key_open", priority=True, key_display="Enter"),
        Binding("escape", "back", "key.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._highlighted = 0

    def compose_body(self) -> ComposeResult:
        with Vertical(classes="card", id="inbox-body"):
            yield Block(self._count, id="inbox-count")
            yield OptionList(id="inbox")
            yield Block(self._detail, id="inbox-detail")

    def load(self) -> Inbox:
        return Inbox(tuple(notifications.inbox(self.rt, self.identity.participant_id)))

    def show(self, view: Inbox) -> None:
        inbox = self.query_one("#inbox", OptionList)
        inbox.set_options(self._option(item) for item in view.items)
        inbox.display = bool(view.items)
        self.query_one("#inbox-detail").display = bool(view.items)
        if view.items:
            inbox.highlighted = min(self._highlighted, len(view.items) - 1)
            self.focus_now(inbox)
        self.query_one("#inbox-count", Block).refresh(layout=True)
        self.refresh_bindings()

    def after_relabel(self) -> None:
        if self.view is not None:
            inbox = self.query_one("#inbox", OptionList)
            for index, item in enumerate(self.view.items):
                inbox.replace_option_prompt_at_index(index, self._option(item).prompt)

    def _count(self, _block: Block) -> str:
        if self.view is None:
            return ""
        if not self.view.items:
            return self.t("inbox.empty")
        unread = sum(1 for item in self.view.items if not item.read)
        return self.t("inbox.count", unread=unread, total=len(self.view.items))

    def _option(self, item: NotificationView) -> Option:
        mark = self.t("inbox.new") if not item.read else ""
        stamp = self.terminal.i18n.datetime(item.created_at)
        return Option(Content(f"{mark:<7} {stamp}  {self.text(item, 'title')}"), id=str(item.id))

    def _detail(self, block: Block) -> RenderableType:
        item = self.view.opened if self.view is not None else None
        if item is None:
            return self.t("inbox.hint")
        return Group(block.heading(self.text(item, "title")), block.text(self.t("inbox.sent", sent_at=item.created_at)),
                     block.text(""), block.text(self.text(item, "body")))

    def text(self, item: NotificationView, part: str) -> str:
        """The notification's title or body; a kind this kiosk does not know gets a general text."""
        key = f"notif.{item.kind}.{part}"
        template = self.t(key)
        if template == key:
            return self.t(f"inbox.unknown_{part}")
        try:
            return self.t(key, **item.params)
        except (KeyError, IndexError):
            return self.t(f"inbox.unknown_{part}")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return bool(self.view and self.view.items) if action == "open" else True

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._highlighted = event.option_index

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._open(event.option_index)

    def action_open(self) -> None:
        inbox = self.query_one("#inbox", OptionList)
        if inbox.highlighted is not None:
            self._open(inbox.highlighted)

    def _open(self, index: int) -> None:
        if self.view is not None:
            self._mark_read(index, self.view.items[index].id)

    @work(thread=True, exclusive=True, group="open")
    def _mark_read(self, index: int, notification_id: int) -> None:
        try:
            opened = notifications.open_notification(self.rt, self.identity.participant_id, notification_id)
        except NotFound as error:
            self.app.call_from_thread(self.show_error, error)
            return
        self.app.call_from_thread(self._opened, index, opened)

    def _opened(self, index: int, opened: NotificationView) -> None:
        assert self.view is not None
        items = list(self.view.items)
        items[index] = opened
        self.view = Inbox(tuple(items), opened)
        self.query_one("#inbox", OptionList).replace_option_prompt_at_index(index, self._option(opened).prompt)
        self.redraw()
        self.set_status("")

    def action_back(self) -> None:
        self.app.pop_screen()
