"""A labelled control with its own error line: the message names the field and the rule.

The field draws its label (left column) and its error (under the control) itself, around its one
child, the control: two widgets per field however long the form."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, ClassVar, cast

from rich.cells import cell_len
from textual import events
from textual.content import Content
from textual.style import Style
from textual.widget import Widget
from textual.widgets import Input

from kidb_tui.widgets.text import Shown, Translated, shown

if TYPE_CHECKING:
    from kidb_tui.terminal_app import TerminalApp

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

    def compose(self):  # -> ComposeResult
        yield self._control

    def on_mount(self) -> None:
        if self.placeholder_key and isinstance(self._control, Input):
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

    def render(self) -> Content:
        lines = [self._first_line(), *(Content("") for _ in range(self.control_rows() - 1))]
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
        self.styles.height = self.control_rows() + len(self._error_lines())
        self.refresh()

    def on_resize(self, _event: events.Resize) -> None:
        self._fit()

    def show_error(self, message: Shown) -> None:
        self._error = message
        self._fit()

    def clear_error(self) -> None:
        if self._error:
            self.show_error("")

    @property
    def error(self) -> str:
        return shown(self._error)

    def set_hint(self, text: Shown) -> None:
        self._hint = text
        self.refresh()

    def relabel(self) -> None:
        if self.placeholder_key and isinstance(self._control, Input):
            self._control.placeholder = self._t(self.placeholder_key)
        self._fit()


class HintedField(FormField):
    """A FormField with a short hint right of the control (the bank's account length, the amount in Rp)."""

    HINT_WIDTH = 16
