"""What every kiosk screen shares: title bar, key bar, translation, language switch, errors."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Checkbox, Input, RadioSet, Select, Static, TextArea

from kidb_tui.errors import DomainError, FormErrors, SystemBusy
from kidb_tui.widgets.form_field import FormField
from kidb_tui.widgets.keybar import KeyBar


class KioskScreen(Screen):
    """Subclasses set `TITLE_KEY` and implement `compose_body()`; text goes through `self.t`."""

    TITLE_KEY = "app.title"
    BINDINGS = [Binding("f2", "app.toggle_language", "key.language", priority=True)]

    def __init__(self) -> None:
        super().__init__()
        self._language = ""
        self._last_focus: Widget | None = None
        self.notice = ""
        """An error to show on the status line once the screen is up (why a session ended)."""

    def compose(self) -> ComposeResult:
        yield Static(self._title_text(), markup=False, id="title-bar")
        yield from self.compose_body()
        yield Static("", markup=False, id="status-line")
        yield KeyBar()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def _title_text(self) -> str:
        identity = self.app.identity
        title = f"KIDB · {self.t(self.TITLE_KEY)}"
        return f"{title}  —  {identity.full_name}" if identity else title

    def on_mount(self) -> None:
        """Textual calls this for every subclass too (handlers run along the MRO): subclasses
        define their own `on_mount`/`on_screen_resume` without calling `super()`."""
        self._language = self.app.i18n.language
        if self.notice:
            self.set_status(self.notice, error=True)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """A steady cursor: a blinking one repaints twice a second, which an SSH link carries.
        The focused control is remembered, so focus can return to it after a busy spell."""
        self._last_focus = event.widget
        if isinstance(event.widget, Input):
            event.widget.cursor_blink = False

    async def on_screen_resume(self) -> None:
        if self._language and self._language != self.app.i18n.language:
            await self.relabel()

    def t(self, key: str, **params: object) -> str:
        return self.app.t(key, **params)

    @property
    def rt(self):
        return self.app.rt

    @property
    def identity(self):
        return self.app.identity

    async def relabel(self) -> None:
        """Redraw in the current language, keeping everything the participant typed or chose."""
        saved = self._save_inputs()
        focused = self.focused.id if self.focused else None
        await self.recompose()
        self._restore_inputs(saved)
        self._language = self.app.i18n.language
        if focused:
            for widget in self.query(f"#{focused}"):
                widget.focus()
        self.after_relabel()

    def after_relabel(self) -> None:
        """Hook for screens that fill widgets after composing (lists, tables)."""

    def _save_inputs(self) -> dict[str, object]:
        saved: dict[str, object] = {}
        for widget in self.query("Input, TextArea, Checkbox, Select, RadioSet"):
            if not widget.id:
                continue
            if isinstance(widget, Input):
                saved[widget.id] = widget.value
            elif isinstance(widget, TextArea):
                saved[widget.id] = widget.text
            elif isinstance(widget, Checkbox):
                saved[widget.id] = widget.value
            elif isinstance(widget, Select):
                saved[widget.id] = widget.value
            elif isinstance(widget, RadioSet):
                saved[widget.id] = widget.pressed_index
        return saved

    def _restore_inputs(self, saved: dict[str, object]) -> None:
        for widget_id, value in saved.items():
            for widget in self.query(f"#{widget_id}"):
                if isinstance(widget, Input):
                    widget.value = str(value)
                elif isinstance(widget, TextArea):
                    widget.text = str(value)
                elif isinstance(widget, Checkbox):
                    widget.value = bool(value)
                elif isinstance(widget, Select):
                    widget.value = value
                elif isinstance(widget, RadioSet) and isinstance(value, int) and value >= 0:
                    buttons = list(widget.query("RadioButton"))
                    if value < len(buttons):
                        buttons[value].value = True

    def set_status(self, message: str, error: bool = False) -> None:
        """The one-line message above the key bar (plain text)."""
        line = self.query_one("#status-line", Static)
        line.update(message)
        line.set_class(error, "-error")

    def show_error(self, error: DomainError) -> None:
        """Put each field's message under its field, and a summary on the status line."""
        for field in self.query(FormField):
            field.clear_error()
        if isinstance(error, FormErrors):
            fields = {f.field_name: f for f in self.query(FormField)}
            unplaced = []
            for field_error in error.errors:
                target = fields.get(field_error.field)
                if target is not None:
                    target.show_error(self.app.i18n.error(field_error))
                else:
                    unplaced.append(self.app.i18n.error(field_error))
            first = error.errors[0]
            summary = self.app.i18n.error(first) if len(error.errors) == 1 else self.t("form.has_errors", count=len(error.errors))
            self.set_status("; ".join([summary, *unplaced]) if unplaced and len(error.errors) > 1 else summary, error=True)
            focus_target = fields.get(first.field)
            if focus_target is not None:
                focus_target.control.focus()
        else:
            self.set_status(self.app.i18n.error(error), error=True)

    async def _dispatch_message(self, message: Message) -> None:
        """Textual stops a screen's message loop after an error in one of its handlers. A busy
        database is expected, so it is answered here and the screen goes on; an error while
        the screen is built (compose, mount) still stops it, and the app closes that screen."""
        try:
            await super()._dispatch_message(message)
        except SystemBusy:
            if isinstance(message, (events.Compose, events.Mount)):
                raise
            self.system_busy()

    def system_busy(self) -> None:
        """The database was busy or unreachable: say so, and give the form back as it was typed
        (controls a pending request had disabled are enabled again) so the person can retry."""
        self.set_status(self.t("system.busy"), error=True)
        for widget in self.query("Input, Button, Select, Checkbox, TextArea, RadioSet, OptionList"):
            widget.disabled = False
        if self.focused is None and self._last_focus is not None and self._last_focus.is_attached:
            self._last_focus.focus()

    def clear_errors(self) -> None:
        for field in self.query(FormField):
            field.clear_error()
        self.set_status("")
