"""A labelled input with its own error line: the message names the field and the rule."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Static


class FormField(Vertical):
    """`FormField("nib", Input(...))`: label from `field.<name>`, error shown under the control."""

    DEFAULT_CSS = """
    FormField { height: auto; }
    FormField > Horizontal { height: 1; }
    FormField .field-label { width: 24; }
    FormField Input { width: 1fr; }
    FormField .field-error { height: auto; padding-left: 24; color: $error; }
    FormField .field-error.-empty { display: none; }
    """

    def __init__(self, name: str, control: Widget, label_key: str | None = None) -> None:
        super().__init__(id=f"field-{name}")
        self.field_name = name
        self.control = control
        self.label_key = label_key or f"field.{name}"

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static(self.app.t(self.label_key), markup=False, classes="field-label")
            yield self.control
        yield Static("", markup=False, classes="field-error -empty")

    def show_error(self, message: str) -> None:
        error = self.query_one(".field-error", Static)
        error.update(f"! {message}")
        error.set_class(not message, "-empty")

    def clear_error(self) -> None:
        error = self.query_one(".field-error", Static)
        error.update("")
        error.add_class("-empty")
