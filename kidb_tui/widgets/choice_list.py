"""A list to choose from with the arrow keys and Enter, drawn as one block of text: the
highlighted line in reverse video, at most `rows` lines shown with the highlighted one always
among them. One widget however many lines (Textual's OptionList draws each option apart). A
click on a line chooses it, as Enter on it does."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

Label = Callable[[], str]


class ChoiceList(Widget, can_focus=True):
    """`ChoiceList(id=...)` then `set_choices([(id, label), ...])`; a label is a text or a function
    giving it in the current language. Enter or a click posts `ChoiceList.Chosen`; moving posts
    `Highlighted`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
        Binding("home", "move_to(0)", show=False),
        Binding("end", "move_to(-1)", show=False),
        Binding("pageup", "move(-5)", show=False),
        Binding("pagedown", "move(5)", show=False),
        Binding("enter", "choose", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {"choice-list--highlight"}
    DEFAULT_CSS = """
    ChoiceList { height: auto; max-height: 14; }
    ChoiceList > .choice-list--highlight { text-style: reverse; }
    ChoiceList:focus > .choice-list--highlight { text-style: bold reverse; }
    """

    highlighted: reactive[int] = reactive(0, layout=False)

    class Highlighted(Message):
        def __init__(self, choice_list: ChoiceList, index: int, choice_id: str) -> None:
            super().__init__()
            self.choice_list = choice_list
            self.index = index
            self.choice_id = choice_id

    class Chosen(Highlighted):
        """Enter was pressed on a line, or the line was clicked."""

    def __init__(self, rows: int = 14, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows = rows
        self._choices: list[tuple[str, str | Label]] = []
        self._top = 0

    def set_choices(self, choices: Sequence[tuple[str, str | Label]], highlighted: int = 0) -> None:
        self._choices = list(choices)
        self.set_reactive(ChoiceList.highlighted, max(min(highlighted, len(self._choices) - 1), 0))
        self._top = 0
        self.refresh(layout=True)

    @property
    def count(self) -> int:
        return len(self._choices)

    @property
    def highlighted_id(self) -> str | None:
        return self._choices[self.highlighted][0] if self._choices else None

    def label(self, index: int) -> str:
        text = self._choices[index][1]
        return text() if callable(text) else text

    def relabel(self) -> None:
        self.refresh(layout=True)

    @property
    def _shown(self) -> int:
        """How many lines are drawn: all the choices, at most `rows`."""
        return min(self.rows, len(self._choices))

    def _window(self) -> range:
        height = self._shown
        if self.highlighted < self._top:
            self._top = self.highlighted
        elif self.highlighted >= self._top + height:
            self._top = self.highlighted - height + 1
        return range(self._top, self._top + height)

    def render(self) -> Content:
        highlight = self.get_visual_style("choice-list--highlight")
        width = self.size.width
        lines = []
        for index in self._window():
            text = self.label(index)
            if index == self.highlighted:
                lines.append(Content.styled(text.ljust(width), highlight))
            else:
                lines.append(Content(text))
        return Content("\n").join(lines)

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return self._shown

    def watch_highlighted(self, index: int) -> None:
        if self._choices:
            self.post_message(self.Highlighted(self, index, self._choices[index][0]))

    def action_move(self, step: int) -> None:
        if self._choices:
            self.highlighted = max(0, min(self.highlighted + step, len(self._choices) - 1))

    def action_move_to(self, index: int) -> None:
        if self._choices:
            self.highlighted = index % len(self._choices)

    def action_choose(self) -> None:
        if self._choices:
            self.post_message(self.Chosen(self, self.highlighted, self._choices[self.highlighted][0]))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or not 0 <= offset.y < self._shown:
            return
        event.stop()
        self.focus()
        self.highlighted = self._top + offset.y
        self.action_choose()
