"""The kiosk App: a participant's session from login to menu and back."""

from __future__ import annotations

from textual.screen import Screen

from kidb_tui.screens.auth.login import LoginScreen
from kidb_tui.screens.menu import MenuScreen
from kidb_tui.services import auth
from kidb_tui.services.auth import Identity
from kidb_tui.services.runtime import Runtime
from kidb_tui.terminal_app import TerminalApp


class KidbApp(TerminalApp):
    """One participant session at a terminal. In kiosk mode no key leaves the app."""

    TITLE = "KIDB"

    def __init__(self, rt: Runtime, language: str | None = None, kiosk: bool = False) -> None:
        super().__init__(rt, language, kiosk)
        self.identity: Identity | None = None

    def login_screen(self) -> Screen:
        return LoginScreen()

    def signed_in_user(self) -> Identity | None:
        return self.identity

    def record_logout(self, reason: str) -> None:
        identity, self.identity = self.identity, None
        if identity is not None:
            auth.logout(self.rt, identity, reason)

    def actor_name(self) -> str:
        return self.identity.nib if self.identity is not None else "kiosk"

    def back_to_menu(self) -> None:
        """Close every screen above the menu (the end of a flow)."""
        menu = next(screen for screen in reversed(self.screen_stack) if isinstance(screen, MenuScreen))
        menu.pop_until_active()

    def signed_in(self, identity: Identity) -> None:
        """Called by the login, activation and reset screens: replace the top screen with the menu."""
        self.identity = identity
        self.session_started()
        self.switch_screen(MenuScreen())
