"""A multi-line text area inside a form: Enter moves on to the next field, as it does in every
one-line field of the form; Ctrl+J starts a new line; typing stops at `max_length` characters
(a longer paste is refused by the field's rule when the form is sent)."""

from __future__ import annotations

from textual import events
from textual.widgets import TextArea

NEW_LINE_KEY = "ctrl+j"


class FormArea(TextArea):
    DEFAULT_CSS = """
    FormArea { height: 3; border: none; padding: 0 1; background: $boost; }
    FormArea:focus { border: none; }
    """

    def __init__(self, *, id: str, max_length: int) -> None:
        super().__init__(id=id, soft_wrap=True, tab_behavior="focus", compact=True, highlight_cursor_line=False)
        self.max_length = max_length

    @property
    def room(self) -> int:
        """How many more characters fit."""
        return max(self.max_length - len(self.text), 0)

    async def _on_key(self, event: events.Key) -> None:
        """Runs before TextArea's own key handler, which it replaces for these keys."""
        if event.key == "enter":
            event.prevent_default()
            event.stop()
            self.screen.focus_next()
        elif event.key == NEW_LINE_KEY or (event.is_printable and self.selection.is_empty and not self.room):
            event.prevent_default()
            event.stop()
            if event.key == NEW_LINE_KEY and self.room:
                self.replace("\n", *self.selection, maintain_selection_offset=False)
            elif not self.room:
                self.app.bell()
