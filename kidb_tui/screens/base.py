"""What every screen shares: title bar, status line and key bar; translation and the language
switch; the screen's data loaded once in a worker thread; errors shown under their fields; a
busy database answered on the screen."""

from __future__ import annotations

import asyncio
import time
from contextlib import suppress
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, cast

from textual import events, messages, on, work
from textual._time import get_time
from textual.app import ComposeResult
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input
from textual.widgets._toast import ToastRack

from kidb_tui.errors import DomainError, FormErrors, SystemBusy
from kidb_tui.screens.messages import ViewLoaded, ViewT
from kidb_tui.widgets.form_field import FormField
from kidb_tui.widgets.keybar import KeyBar
from kidb_tui.widgets.text import Block, Say, Shown, Translated

if TYPE_CHECKING:
    from textual._compositor import Compositor
    from textual.geometry import Region

    from kidb_tui.app import KidbApp
    from kidb_tui.services.auth import Identity
    from kidb_tui.services.runtime import Runtime
    from kidb_tui.terminal_app import TerminalApp

WAIT_SECONDS = 0.25
"""How long a new screen waits for its data before it is drawn without it (its loading state)."""
BUSY_RETRY_SECONDS = 3.0
"""After a busy database kept a screen from loading its data, it tries again this much later."""
OPENING_SECONDS = 0.2
"""How long after its first frame a new screen draws what changed at once, not at Textual's
next update tick (see `TerminalScreen.on_idle`)."""
BACKGROUND = "background"
"""Worker group for work that does not hold back the keys typed after it (see TerminalApp)."""
_CONTROLS = "Input, Button, Select, Checkbox, TextArea, RadioSet, OptionList, DataTable"


