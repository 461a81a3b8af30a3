"""The kiosk App: a participant's session, signed out (login, activation, reset, help) or signed
in (the menu and everything under it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.screen import Screen

from kidb_tui.pending_runtime import PendingRuntime
from kidb_tui.screens.auth.login import LoginScreen
from kidb_tui.screens.help import HelpScreen
from kidb_tui.terminal_app import BACK_OFFICE_STYLES, SIGNED_IN, SIGNED_OUT, TerminalApp, style_sheets

if TYPE_CHECKING:
    from kidb_tui.services.auth import Identity
    from kidb_tui.services.runtime import Runtime


def _menu() -> Screen[None]:
    """The signed-in mode's first screen, imported when someone has signed in: the login screen
    is drawn before the services (and the database layer under them) are imported."""
    from kidb_tui.screens.menu import MenuScreen

    return MenuScreen()


class KidbApp(TerminalApp):
    """One participant session at a terminal. In kiosk mode no key leaves the app."""

    TITLE = "KIDB"
    CSS_PATH = style_sheets(without=(BACK_OFFICE_STYLES,))
    MODES = {SIGNED_OUT: LoginScreen, SIGNED_IN: _menu}
    BINDINGS = [*TerminalApp.BINDINGS, Binding("f1", "help", "key.help")]
    """F1 opens Bantuan from every screen, signed out or in."""

    def __init__(self, rt: Runtime | PendingRuntime, language: str | None = None, kiosk: bool = False) -> None:
        super().__init__(rt, language, kiosk)
        self.identity: Identity | None = None

    def signed_in_user(self) -> Identity | None:
        return self.identity

    def accept(self, user: object) -> None:
        from kidb_tui.services.auth import Identity

        assert isinstance(user, Identity)
        self.identity = user

    def record_logout(self, reason: str) -> None:
        identity, self.identity = self.identity, None
        if identity is not None:
            from kidb_tui.services import auth

            auth.logout(self.rt, identity, reason)

    def actor_name(self) -> str:
        return self.identity.nib if self.identity is not None else "kiosk"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "help":
            return not isinstance(self.screen, HelpScreen) and not self.screen.is_modal
        return True

    async def action_help(self) -> None:
        await self.push_screen(HelpScreen())

    async def back_to_menu(self) -> None:
        """Close every screen above the menu (the end of a flow)."""
        while len(self.screen_stack) > 1:
            await self.pop_screen()
