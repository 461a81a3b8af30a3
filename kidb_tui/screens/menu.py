"""The main menu: every item reachable with a number key, unread notifications counted."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from kidb_tui.screens.account.balance import BalanceScreen
from kidb_tui.screens.account.notifications import NotificationsScreen
from kidb_tui.screens.account.profile import ProfileScreen
from kidb_tui.screens.account.status import StatusScreen
from kidb_tui.screens.auth.change_secret import ChangeSecretScreen
from kidb_tui.screens.base import KioskScreen
from kidb_tui.screens.claim.type_select import ClaimTypeScreen
from kidb_tui.screens.help import HelpScreen
from kidb_tui.services import notifications

MENU_ITEMS = (
    ("1", "claim", "menu.claim"),
    ("2", "status", "menu.status"),
    ("3", "balance", "menu.balance"),
    ("4", "profile", "menu.profile"),
    ("5", "notifications", "menu.notifications"),
    ("6", "help", "menu.help"),
    ("7", "change_secret", "menu.change_secret"),
    ("0", "logout", "menu.logout"),
)


class MenuScreen(KioskScreen):
    TITLE_KEY = "menu.title"
    BINDINGS = [
        *KioskScreen.BINDINGS,
        *(Binding(key, f"open('{item}')", label, show=False) for key, item, label in MENU_ITEMS),
        Binding("escape", "open('logout')", "menu.logout"),
    ]

    def compose_body(self) -> ComposeResult:
        identity = self.identity
        with Vertical(classes="card"):
            yield Static(self.t("menu.greeting", name=identity.full_name, nib=identity.nib), markup=False, classes="lead")
            yield OptionList(*self._options(), id="menu")
            yield Static(self.t("menu.hint"), markup=False, classes="hint")

    def _options(self) -> list[Option]:
        unread = notifications.unread_count(self.rt, self.identity.participant_id)
        options = []
        for key, item, label in MENU_ITEMS:
            text = self.t(label)
            if item == "notifications" and unread:
                text = self.t("menu.notifications_unread", count=unread)
            options.append(Option(f"{key}  {text}", id=item))
        return options

    def on_mount(self) -> None:
        self.query_one("#menu", OptionList).focus()

    async def on_screen_resume(self) -> None:
        if self.identity is None:
            return
        menu = self.query_one("#menu", OptionList)
        highlighted = menu.highlighted
        menu.clear_options()
        menu.add_options(self._options())
        menu.highlighted = highlighted

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.run_worker(self.action_open(event.option.id or ""))

    async def action_open(self, item: str) -> None:
        if item == "logout":
            await self.app.sign_out()
            return
        self.app.push_screen(SCREENS[item]())


SCREENS = {
    "claim": ClaimTypeScreen,
    "status": StatusScreen,
    "balance": BalanceScreen,
    "profile": ProfileScreen,
    "notifications": NotificationsScreen,
    "help": HelpScreen,
    "change_secret": ChangeSecretScreen,
}