class TerminalScreen(Screen[Any], Generic[ViewT]):
    """Subclasses set `TITLE_KEY` and implement `compose_body()`; text goes through `self.t`.
    A screen with data implements `load()` (run once in a worker thread, returns a frozen view
    model) and `show(view)` (fills the screen); until then `self.view` is None."""

    TITLE_KEY = "app.title"
    AUTO_FOCUS = ""
    """Each screen focuses its first control itself (Textual's automatic focus would first
    focus the form's scrolling container, restyling the whole form twice)."""
    BINDINGS = [Binding("f2", "app.toggle_language", "key.language", priority=True)]
    KEYS_AT_ONCE = False
    """Printable keys that arrive together go to the focused text field in one go (one change, one
    frame; kidb_tui/type_ahead.py): for screens none of whose handlers acts on a value half typed."""
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
    """Textual's own, less its repaint of the whole screen at each focus change (about 4.6 KB
    written to the terminal per Enter or Tab in a form): the widgets that gain and lose focus
    restyle and redraw themselves."""

    def __init__(self) -> None:
        super().__init__()
        self.view: ViewT | None = None
        self.notice = ""
        """An error to show on the status line once the screen is up (why a session ended)."""
        self._language = ""
        self._last_focus: Widget | None = None
        self._loaded = asyncio.Event()
        self._arrived = asyncio.Event()
        self._first_view: ViewT | None = None
        self._suspended = False
        self._returning = False
        self._opening_until = 0.0
        self._laid_out_at = float("-inf")
        """When the last whole layout began (textual._time.get_time)."""
        self._drawn_whole = False
        """Whether the message being handled has had the whole screen written (see `_dispatch_message`)."""

    @property
    def terminal(self) -> TerminalApp:
        return cast("TerminalApp", self.app)

    @property
    def rt(self) -> Runtime:
        return self.terminal.rt

    def t(self, key: str, **params: object) -> str:
        return self.terminal.t(key, **params)

    def compose(self) -> ComposeResult:
        if self.has_data and self._first_view is None:
            self._load_view()
        yield Say(self._title_text, id="title-bar")
        yield from self.compose_body()
        yield Say("", id="status-line")
        yield KeyBar()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def say(self, key: str, *, id: str | None = None, classes: str | None = None, **params: object) -> Say:
        """The catalogue text of `key`, redrawn in the new language after a switch."""
        return Say(lambda: self.t(key, **params), id=id, classes=classes)

    def _title_text(self) -> str:
        return f"KIDB · {self.t(self.TITLE_KEY)}"

    @on(events.Mount)
    async def _mounted(self) -> None:
        """Textual calls this for every subclass too (handlers run along the MRO, the subclass's
        first): subclasses define their own `on_mount` without `super()`.
        The data, read since `compose` began, is shown before the screen's first layout if it
        comes within WAIT_SECONDS: the first frame has it; otherwise the loading state shows."""
        self._language = self.terminal.language
        self.watch(self.app, "language", self._language_changed, init=False)
        if self.notice:
            self.set_status(self.notice, error=True)
        if not self.has_data:
            self._loaded.set()
            return
        with suppress(TimeoutError):
            await asyncio.wait_for(self._arrived.wait(), WAIT_SECONDS)
        if self._first_view is not None and self.view is None:
            self._apply(self._first_view)

    # -- frames -------------------------------------------------------------------------------

    def on_idle(self, event: events.Idle) -> None:
        """While the screen opens, what its first frame set off (each widget's first size,
        the focused control's restyle) is drawn as soon as the screen is idle: Textual waits
        for the next tick of the screen's update timer, which a new screen starts only then,
        a whole period (1/60 s) later. After OPENING_SECONDS Textual's pacing applies."""
        if (time.monotonic() < self._opening_until and self.is_current and not self.app._batch_count
                and (self._layout_required or self._repaint_required or self._dirty_widgets)):
            self._on_timer_update()

    def focus_now(self, widget: Widget) -> None:
        """Focus `widget` and restyle it at once: Textual's `focus()` waits for the app's next
        turn and the control restyles when its Focus event comes, both after the new screen's
        first frame, which showed it unfocused (Textual's own auto focus does the same)."""
        if widget.focusable:
            widget.has_focus = True
            self.set_focus(widget)

    # -- data ---------------------------------------------------------------------------------

    @property
    def has_data(self) -> bool:
        return type(self).load is not TerminalScreen.load

    @property
    def ready(self) -> bool:
        """Whether the screen shows its data (keys typed meanwhile wait: see TerminalApp)."""
        return self._loaded.is_set()

    async def wait_ready(self) -> None:
        await self._loaded.wait()

    def load(self) -> ViewT:
        """The screen's data, read in a worker thread (never touch widgets here)."""
        raise NotImplementedError

    def show(self, view: ViewT) -> None:
        """Fill the screen from its view model (on the UI thread, no database)."""

    @work(thread=True, exclusive=True, group="load")
    def _load_view(self) -> None:
        view = self.load()
        if self._first_view is None:
            self._first_view = view
            self.app.call_from_thread(self._arrived.set)
        self.post_message(ViewLoaded(view))

    def preload(self, view: ViewT) -> None:
        """The screen's data read before it opens (by whoever opens it, in a worker thread of
        its own, before the switch): the first frame shows it, and the screen starts no read as
        it opens (a worker's thread begins only when the event loop next runs, after the
        screen's compose and mount, and then contends with them for the GIL). Call before the
        screen is composed."""
        self._first_view = view
        self._arrived.set()

    def reload(self) -> None:
        """Read the data again (after a change the screen made, or a busy database)."""
        self._load_view()

    def on_view_loaded(self, message: ViewLoaded[ViewT]) -> None:
        if message.view is not self.view:
            self._apply(message.view)

    def _apply(self, view: ViewT) -> None:
        self.view = view
        self.show(view)
        self._loaded.set()

    # -- language -------------------------------------------------------------------------------

    @on(events.Unmount)
    def _unwatch_language(self) -> None:
        """Textual drops a closed screen's watcher only when the watched value next changes: a
        kiosk whose language stays Bahasa Indonesia all day would keep every screen every
        participant saw (and all their widgets) alive. Textual has no public unwatch, so the
        entry is taken out of the app's watcher list here."""
        watchers = getattr(self.app, "__watchers", {}).get("language")
        if watchers:
            watchers[:] = [(node, callback) for node, callback in watchers if node is not self]

    def _language_changed(self, language: str) -> None:
        if self._visible:
            self.relabel()

    @property
    def _visible(self) -> bool:
        """On top, or seen through the screens above it. Textual's `is_current` also counts the
        screen under an opaque one, which F2 would relabel (and lay out) for nothing: a screen
        under the top one is relabelled when it resumes."""
        for screen in reversed(self.app.screen_stack):
            if screen is self:
                return True
            if screen.styles.background.a == 1:
                return False
        return False

    @property
    def returning(self) -> bool:
        """While a resume is handled: whether the screen is back from under another one (not
        its first showing, nor the second resume a switch to a new mode sends it)."""
        return self._returning

    def on_screen_resume(self) -> None:
        if self._language and self._language != self.terminal.language:
            self.relabel()

    def relabel(self) -> None:
        """Redraw every text in the current language from what the screen already holds: what
        was typed or chosen stays, and nothing is read from the database."""
        self._language = self.terminal.language
        for widget in self.query("*"):
            if isinstance(widget, Translated):
                widget.relabel()
        self.after_relabel()

    def after_relabel(self) -> None:
        """Hook for screens whose lists or tables hold translated text."""

    def redraw(self) -> None:
        """Draw every text block again from what the screen holds now."""
        for block in self.query(Block):
            block.refresh(layout=True)

    # -- messages and errors --------------------------------------------------------------------

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """A steady cursor: a blinking one repaints twice a second, which an SSH link carries.
        The focused control is remembered, so focus can return to it after a busy spell."""
        self._last_focus = event.widget
        if isinstance(event.widget, Input):
            event.widget.cursor_blink = False

    def set_status(self, message: Shown, error: bool = False) -> None:
        """The one-line message above the key bar (plain text)."""
        line = self.query_one("#status-line", Say)
        line.say(message)
        line.set_class(error, "-error")

    def show_error(self, error: DomainError) -> None:
        """Put each field's message under its field, and a summary on the status line."""
        i18n = self.terminal.i18n
        fields = {field.field_name: field for field in self.query(FormField)}
        for field in fields.values():
            field.clear_error()
        if not isinstance(error, FormErrors):
            self.set_status(lambda: i18n.error(error), error=True)
            return
        unplaced = []
        for field_error in error.errors:
            target = fields.get(field_error.field)
            if target is not None:
                target.show_error(partial(i18n.error, field_error))
            else:
                unplaced.append(field_error)
        first = error.errors[0]

        def summary() -> str:
            if len(error.errors) == 1:
                return i18n.error(first)
            text = self.t("form.has_errors", count=len(error.errors))
            return "; ".join([text, *(i18n.error(item) for item in unplaced)])

        self.set_status(summary, error=True)
        focus_target = fields.get(first.field)
        if focus_target is not None:
            focus_target.control.focus()

    def refuse(self, field: str, message: Shown) -> None:
        """A refusal the person must read before anything else (a failed login): the reason under
        the field `field`, a pointer to it on the status line, the cursor in that field."""
        target = next(item for item in self.query(FormField) if item.field_name == field)
        target.show_error(message)
        self.set_status(lambda: self.t("login.failed_status", label=target.label()), error=True)
        target.control.focus()

    def clear_errors(self) -> None:
        for field in self.query(FormField):
            field.clear_error()
        self.set_status("")

    def _refresh_layout(self, size: Size | None = None, scroll: bool = False) -> None:
        """Textual's layout, less the layout it asks for itself: arranging sets each widget's
        virtual size to what was just arranged, and that size requests another layout of the
        screen (a second full layout and frame for every new screen). Requests made before a
        layout stand, except before the screen's first (nothing was arranged, so nothing cached);
        a layout that shows or hides a scrollbar keeps them all (the second layout fits the
        scrollbar in)."""
        nodes = self._layout_nodes()
        first = not self._compositor.size
        before = set() if first else {id(node) for node in nodes if node._layout_required}
        scrollbars = [_scrollbars(node) for node in nodes]
        if not scroll or self._layout_widgets:
            self._laid_out_at = get_time()
        super()._refresh_layout(size, scroll)
        if any(_scrollbars(node) != shown for node, shown in zip(nodes, scrollbars, strict=True)):
            return
        for node in self._layout_nodes():  # walked again: a layout can add nodes (a scrollbar)
            if node._layout_required and id(node) not in before:
                node._layout_required = False

    def _compositor_refresh(self) -> None:
        """Textual's frame, then each widget's repaint requests that this frame has drawn are
        forgotten. Textual keeps a widget's requests until the widget's own update comes: a frame
        drawn by a layout or a repaint of the whole screen draws the widget without taking them,
        and the widget's next small repaint (a hint, a cursor) drew all of it again. A frame made
        during a batch update is never written (`App._display`): its requests stand."""
        drawn = set(self._compositor._dirty_regions)
        written = not self.app._batch_count  # Textual drops a frame made during a batch update
        super()._compositor_refresh()
        if drawn and written and self is self.app.screen and not self.app.is_inline:
            self._drawn_whole = _forget_drawn(self._compositor, drawn) or self._drawn_whole

    def _extend_compose(self, widgets: list[Widget]) -> None:
        """Textual's own widgets; its toast rack hidden inline from the start, as it is hidden
        later whenever there is no notification (the first time, that was a layout of its own)."""
        super()._extend_compose(widgets)
        for widget in widgets:
            if isinstance(widget, ToastRack):
                widget.display = False

    def _layout_nodes(self) -> list[Widget]:
        return [self, *self.walk_children(Widget)]

    async def _dispatch_message(self, message: Message) -> None:
        """Textual stops a screen's message loop after an error in one of its handlers. A busy
        database is expected, so it is answered here and the screen goes on; an error while
        the screen is built (compose, mount) still stops it, and the app closes that screen."""
        if isinstance(message, events.ScreenSuspend):
            self._suspended = True
        elif isinstance(message, events.ScreenResume):
            # Textual styles the whole screen again on every resume (about half a new screen's
            # style work): needed when it comes back from under another screen, not when it was
            # just pushed (each node was styled as it was mounted) nor on the second resume that
            # a switch to a new mode sends it (`App._init_mode`, then `App.switch_mode`).
            self._returning = message.refresh_styles = self._suspended
            self._suspended = False
            if not self._opening_until:
                self._opening_until = time.monotonic() + OPENING_SECONDS
        elif isinstance(message, messages.Layout) and message.time < self._laid_out_at:
            return  # asked for before the last whole layout, which has done it
        elif isinstance(message, events.Resize) and message.size == self._compositor.size:
            # Laid out at this size already: Textual lays a screen out again when its own first
            # layout reports the screen's size to it, and when the terminal repeats its size.
            return
        self._drawn_whole = False
        try:
            await super()._dispatch_message(message)
        except SystemBusy:
            if isinstance(message, (events.Compose, events.Mount)):
                raise
            self.system_busy()
        if self._drawn_whole and isinstance(message, events.ScreenResume):
            # Textual asks for a whole repaint after the resume's layout, which has just drawn
            # the whole screen: that second frame drew the same picture again.
            self._repaint_required = False
            self._repaint_regions.clear()

    def system_busy(self) -> None:
        """The database was busy or unreachable: say so, and give the form back as it was typed
        (controls a pending request had disabled are enabled again) so the person can retry.
        A screen that could not load its data tries again a little later."""
        self.set_status(self.t("system.busy"), error=True)
        for widget in self.query(_CONTROLS):
            widget.disabled = False
        if self.focused is None and self._last_focus is not None and self._last_focus.is_attached:
            self._last_focus.focus()
        if self.has_data and self.view is None:
            self.set_timer(BUSY_RETRY_SECONDS, self.reload)
            self._loaded.set()


