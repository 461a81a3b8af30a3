"""The baseline: a bare Textual app with one Input (`python -m bench.bare_app`)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Input

PLACEHOLDER = "bare input ready"


class BareApp(App):
    def compose(self) -> ComposeResult:
        yield Input(placeholder=PLACEHOLDER)


if __name__ == "__main__":
    BareApp().run()
