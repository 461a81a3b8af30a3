"""Notifikasi: the inbox, newest first, unread ones marked; Enter opens one and marks it read.

A notification is stored as a kind and its parameters; its texts are `notif.<kind>.title`
and `notif.<kind>.body`, filled with the parameters in the participant's language.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from kidb_tui.errors import NotFound
from kidb_tui.screens.base import KioskScreen
from kidb_tui.services import notifications
from kidb_tui.services.notifications import NotificationView


class NotificationsScreen(KioskScreen):
    TITLE_KEY = "inbox.title"
    BINDINGS = [
        *KioskScreen.BINDINGS,
        Binding("enter", "open", "inbox.key_open", priority=True, key_display="Enter"),
        Binding("escape", "back", "key.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: list[NotificationView] = []
        self.opened: NotificationView | None = None
        self._highlighted = 0

    def compose_body(self) -> ComposeResult:
        self.items = notifications.inbox(self.rt, self.identity.participant_id)
        with Vertical(classes="card", id="inbox-body"):
            if not self.items:
                yield Static(self.t("inbox.empty"), markup=False, classes="lead")
                return
            yield Static(self._count_text(), markup=False, id="inbox-count", classes="hint")
            yield OptionList(*(self._option(item) for item in self.items), id="inbox")
            with Vertical(id="inbox-detail"):
                yield from self._detail()

    def _count_text(self) -> str:
        unread = sum(1 for item in self.items if not item.read)
        return self.t("inbox.count", unread=unread, total=len(self.items))

    def _option(self, item: NotificationView) -> Option:
        mark = self.t("inbox.new") if not item.read else ""
        stamp = self.app.i18n.datetime(item.created_at)
        return Option(Content(f"{mark:<7} {stamp}  {self.text(item, 'title')}"), id=str(item.id))

    def _detail(self) -> ComposeResult:
        item = self.opened
        if item is None:
            yield Static(self.t("inbox.hint"), markup=False, classes="hint")
            return
        yield Static(self.text(item, "title"), markup=False, id="detail-title", classes="lead")
        yield Static(self.t("inbox.sent", sent_at=item.created_at), markup=False, id="detail-time")
        yield Static(self.text(item, "body"), markup=False, id="detail-body")

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

    def on_mount(self) -> None:
        self._focus_list()

    def after_relabel(self) -> None:
        self._focus_list()

    def _focus_list(self) -> None:
        for inbox in self.query("#inbox").results(OptionList):
            inbox.highlighted = min(self._highlighted, len(self.items) - 1)
            inbox.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return bool(self.items) if action == "open" else True

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._highlighted = event.option_index

    async def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        await self._open(event.option_index)

    async def action_open(self) -> None:
        for inbox in self.query("#inbox").results(OptionList):
            if inbox.highlighted is not None:
                await self._open(inbox.highlighted)

    async def _open(self, index: int) -> None:
        item = self.items[index]
        try:
            opened = notifications.open_notification(self.rt, self.identity.participant_id, item.id)
        except NotFound as error:
            self.show_error(error)
            return
        self.items[index] = opened
        self.opened = opened
        inbox = self.query_one("#inbox", OptionList)
        inbox.replace_option_prompt_at_index(index, self._option(opened).prompt)
        self.query_one("#inbox-count", Static).update(self._count_text())
        detail = self.query_one("#inbox-detail", Vertical)
        await detail.remove_children()
        await detail.mount_all(list(self._detail()))
        self.set_status("")

    def action_back(self) -> None:
        self.app.pop_screen()
