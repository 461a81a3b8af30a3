"""The kiosk App: screen flow from login to menu and back, language switch, logout."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding

from kidb_tui.i18n import Translator
from kidb_tui.resources import styles_dir
from kidb_tui.screens.auth.login import LoginScreen
from kidb_tui.screens.menu import MenuScreen
from kidb_tui.services import auth
from kidb_tui.services.auth import Identity
from kidb_tui.services.runtime import Runtime


def _style_sheets() -> list[str]:
    return [str(path) for path in sorted(styles_dir().glob("*.tcss"))]


class KidbApp(App):
    """One participant session at a terminal."""

    TITLE = "KIDB"
    CSS_PATH = _style_sheets()
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [Binding("f2", "toggle_language", "key.language", priority=True)]

    def __init__(self, rt: Runtime, language: str | None = None) -> None:
        super().__init__()
        self.rt = rt
        self.i18n = Translator(language or rt.settings.language)
        self.identity: Identity | None = None

    def t(self, key: str, **params: object) -> str:
        return self.i18n.t(key, **params)

    def on_mount(self) -> None:
        self.push_screen(LoginScreen())

    async def action_toggle_language(self) -> None:
        self.i18n.toggle()
        screen = self.screen
        if hasattr(screen, "relabel"):
            await screen.relabel()

    def signed_in(self, identity: Identity) -> None:
        """Called by the login screen: replace it with the menu."""
        self.identity = identity
        self.switch_screen(MenuScreen())

    async def sign_out(self, reason: str = "user") -> None:
        """Forget the participant and return to a fresh login screen, nothing of theirs kept."""
        if self.identity is not None:
            auth.logout(self.rt, self.identity, reason)
        self.identity = None
        while len(self.screen_stack) > 2:
            await self.pop_screen()
        await self.switch_screen(LoginScreen())
