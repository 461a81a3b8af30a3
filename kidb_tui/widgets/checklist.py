"""A checklist field: `[x]`/`[ ]` boxes (readable without colour) under one label, a hint beside
the label and one error line; the boxes are one widget (TickList). MarkCheckbox is a single box."""

from __future__ import annotations

from typing import ClassVar

from textual import events, on
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Checkbox

from kidb_tui.widgets.form_field import LABEL_WIDTH, FormField
from kidb_tui.widgets.text import Shown, Translated, shown


class MarkCheckbox(Translated, Checkbox):
    """A checkbox drawn as `[x]` or `[ ]`, so its state is never shown by colour alone; its label
    is a text or a function giving it in the current language."""

    DEFAULT_CSS = """
    MarkCheckbox { border: none; padding: 0; height: 1; background: transparent; }
    MarkCheckbox > .toggle--button { color: $foreground; background: transparent; text-style: bold; }
    MarkCheckbox.-on > .toggle--button { color: $text-success; background: transparent; }
    MarkCheckbox:focus { border: none; background-tint: $foreground 5%; }
    MarkCheckbox:focus > .toggle--label { text-style: bold reverse; background: transparent; }
    """

    def __init__(self, label: Shown, value: bool = False, *, id: str | None = None) -> None:
        super().__init__(shown(label), value, id=id, compact=True)
        self._label_text = label

    @property
    def _button(self) -> Content:
        return Content.styled("[x]" if self.value else "[ ]", self.get_visual_style("toggle--button"))

    def relabel(self) -> None:
        self.label = shown(self._label_text)


class TickList(Widget, can_focus=True):
    """The boxes of a Checklist drawn as one widget, one `[x]`/`[ ]` row per item, the cursor on
    one row: Space or Enter ticks it, Tab or Down goes to the next box (Tab past the last leaves
    the list, as it left the last checkbox), Shift+Tab or Up to the one before."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space,enter", "tick", show=False),
        Binding("tab", "step(1, True)", show=False),
        Binding("shift+tab", "step(-1, True)", show=False),
        Binding("down", "step(1, False)", show=False),
        Binding("up", "step(-1, False)", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {"tick-list--mark", "tick-list--on", "tick-list--cursor",
                                             "tick-list--label"}
    DEFAULT_CSS = """
    TickList { height: auto; width: 1fr; }
    TickList > .tick-list--mark { color: $foreground; text-style: bold; }
    TickList > .tick-list--on { color: $text-success; text-style: bold; }
    TickList > .tick-list--cursor { background: $primary 30%; text-style: bold; }
    TickList > .tick-list--label { color: $block-cursor-foreground; background: $block-cursor-background; }
    """

    def __init__(self, items: list[tuple[str, Shown]]) -> None:
        super().__init__()
        self.codes = [code for code, _ in items]
        self.labels = [label for _, label in items]
        self.ticked = [False] * len(items)
        self.cursor = 0
        self._placed = False

    class Changed(Message):
        """A box was ticked or cleared."""

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.codes)

    def render(self) -> Content:
        lines = []
        focused = self.has_focus
        for index, (label, ticked) in enumerate(zip(self.labels, self.ticked, strict=True)):
            mark_class = "tick-list--on" if ticked else "tick-list--mark"
            text = Content(f" {shown(label)} ")
            if focused and index == self.cursor:
                cursor = self.get_visual_style("tick-list--cursor")
                line = (Content.styled("[x]" if ticked else "[ ]", self.get_visual_style("tick-list--cursor", mark_class))
                        + text.stylize_before(self.get_visual_style("tick-list--cursor", "tick-list--label")))
                line = line.truncate(self.content_size.width, ellipsis=True)
                line += Content.styled(" " * max(self.content_size.width - line.cell_length, 0), cursor)
            else:
                line = Content.styled("[x]" if ticked else "[ ]", self.get_visual_style(mark_class)) + text
                line = line.truncate(self.content_size.width, ellipsis=True)
            lines.append(line)
        return Content("\n").join(lines)

    def point_at(self, index: int) -> None:
        """Put the cursor on box `index`, kept when the list is focused next."""
        self.cursor = index
        self._placed = True
        self.refresh()

    def on_focus(self, _event: events.Focus) -> None:
        """Arriving from below (Shift+Tab) puts the cursor on the last box, else on the first."""
        if not self._placed:
            before = getattr(self.screen, "_last_focus", None)
            chain = self.screen.focus_chain
            below = before in chain and self in chain and chain.index(before) > chain.index(self)
            self.cursor = len(self.codes) - 1 if below else 0
        self._placed = False
        self.refresh()

    def on_blur(self, _event: events.Blur) -> None:
        self.refresh()

    def action_tick(self) -> None:
        self.ticked[self.cursor] = not self.ticked[self.cursor]
        self.refresh()
        self.post_message(self.Changed())

    def action_step(self, step: int, leave: bool) -> None:
        index = self.cursor + step
        if 0 <= index < len(self.codes):
            self.cursor = index
            self.refresh()
        elif leave:
            (self.screen.focus_next if step > 0 else self.screen.focus_previous)()

    def tick_all(self) -> None:
        self.ticked = [True] * len(self.codes)
        self.refresh()
        self.post_message(self.Changed())

    def on_click(self, event: events.Click) -> None:
        if 0 <= event.y < len(self.codes):
            self.cursor = event.y
            self.action_tick()

    @property
    def value(self) -> tuple[str, ...]:
        return tuple(code for code, ticked in zip(self.codes, self.ticked, strict=True) if ticked)


class Checklist(FormField):
    """`Checklist("documents", [(code, label), ...], hint=...)`: the label and the hint, then one
    row per item under them; `value` is the codes ticked."""

    DEFAULT_CSS = f"""
    Checklist > TickList {{ margin: 1 0 0 {LABEL_WIDTH + 1}; }}
    """

    def __init__(self, name: str, items: list[tuple[str, Shown]], hint: Shown = "") -> None:
        self.ticks = TickList(items)
        super().__init__(name, self.ticks)
        self._hint_text = hint

    def control_rows(self) -> int:
        return 1 + len(self.ticks.codes)

    def _first_line(self) -> Content:
        """The label, then the hint above the boxes."""
        hint = shown(self._hint_text)[: max(self.size.width - LABEL_WIDTH - 1, 1)]
        return Content(self.label().ljust(LABEL_WIDTH)[:LABEL_WIDTH] + " ") + Content.styled(hint, self._style("hint"))

    @property
    def control(self) -> TickList:
        """The boxes, the cursor on the first one still unticked (where an error sends the person)."""
        ticks = self.ticks
        ticks.point_at(next((index for index, ticked in enumerate(ticks.ticked) if not ticked), 0))
        return ticks

    @on(TickList.Changed)
    def _ticked(self) -> None:
        self._changed()

    def tick_all(self) -> None:
        self.ticks.tick_all()

    def relabel(self) -> None:
        super().relabel()
        self.ticks.refresh()

    def typed_value(self) -> object:
        return self.value

    @property
    def value(self) -> tuple[str, ...]:
        return self.ticks.value
