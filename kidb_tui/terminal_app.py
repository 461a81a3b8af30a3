"""What the kiosk and the back office share as apps on a shared terminal: translation, the
language key, quit keys that never leave the app in kiosk mode, the idle countdown and the
absolute session limit, and logging out when the terminal goes away."""

from __future__ import annotations

import asyncio
import signal

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from kidb_tui.i18n import Translator
from kidb_tui.resources import styles_dir
from kidb_tui.screens.session_modals import ConfirmLeaveScreen, CountdownScreen
from kidb_tui.services.runtime import Runtime
from kidb_tui.session_timer import EXPIRED, WARN, SessionTimer

QUIT_KEYS = ("ctrl+q", "ctrl+c", "ctrl+z", "ctrl+backslash")
_ACTIVITY = (events.Key, events.MouseDown, events.Paste)


def style_sheets() -> list[str]:
    return [str(path) for path in sorted(styles_dir().glob("*.tcss"))]


class TerminalApp(App):
    """Subclasses say who is signed in (`signed_in_user`), how to record a logout
    (`record_logout`) and which screen starts a session (`login_screen`)."""

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
        settings = rt.settings
        self.timer = SessionTimer(
            settings.idle_seconds, settings.idle_warning_seconds, settings.session_limit_seconds, rt.now()
        )
        self._countdown: CountdownScreen | None = None

    def login_screen(self) -> Screen:
        raise NotImplementedError

    def signed_in_user(self) -> object | None:
        raise NotImplementedError

    def record_logout(self, reason: str) -> None:
        """Audit the end of the session and forget who was signed in."""
        raise NotImplementedError

    def t(self, key: str, **params: object) -> str:
        return self.i18n.t(key, **params)

    def on_mount(self) -> None:
        self.push_screen(self.login_screen())
        self.set_interval(1.0, self.check_session)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGHUP, signal.SIGTERM):
            loop.add_signal_handler(signum, lambda: self.call_later(self.disconnect))

    async def disconnect(self) -> None:
        """The terminal went away (SIGHUP) or the server is stopping (SIGTERM): log out, exit."""
        if self.signed_in_user() is not None:
            self.record_logout("disconnect")
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

    def session_started(self) -> None:
        self.timer.start(self.rt.now())

    async def sign_out(self, reason: str = "user") -> None:
        """Forget who was signed in and return to a fresh login screen, nothing of theirs kept."""
        if self.signed_in_user() is not None:
            self.record_logout(reason)
        self.timer.stop(self.rt.now())
        self._countdown = None
        self.clear_notifications()
        while len(self.screen_stack) > 2:
            await self.pop_screen()
        await self.switch_screen(self.login_screen())

    def _session_in_use(self) -> bool:
        if self.signed_in_user() is not None:
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
