"""What the kiosk and the back office share as apps on a shared terminal: a signed-out and a
signed-in mode (signing out discards the signed-in one whole), translation and the language key,
keys typed ahead handed on in order, quit keys that never leave the app in kiosk mode, the idle
countdown and the absolute session limit, logging out when the terminal goes away, and faults
that never show a traceback: a busy database is a message, any other error an apology and a
wiped session."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Callable, Mapping
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, cast

from rich.console import RenderableType
from rich.text import Text
from textual import events
from textual._compositor import ChopsUpdate, LayoutUpdate
from textual.actions import ActionParseResult
from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.message import Message
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import Worker, WorkerFailed

from kidb_tui import gc_tuning
from kidb_tui.errors import SystemBusy
from kidb_tui.frames import FrameWriter, WrittenUpdate
from kidb_tui.i18n import LANGUAGES, Translator
from kidb_tui.logs import escape, traceback_text
from kidb_tui.pending_runtime import PendingRuntime
from kidb_tui.resources import styles_dir
from kidb_tui.screens.base import BACKGROUND, TerminalScreen
from kidb_tui.screens.messages import SignedIn, SignOutRequested
from kidb_tui.session_timer import EXPIRED, WARN, SessionTimer
from kidb_tui.type_ahead import TypeAhead

if TYPE_CHECKING:
    from datetime import datetime

    from kidb_tui.config import Settings
    from kidb_tui.screens.session_modals import CountdownScreen
    from kidb_tui.services.runtime import Runtime

QUIT_KEYS = ("ctrl+q", "ctrl+c", "ctrl+z", "ctrl+backslash")
_ACTIVITY = (events.Key, events.MouseDown, events.Paste)
SIGNED_OUT, SIGNED_IN = "signed_out", "signed_in"
ERROR_BURST = 3
"""Unexpected errors within ERROR_BURST_SECONDS that end the session instead of starting it again."""
ERROR_BURST_SECONDS = 60.0

log = logging.getLogger("kidb.session")


class RuntimePrepared(Message):
    """The database behind the first screen is prepared, or could not be (posted from its thread)."""


BACK_OFFICE_STYLES = "backoffice.tcss"


def style_sheets(without: tuple[str, ...] = ()) -> list[str | PurePath]:
    """The .tcss files, less those named in `without` (the kiosk does not parse the back office's)."""
    return [str(path) for path in sorted(styles_dir().glob("*.tcss")) if path.name not in without]


class TerminalApp(App[None]):
    """Subclasses give the first screen of each kind of mode (`MODES`, keyed SIGNED_OUT and
    SIGNED_IN), say who is signed in (`signed_in_user`), accept a new one (`accept`) and record a
    logout (`record_logout`). Every sign-in and sign-out starts a new mode of its kind."""

    CSS_PATH = style_sheets()
    ENABLE_COMMAND_PALETTE = False
    DEFAULT_MODE = SIGNED_OUT
    BINDINGS = [
        Binding("f2", "toggle_language", "key.language", priority=True),
        *(Binding(key, "quit_key", show=False, priority=True) for key in QUIT_KEYS),
    ]

    language = var("id")
    """The language of every screen; screens watch it and redraw their texts."""

    def __init__(self, rt: Runtime | PendingRuntime, language: str | None = None, kiosk: bool = False) -> None:
        super().__init__()
        self._pending = rt if isinstance(rt, PendingRuntime) else None
        self._rt: Runtime | None = None if isinstance(rt, PendingRuntime) else rt
        self.settings: Settings = rt.settings
        self.kiosk = kiosk
        self.i18n = Translator(language or rt.settings.language, rt.settings.timezone)
        self.set_reactive(TerminalApp.language, self.i18n.language)
        self.home_language = "id"
        """The language every kiosk sign-out returns to: the next person never inherits one."""
        self._first_screens: dict[str, Callable[[], Screen[Any]]] = {
            mode: first for mode, first in self.MODES.items() if callable(first)}
        settings = rt.settings
        self.timer = SessionTimer(
            settings.idle_seconds, settings.idle_warning_seconds, settings.session_limit_seconds, self.now()
        )
        self._countdown: CountdownScreen | None = None
        self._error_times: list[float] = []
        self._app_task: asyncio.Task[Any] | None = None
        self._type_ahead = TypeAhead(self, self._hand_on, _ready, _holds_keys, _takes_at_once)
        self._entering = asyncio.Lock()
        """Held while modes are swapped (the session timer and a screen may both end a session)."""
        self._modes_started = 0
        self._frames = FrameWriter()

    @property
    def rt(self) -> Runtime:
        """The runtime; while a PendingRuntime is still being prepared, waiting for it (only worker
        threads ask this early: the UI thread uses `settings` and `now()`)."""
        if self._rt is None:
            assert self._pending is not None
            if not self.is_running:
                self._pending.prepare_here()
            self._rt = self._pending.wait()
        return self._rt

    @rt.setter
    def rt(self, rt: Runtime) -> None:
        self._rt = rt

    def now(self) -> datetime:
        """The runtime's clock, also while the runtime is being prepared."""
        return self._rt.now() if self._rt is not None else cast(PendingRuntime, self._pending).now()

    @property
    def prepare_failed(self) -> BaseException | None:
        """What preparing a PendingRuntime raised: the app ends on it (the command line says why)."""
        return self._pending.error if self._pending is not None else None

    @property
    def runtime_ready(self) -> bool:
        return self._rt is not None or cast(PendingRuntime, self._pending).ready

    def on_ready(self) -> None:
        """The first frame is on the screen: only now is the database layer imported and prepared."""
        if self._pending is not None:
            self._pending.start(lambda: self.post_message(RuntimePrepared()))

    def on_runtime_prepared(self) -> None:
        if self.prepare_failed is not None:
            self.exit(return_code=2)

    def _display(self, screen: Screen[Any], renderable: RenderableType | None) -> None:
        """Textual's screen updates written as the lines that changed (kidb_tui/frames.py)."""
        if isinstance(renderable, (LayoutUpdate, ChopsUpdate)):
            if self._frames.size != self.size:
                self._frames.forget(self.size)
            super()._display(screen, WrittenUpdate(self._frames, renderable, screen._compositor))
        else:
            super()._display(screen, renderable)

    def on_resize(self, event: events.Resize) -> None:
        """Rich's console takes the terminal's size: without one it asks the operating system
        for it (three `ioctl`s) each time a renderable is measured, hundreds of times a table."""
        self.console.size = (event.size.width, event.size.height)

    def signed_in_user(self) -> object | None:
        raise NotImplementedError

    def accept(self, user: object) -> None:
        """Remember who signed in (called before the signed-in mode starts)."""
        raise NotImplementedError

    def record_logout(self, reason: str) -> None:
        """Audit the end of the session and forget who was signed in, even when the audit
        write fails (the session is wiped whatever the database says)."""
        raise NotImplementedError

    def actor_name(self) -> str:
        """Who the audit log names for this session: the signed-in user, or the app."""
        raise NotImplementedError

    def watch_language(self, language: str) -> None:
        self.i18n.language = language

    def t(self, key: str, **params: object) -> str:
        return self.i18n.t(key, **params)

    def on_mount(self) -> None:
        self._app_task = asyncio.current_task()
        self.set_interval(1.0, self.check_session)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGHUP, signal.SIGTERM):
            loop.add_signal_handler(signum, lambda: self.call_later(self.disconnect))

    async def disconnect(self) -> None:
        """The terminal went away (SIGHUP) or the server is stopping (SIGTERM): log out, exit."""
        self._logout_quietly("disconnect")
        self.exit()

    def _logout_quietly(self, reason: str) -> None:
        """Audit the logout if there is someone to log out; a busy database does not keep them in."""
        if self.signed_in_user() is None:
            return
        try:
            self.record_logout(reason)
        except SystemBusy:
            log.warning("event=logout_not_audited reason=%s", reason)

    def _handle_exception(self, error: Exception) -> None:
        """Textual calls this with any error a handler or worker did not catch; its own version
        prints a traceback with local variables to the terminal and exits. Here a busy database
        is a message on the screen; anything else is logged (no locals) and audited, and the
        session is wiped: a screen's error ends in an apology on a fresh login screen, while an
        error in the app's own message loop (which Textual stops after it) ends the session
        with a plain apology on the terminal. No traceback ever reaches the terminal."""
        if self.prepare_failed is not None:
            return  # a worker that waited for the runtime: the app is ending on why it failed
        cause = error.error if isinstance(error, WorkerFailed) and isinstance(error.error, Exception) else error
        task = asyncio.current_task()
        if task is self._app_task:
            self._log_error(cause)
            self._end_after_error(type(cause).__name__)
            return
        broken = None if isinstance(error, WorkerFailed) else self._screen_of_task(task)
        if isinstance(cause, SystemBusy):
            self.call_later(self._system_busy, broken)
        else:
            self._unexpected(cause)

    async def run_action(self, action: str | ActionParseResult, default_namespace: DOMNode | None = None,
                         namespaces: Mapping[str, DOMNode] | None = None) -> bool:
        """Key bindings run their actions in the app's own message loop, which Textual stops
        after an error: an action's error is answered here, so the loop goes on."""
        try:
            return await super().run_action(action, default_namespace, namespaces)
        except SystemBusy:
            await self._system_busy()
        except Exception as error:  # noqa: BLE001  (any action error: logged, audited, session wiped)
            self._unexpected(error)
        return True

    def _unexpected(self, cause: Exception) -> None:
        """Log and audit an unexpected error and wipe the session; end it if errors keep coming."""
        self._log_error(cause)
        now = time.monotonic()
        self._error_times = [t for t in self._error_times if now - t < ERROR_BURST_SECONDS] + [now]
        if len(self._error_times) >= ERROR_BURST:
            self._end_after_error(type(cause).__name__)
        else:
            self.call_later(self._recover, type(cause).__name__)

    def _log_error(self, cause: Exception) -> None:
        log.error("event=session_error error=%s message=%s traceback=%s",
                  type(cause).__name__, escape(str(cause))[:200], traceback_text(cause))
        if self._exception is None:
            self._exception = cause

    def _screen_of_task(self, task: asyncio.Task | None) -> Screen | None:
        """The screen whose message loop (its own or one of its widgets') ran `task`: Textual
        stops a loop after an error in it, so that screen no longer answers."""
        for screen in reversed(self.screen_stack):
            if any(node._task is task for node in (screen, *screen.walk_children())):
                return screen
        return None

    def _end_after_error(self, error_type: str) -> None:
        """The app cannot go on: audit, log out, and leave a plain apology on the terminal."""
        signed_in = self.signed_in_user() is not None
        try:
            _record_error(self.rt, self.actor_name(), error_type, signed_in)
        except SystemBusy:
            log.warning("event=session_error_not_audited error=%s", error_type)
        self._logout_quietly("error")
        self._return_code = 1
        self._exception_event.set()
        self.panic(Text(f"{self.t('session.error_title')} {self.t('session.error_ended')}"))

    async def _system_busy(self, broken: Screen[Any] | None = None) -> None:
        """Say the database is busy on the screen in use. A screen whose own loop the error
        stopped is closed first (a fresh login screen replaces a broken first screen of a mode)."""
        if broken is not None and broken in self.screen_stack:
            if self.screen_stack.index(broken) == 0:
                await self.sign_out(reason="error")
            else:
                while broken in self.screen_stack:
                    await self.pop_screen()
        if isinstance(self.screen, TerminalScreen):
            self.screen.system_busy()

    async def _recover(self, error_type: str) -> None:
        """Audit the error, wipe the session and apologise on a fresh login screen."""
        signed_in = self.signed_in_user() is not None
        try:
            await asyncio.to_thread(_record_error, self.rt, self.actor_name(), error_type, signed_in)
        except SystemBusy:
            log.warning("event=session_error_not_audited error=%s", error_type)
        await self.sign_out(reason="error")
        from kidb_tui.screens.session_modals import ApologyScreen

        await self.push_screen(ApologyScreen())

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, _ACTIVITY):
            self.timer.touch(self.now())
            if self._countdown is not None and self.timer.state(self.now()).status != WARN:
                self._close_countdown()
                return
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            self._type_ahead.receive(event)
            return
        await super().on_event(event)

    async def _hand_on(self, event: events.Event) -> None:
        """A key (or paste) whose turn has come: Textual's own handling (bindings, then focus)."""
        await super().on_event(event)

    @property
    def typing_ahead(self) -> int:
        """Keys received and not yet handed to the screen."""
        return self._type_ahead.waiting

    async def action_toggle_language(self) -> None:
        """F2: every screen watches the language and redraws its texts (no database)."""
        self.language = LANGUAGES[(LANGUAGES.index(self.language) + 1) % len(LANGUAGES)]

    async def action_quit_key(self) -> None:
        """Outside kiosk mode the quit keys quit; in kiosk mode they offer to log out, except on
        the login screen itself (nobody signed in, nowhere to go back to: nothing to ask)."""
        if not self.kiosk:
            self.exit()
            return
        from kidb_tui.screens.session_modals import ConfirmLeaveScreen

        if isinstance(self.screen, ConfirmLeaveScreen):
            return
        if self.signed_in_user() is None and len(self.screen_stack) == 1:
            return

        async def decided(leave: bool | None) -> None:
            if leave:
                await self.sign_out()

        await self.push_screen(ConfirmLeaveScreen(), decided)

    def signed_in(self, user: object) -> None:
        """Someone signed in: start the session clock and a fresh signed-in mode; the signed-out
        mode (the login screen with what was typed there) is discarded."""
        self.accept(user)
        self.timer.start(self.now())
        self.call_next(self._enter, SIGNED_IN)

    async def on_signed_in(self, message: SignedIn) -> None:
        self.signed_in(message.user)
        if message.follow is not None:
            self.call_next(self.push_screen, message.follow())
        if message.welcome:
            self.call_later(self.notify, message.welcome, title=message.welcome_title, timeout=10, markup=False)

    async def on_sign_out_requested(self, message: SignOutRequested) -> None:
        await self.sign_out(message.reason, message.notice)

    async def sign_out(self, reason: str = "user", notice: str = "") -> None:
        """Forget who was signed in and return to a fresh login screen, nothing of theirs kept;
        `notice` is shown on its status line as an error (why the session ended). In kiosk mode
        the language returns to Bahasa Indonesia for the next person."""
        self._logout_quietly(reason)
        self.timer.stop(self.now())
        self._countdown = None
        self.clear_notifications()
        if self.kiosk:
            self.language = self.home_language
        await self._enter(SIGNED_OUT, notice)
        self.call_after_refresh(gc_tuning.between_sessions)

    def delay_update(self, delay: float = 0.05) -> None:
        """Textual holds every frame for 50 ms when a mode is switched, to hide a screen still
        being built; `_enter` holds them instead until the new mode's first screen is built and
        the old mode removed, so the hold would only be waited out."""
        if not self._entering.locked():
            super().delay_update(delay)

    def _fresh(self, kind: str, notice: str = "") -> Screen[Any]:
        screen = self._first_screens[kind]()
        if isinstance(screen, TerminalScreen):
            screen.notice = notice
        # Textual re-parses every style sheet when a mode starts on a screen it has not styled
        # yet (about 50 ms); the sheets have not changed, so the new screen is marked current.
        screen._css_update_count = self._css_update_count
        return screen

    async def _enter(self, kind: str, notice: str = "") -> None:
        """Start a new mode of `kind` (SIGNED_OUT or SIGNED_IN) on a fresh first screen and
        discard the mode in use with all its screens: nothing of a session outlives it."""
        async with self._entering:
            self._modes_started += 1
            mode, previous = f"{kind}:{self._modes_started}", self.current_mode
            self.add_mode(mode, lambda: self._fresh(kind, notice))
            with self.batch_update():
                await self.switch_mode(mode)
                await self.remove_mode(previous)

    async def _replace_screen(self, screen: Screen[Any]) -> Screen[Any]:
        """Textual's, less what it does to the screen on top when `screen` leaves for good (no
        stack holds it): a whole repaint of the screen on top, then, as the removal ends, a
        layout and another whole repaint. The screen on top draws itself as it resumes; those
        were a layout and two frames more inside every sign-in and sign-out (the old mode's
        screens) and every switch to a new screen (confirm -> receipt)."""
        if self.is_screen_installed(screen) or any(screen in stack for stack in self._screen_stacks.values()):
            return await super()._replace_screen(screen)
        screen.post_message(events.ScreenSuspend())
        self.capture_mouse(None)
        await self._prune(screen)
        return screen

    def _session_in_use(self) -> bool:
        if self.signed_in_user() is not None:
            return True
        return any(widget.value for screen in self.screen_stack for widget in screen.query(Input))

    async def check_session(self) -> None:
        """Every second: show the countdown in the last seconds, wipe the session at zero."""
        if not self._session_in_use():
            self.timer.touch(self.now())
            return
        state = self.timer.state(self.now())
        if state.status == EXPIRED:
            await self.sign_out(reason=state.reason, notice=self.t(f"session.ended_{state.reason}"))
        elif state.status == WARN:
            if self._countdown is None:
                from kidb_tui.screens.session_modals import CountdownScreen

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


