"""The kiosk App: screen flow from login to menu and back, language switch, logout, and the
guards of a shared terminal (quit keys, idle countdown, session limit)."""

from __future__ import annotations

import asyncio
import signal

from textual import events
from textual.app import App
from textual.binding import Binding

from kidb_tui.i18n import Translator
from kidb_tui.resources import styles_dir
from kidb_tui.screens.auth.login import LoginScreen
from kidb_tui.screens.menu import MenuScreen
from kidb_tui.screens.session_modals import ConfirmLeaveScreen, CountdownScreen
from kidb_tui.services import auth
from kidb_tui.services.auth import Identity
from kidb_tui.services.runtime import Runtime
from kidb_tui.session_timer import EXPIRED, WARN, SessionTimer

QUIT_KEYS = ("ctrl+q", "ctrl+c", "ctrl+z", "ctrl+backslash")
_ACTIVITY = (events.Key, events.MouseDown, events.Paste)


def style_sheets() -> list[str]:
    return [str(path) for path in sorted(styles_dir().glob("*.tcss"))]


class KidbApp(App):
    """One participant session at a terminal. In kiosk mode no key leaves the app."""

    TITLE = "KIDB"
    CSS_PATH = style_sheets()
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("f2", "toggle_language", "key.language", priority=True),
        *(Binding(key, "quit_key", show=False, priority=True) for key in QUIT_KEYS),
    ]

    def __init__(self, rt: Runtime, language: str | None = None, kiosk: bool = False) -> None:
        super().__init__()
        self.rt = rt
        self.kiosk = kiosk
        self.i18n = Translator(language or rt.settings.language)
        self.identity: Identity | None = None
        settings = rt.settings
        self.timer = SessionTimer(
            settings.idle_seconds, settings.idle_warning_seconds, settings.session_limit_seconds, rt.now()
        )
        self._countdown: CountdownScreen | None = None

    def t(self, key: str, **params: object) -> str:
        return self.i18n.t(key, **params)

    def on_mount(self) -> None:
        self.push_screen(LoginScreen())
        self.set_interval(1.0, self.check_session)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGHUP, signal.SIGTERM):
            loop.add_signal_handler(signum, lambda: self.call_later(self.disconnect))

    async def disconnect(self) -> None:
        """The terminal went away (SIGHUP) or the server is stopping (SIGTERM): log out, exit."""
        if self.identity is not None:
            auth.logout(self.rt, self.identity, "disconnect")
            self.identity = None
        self.exit()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, _ACTIVITY):
            self.timer.touch(self.rt.now())
            if self._countdown is not None and self.timer.state(self.rt.now()).status != WARN:
                self._close_countdown()
                return
        await super().on_event(event)

    async def action_toggle_language(self) -> None:
        self.i18n.toggle()
        screen = self.screen
        if hasattr(screen, "relabel"):
            await screen.relabel()

    async def action_quit_key(self) -> None:
        """Outside kiosk mode the quit keys quit; in kiosk mode they offer to log out."""
        if not self.kiosk:
            self.exit()
            return
        if isinstance(self.screen, ConfirmLeaveScreen):
            return

        async def decided(leave: bool | None) -> None:
            if leave:
                await self.sign_out()

        await self.push_screen(ConfirmLeaveScreen(), decided)

    def signed_in(self, identity: Identity) -> None:
        """Called by the login screen: replace it with the menu."""
        self.identity = identity
        self.timer.start(self.rt.now())
        self.switch_screen(MenuScreen())

    async def sign_out(self, reason: str = "user") -> None:
        """Forget the participant and return to a fresh login screen, nothing of theirs kept."""
        if self.identity is not None:
            auth.logout(self.rt, self.identity, reason)
        self.identity = None
        self.timer.stop(self.rt.now())
        self._countdown = None
        self.clear_notifications()
        while len(self.screen_stack) > 2:
            await self.pop_screen()
        await self.switch_screen(LoginScreen())

    def _session_in_use(self) -> bool:
        if self.identity is not None:
            return True
        return any(widget.value for screen in self.screen_stack for widget in screen.query("Input"))

    async def check_session(self) -> None:
        """Every second: show the countdown in the last seconds, wipe the session at zero."""
        if not self._session_in_use():
            self.timer.touch(self.rt.now())
            return
        state = self.timer.state(self.rt.now())
        if state.status == EXPIRED:
            await self.sign_out(reason=state.reason)
            self.screen.set_status(self.t(f"session.ended_{state.reason}"), error=True)
        elif state.status == WARN:
            if self._countdown is None:
                self._countdown = CountdownScreen(state.seconds_left, state.reason)
                await self.push_screen(self._countdown)
            else:
                self._countdown.update_seconds(state.seconds_left)
        elif self._countdown is not None:
            self._close_countdown()

    def _close_countdown(self) -> None:
        if self._countdown is not None and self.screen is self._countdown:
            self.pop_screen()
        self._countdown = None
