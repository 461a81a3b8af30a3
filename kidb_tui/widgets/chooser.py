"""A one-line choice among a few options (the form's bank), as Textual's compact `Select` looks and
is used, in one widget: the choice (or the prompt) and `▼`; Enter, Space, Down or Up opens the
list over the screen under it (a ChoiceList, mounted the first time it opens); letters typed
there move to the first option containing them; Enter chooses, Esc closes without a change. A
click on the line opens (or closes) the list, a click on an option chooses it."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import ClassVar

from textual import events, on
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.widget import Widget

from kidb_tui.widgets.choice_list import ChoiceList
from kidb_tui.widgets.text import Shown, shown

SEARCH_RESET_SECONDS = 0.7
"""Letters typed further apart than this start a new search (as in Textual's Select)."""


class _DropList(ChoiceList):
    """The open list: letters search it, Esc closes it, leaving it (Tab, a click elsewhere) too."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", show=False)]
    DEFAULT_CSS = """
    _DropList {
        width: 1fr; overlay: screen; constrain: none inside; max-height: 12; offset-y: 1;
        background: $surface; border: tall $border-blurred; padding: 0 1;
    }
    """

    def __init__(self) -> None:
        super().__init__(rows=10)
        self._search = ""
        self._typed_at = 0.0

    def on_key(self, event: events.Key) -> None:
        if event.character is None or not event.is_printable or event.key == "space":
            return
        event.stop()
        event.prevent_default()
        now = time.monotonic()
        self._search = (self._search if now - self._typed_at < SEARCH_RESET_SECONDS else "") + event.character.lower()
        self._typed_at = now
        found = [(self.label(index).lower().find(self._search), index) for index in range(self.count)]
        matches = [(at, index) for at, index in found if at >= 0]
        if matches:
            self.highlighted = min(matches)[1]

    def action_close(self) -> None:
        chooser = self.parent
        if isinstance(chooser, Chooser):
            chooser.close(refocus=True)

    def on_blur(self) -> None:
        chooser = self.parent
        if isinstance(chooser, Chooser):
            chooser.close(refocus=False)


class Chooser(Widget, can_focus=True):
    """`Chooser([(label, value), ...], prompt=...)`; `value` is "" while nothing is chosen; a
    choice posts `Chooser.Changed`."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter,down,space,up", "open", show=False)]
    COMPONENT_CLASSES: ClassVar[set[str]] = {"chooser--prompt", "chooser--arrow"}
    DEFAULT_CSS = """
    Chooser { height: 1; width: 1fr; background: $surface; color: $foreground; }
    Chooser:focus { background: $primary 30%; background-tint: $primary 0%; text-style: bold; }
    Chooser > .chooser--prompt { color: $foreground 50%; }
    Chooser > .chooser--arrow { color: $foreground 50%; }
    """

    class Changed(Message):
        def __init__(self, chooser: Chooser, value: str) -> None:
            super().__init__()
            self.chooser = chooser
            self.value = value

        @property
        def control(self) -> Chooser:
            return self.chooser

    def __init__(self, options: Sequence[tuple[str, str]], prompt: Shown, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.options = list(options)
        self.prompt = prompt
        self._value = ""
        self._list: _DropList | None = None

    @property
    def value(self) -> str:
        return self._value

    @value.setter
    def value(self, value: str) -> None:
        if value != self._value and (not value or any(value == code for _, code in self.options)):
            self._value = value
            self.refresh()
            self.post_message(self.Changed(self, value))

    def _label(self) -> str:
        return next((label for label, code in self.options if code == self._value), "")

    def render(self) -> Content:
        label = self._label()
        text = Content(label) if label else Content.styled(shown(self.prompt), self.get_visual_style("chooser--prompt"))
        width = max(self.content_size.width - 4, 0)
        arrow = Content.styled("▼", self.get_visual_style("chooser--arrow"))
        return Content(" ") + text.truncate(width, pad=True) + Content(" ") + arrow + Content(" ")

    def relabel(self) -> None:
        self.refresh()
        if self._list is not None:
            self._list.relabel()

    @property
    def expanded(self) -> bool:
        return self._list is not None and self._list.display

    def action_open(self) -> None:
        choices: list[tuple[str, str | Callable[[], str]]] = [
            ("", lambda: shown(self.prompt)), *((code, label) for label, code in self.options)]
        current = next((index for index, (code, _) in enumerate(choices) if code == self._value), 0)
        if self._list is None:
            self._list = _DropList()
            self._list.set_choices(choices, current)
            self.mount(self._list)
        else:
            self._list.set_choices(choices, current)
            self._list.display = True
        self._list.focus()

    def on_click(self, event: events.Click) -> None:
        if event.widget is not self:
            return
        event.stop()
        if self.expanded:
            self.close(refocus=True)
        else:
            self.focus()
            self.action_open()

    def close(self, refocus: bool) -> None:
        if self._list is not None and self._list.display:
            self._list.display = False
            if refocus:
                self.focus()

    @on(ChoiceList.Chosen)
    def _chosen(self, event: ChoiceList.Chosen) -> None:
        event.stop()
        self.close(refocus=True)
        self.value = event.choice_id

    @on(ChoiceList.Highlighted)
    def _moved(self, event: ChoiceList.Highlighted) -> None:
        event.stop()