def _record_error(rt: Runtime, actor: str, error_type: str, signed_in: bool) -> None:
    from kidb_tui.services import session_events

    session_events.record_error(rt, actor, error_type, signed_in)


def _ready(screen: Screen[Any]) -> bool:
    return not isinstance(screen, TerminalScreen) or screen.ready


def _takes_at_once(screen: Screen[Any], keys: list[events.Key]) -> bool:
    """Whether printable keys that arrived together may reach the focused field as one paste with
    the outcome the keys one by one would have: the screen says so (`KEYS_AT_ONCE`: no handler of
    its fields' changes acts on a value half typed), the field takes any text and has room for
    all of it, nothing is selected, and no key is bound (a bound key acts instead of typing)."""
    if not (isinstance(screen, TerminalScreen) and screen.KEYS_AT_ONCE):
        return False
    field = screen.focused
    if not isinstance(field, Input) or field.restrict or field.type != "text" or not field.selection.is_empty:
        return False
    if field.max_length and len(field.value) + len(keys) > field.max_length:
        return False
    bound = screen.active_bindings
    return not any(name in bound for key in keys for name in (key.key, *key.aliases))


def _holds_keys(worker: Worker[Any]) -> bool:
    """A worker whose outcome the next key must see (a login being checked); not background work."""
    return worker.group != BACKGROUND
