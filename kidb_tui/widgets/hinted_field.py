"""A form field with a short hint after its input (the bank's account length, the amount in Rp)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from kidb_tui.widgets.form_field import FormField


class HintedField(FormField):
    """`HintedField("amount", Input(...))`: like FormField, with `set_hint(text)` shown right of the input."""

    DEFAULT_CSS = """
    HintedField .field-hint { width: 16; padding-left: 1; color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static(self.app.t(self.label_key), markup=False, classes="field-label")
            yield self.control
            yield Static("", markup=False, classes="field-hint")
        yield Static("", markup=False, classes="field-error -empty")

    def set_hint(self, text: str) -> None:
        self.query_one(".field-hint", Static).update(text)