class KioskScreen(TerminalScreen[ViewT]):
    """A screen of the participant's kiosk: `self.kiosk` is the app, `self.identity` who was
    signed in when the screen opened (safe to read from the screen's worker threads)."""

    def __init__(self) -> None:
        super().__init__()
        self._identity = self.kiosk.identity

    @property
    def kiosk(self) -> KidbApp:
        return cast("KidbApp", self.app)

    @property
    def identity(self) -> Identity:
        """The signed-in participant (screens after login only)."""
        assert self._identity is not None, "a signed-in screen without a participant"
        return self._identity

    def _title_text(self) -> str:
        title = f"KIDB · {self.t(self.TITLE_KEY)}"
        return f"{title}  —  {self._identity.full_name}" if self._identity else title


def _forget_drawn(compositor: Compositor, drawn: set[Region]) -> bool:
    """Drop the pending repaints (`Widget._repaint_regions`) that lie inside regions just drawn;
    whether the whole screen was drawn."""
    whole = compositor.size.region in drawn
    for widget, (region, clip) in compositor.visible_widgets.items():
        pending = widget._repaint_regions
        if not pending:
            continue
        if whole:
            pending.clear()
            continue
        for request in list(pending):
            shown = clip.intersection(request.translate(region.offset))
            if not shown or any(area.contains_region(shown) for area in drawn):
                pending.discard(request)
    return whole


def _scrollbars(widget: Widget) -> tuple[bool, bool]:
    return widget.show_horizontal_scrollbar, widget.show_vertical_scrollbar

