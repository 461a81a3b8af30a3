"""The main menu: every item reachable with a number key, unread notifications counted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen

from kidb_tui.screens.account.balance import BalanceScreen
from kidb_tui.screens.account.notifications import NotificationsScreen
from kidb_tui.screens.account.profile import ProfileScreen
from kidb_tui.screens.account.status import StatusScreen
from kidb_tui.screens.account.verify_email import VerifyEmailScreen
from kidb_tui.screens.auth.change_secret import ChangeSecretScreen
from kidb_tui.screens.base import KioskScreen
from kidb_tui.screens.claim.flow import ClaimFlow
from kidb_tui.screens.help import HelpScreen
from kidb_tui.screens.messages import SignOutRequested
from kidb_tui.services import notifications
from kidb_tui.widgets.choice_list import ChoiceList

MENU_ITEMS = (
    ("1", "claim", "menu.claim"),
    ("2", "status", "menu.status"),
    ("3", "balance", "menu.balance"),
    ("4", "profile", "menu.profile"),
    ("5", "notifications", "menu.notifications"),
    ("6", "help", "menu.help"),
    ("7", "change_secret", "menu.change_secret"),
    ("8", "verify_email", "menu.verify_email"),
    ("0", "logout", "menu.logout"),
)
SCREENS: dict[str, Callable[[], Screen[Any]]] = {
    "status": StatusScreen,
    "balance": BalanceScreen,
    "profile": ProfileScreen,
    "notifications": NotificationsScreen,
    "help": HelpScreen,
    "change_secret": ChangeSecretScreen,
    "verify_email": VerifyEmailScreen,
}


@dataclass(frozen=True)
class MenuView:
    unread: int


class MenuScreen(KioskScreen[MenuView]):
    TITLE_KEY = "menu.title"
    BINDINGS = [
        *KioskScreen.BINDINGS,
        *(Binding(key, f"open('{item}')", label, show=False) for key, item, label in MENU_ITEMS),
        Binding("escape", "open('logout')", "menu.logout"),
    ]

    def compose_body(self) -> ComposeResult:
        identity = self.identity
        with Vertical(classes="card"):
            yield self.say("menu.greeting", classes="lead", name=identity.full_name, nib=identity.nib)
            menu = ChoiceList(id="menu")
            menu.set_choices(self._choices())
            yield menu
            yield self.say("menu.hint", classes="hint")

    def load(self) -> MenuView:
        return MenuView(notifications.unread_count(self.rt, self.identity.participant_id))

    def show(self, view: MenuView) -> None:
        self.query_one("#menu", ChoiceList).relabel()

    def _choices(self) -> list[tuple[str, Callable[[], str]]]:
        return [(item, partial(self._line, key, item, label)) for key, item, label in MENU_ITEMS]

    def _line(self, key: str, item: str, label: str) -> str:
        return f"{key}  {self._item_text(item, label)}"

    def _item_text(self, item: str, label: str) -> str:
        unread = self.view.unread if self.view is not None else 0
        return self.t("menu.notifications_unread", count=unread) if item == "notifications" and unread else self.t(label)

    def after_relabel(self) -> None:
        self.query_one("#menu", ChoiceList).relabel()

    def on_mount(self) -> None:
        self.focus_now(self.query_one("#menu", ChoiceList))

    def on_screen_resume(self) -> None:
        """Back on the menu (a flow or an account screen closed): the unread count may have
        changed. Not as the menu opens: its data was read a moment before."""
        if self.returning and self.view is not None:
            self.reload()

    async def on_choice_list_chosen(self, event: ChoiceList.Chosen) -> None:
        await self.action_open(event.choice_id)

    async def action_open(self, item: str) -> None:
        if item == "logout":
            self.post_message(SignOutRequested())
        elif item == "claim":
            ClaimFlow(self.kiosk).start()
        else:
            self.app.push_screen(SCREENS[item]())
