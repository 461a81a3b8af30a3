"""A labelled control with its own error line: the message names the field and the rule.

The field draws its label (left column) and its error (under the control) itself, around its one
child, the control: two widgets per field however long the form."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, cast

from rich.cells import cell_len
from textual import events, on
from textual.content import Content
from textual.geometry import Region, Size
from textual.style import Style
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Select, TextArea

from kidb_tui.widgets.chooser import Chooser
from kidb_tui.widgets.text import Shown, Translated, shown

if TYPE_CHECKING:
    from kidb_tui.terminal_app import TerminalApp
    from kidb_tui.widgets.area import FormArea

LABEL_WIDTH = 24


class FormField(Translated, Widget):
    """`FormField("nib", Input(...))`: label from `field.<name>` (or `label_key`), the input's
    placeholder from `placeholder_key`; `show_error(text)` draws `! text` under the control."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"form-field--error", "form-field--hint"}
    DEFAULT_CSS = f"""
    FormField {{ layout: vertical; height: 1; text-wrap: nowrap; text-overflow: clip; }}
    FormField > * {{ margin-left: {LABEL_WIDTH}; width: 1fr; }}
    FormField > .form-field--error {{ color: $error; }}
    FormField > .form-field--hint {{ color: $text-muted; }}
    """
    HINT_WIDTH = 0

    def __init__(self, name: str, control: Widget, label_key: str | None = None,
                 placeholder_key: str | None = None) -> None:
        super().__init__(id=f"field-{name}")
        self.field_name = name
        self._control = control
        self.label_key = label_key or f"field.{name}"
        self.placeholder_key = placeholder_key
        self._error: Shown = ""
        self._hint: Shown = ""
        self._errored_value: object = None
        self._drawn_size: Size | None = None
        """The size the field was last drawn at (see `on_resize`)."""
        # Before the first layout: set after it (on the first resize) the field laid the whole
        # screen out and drew it again after its first frame.
        self.styles.height = self.control_rows()

    def compose(self):  # -> ComposeResult
        yield self._control

    def on_mount(self) -> None:
        if self.placeholder_key and isinstance(self._control, (Input, TextArea)):
            self._control.placeholder = self._t(self.placeholder_key)
        if self.HINT_WIDTH:
            self._control.styles.margin = (0, self.HINT_WIDTH, 0, LABEL_WIDTH)

    @property
    def control(self) -> Widget:
        """The control an error sends the person to."""
        return self._control

    def control_rows(self) -> int:
        return 1

    def _t(self, key: str) -> str:
        return cast("TerminalApp", self.app).t(key)

    def label(self) -> str:
        return self._t(self.label_key)

    def side_lines(self) -> list[str]:
        """Short notes in the label column beside the control's lower rows."""
        return []

    def render(self) -> Content:
        self._drawn_size = self.size
        notes = self.side_lines()
        lines = [self._first_line(), *(Content.styled(f"  {notes[row - 1]}"[:LABEL_WIDTH - 1], self._style("hint"))
                                       if row <= len(notes) else Content("")
                                       for row in range(1, self.control_rows()))]
        lines += [Content(" " * LABEL_WIDTH) + Content.styled(line, self._style("error")) for line in self._error_lines()]
        return Content("\n").join(lines)

    def _first_line(self) -> Content:
        """The label, and the hint right of the control when there is one."""
        label = self.label()
        if cell_len(label) >= LABEL_WIDTH:
            label = label[: LABEL_WIDTH - 2] + "…"
        line = Content(label.ljust(LABEL_WIDTH))
        hint = shown(self._hint)
        if self.HINT_WIDTH and hint:
            gap = max(self.size.width - LABEL_WIDTH - self.HINT_WIDTH, 0)
            line += Content(" " * (gap + 1)) + Content.styled(hint[: self.HINT_WIDTH - 1], self._style("hint"))
        return line

    def _style(self, part: str) -> Style:
        return self.get_visual_style(f"form-field--{part}")

    def _error_lines(self) -> list[str]:
        message = shown(self._error)
        if not message:
            return []
        return textwrap.wrap(f"! {message}", max(self.size.width - LABEL_WIDTH, 20)) or [f"! {message}"]

    def _fit(self) -> None:
        rows = self.control_rows() + len(self._error_lines())
        if self.styles.height is None or self.styles.height.cells != rows:  # a new height lays the screen out
            self.styles.height = rows
        self.refresh()

    def on_resize(self, _event: events.Resize) -> None:
        """Only an error's lines change the height; the label and hint are drawn again, unless
        the field was drawn at this size already (a new screen's first frame draws every field
        at its size before the Resize events come: drawing them again was a frame of its own)."""
        if self._error:
            self._fit()
        elif self._drawn_size != self.size:
            self.refresh()

    def show_error(self, message: Shown) -> None:
        self._error = message
        self._errored_value = self.typed_value()
        self._fit()

    def typed_value(self) -> object:
        """What the control holds now (compared with what it held when the error was shown)."""
        return getattr(self._control, "value", None)

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    @on(Chooser.Changed)
    def _changed(self) -> None:
        """A field's old error goes as soon as the person puts something else in it (a field a
        screen empties after the error, such as a refused PIN, keeps its message)."""
        value = self.typed_value()
        if self._error and value != self._errored_value and value and value is not Select.BLANK:
            self.show_error("")

    def clear_error(self) -> None:
        if self._error:
            self.show_error("")

    @property
    def error(self) -> str:
        return shown(self._error)

    def set_hint(self, text: Shown) -> None:
        """Redraw the hint's cells only, and only when its text changes (it is set per key typed)."""
        changed = shown(text) != shown(self._hint)
        self._hint = text
        if changed and self.HINT_WIDTH:
            self.refresh(Region(max(self.size.width - self.HINT_WIDTH, 0), 0, self.HINT_WIDTH, 1))
        elif changed:
            self.refresh()

    def relabel(self) -> None:
        if self.placeholder_key and isinstance(self._control, (Input, TextArea)):
            self._control.placeholder = self._t(self.placeholder_key)
        self._fit()


class HintedField(FormField):
    """A FormField with a short hint right of the control (the bank's account length, the amount in
    Rp: wide enough for `= Rp100.000.000.000`)."""

    HINT_WIDTH = 22


class AreaField(FormField):
    """A FormField around a FormArea: beside its lower rows, the key for a new line and the
    characters left (`notes()` gives them in the current language)."""

    def __init__(self, name: str, control: FormArea, notes: Callable[[], list[str]],
                 placeholder_key: str | None = None) -> None:
        super().__init__(name, control, placeholder_key=placeholder_key)
        self._notes = notes

    def control_rows(self) -> int:
        return 3

    def side_lines(self) -> list[str]:
        return self._notes()

    def typed_value(self) -> object:
        return cast("FormArea", self.control).text

    @on(TextArea.Changed)
    def _area_changed(self) -> None:
        self._changed()
        self.refresh()
