"""A checklist field: `[x]`/`[ ]` checkboxes (readable without colour) under one label, a hint
beside the label and one error line."""

from __future__ import annotations

from textual.content import Content
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


class Checklist(FormField):
    """`Checklist("documents", [(code, label), ...], hint=...)`: one MarkCheckbox per item under
    the hint, each with id `<prefix>-<code>`; `value` is the codes ticked."""

    DEFAULT_CSS = f"""
    Checklist > MarkCheckbox {{ margin: 0 0 0 {LABEL_WIDTH + 1}; width: 1fr; }}
    Checklist > MarkCheckbox:first-of-type {{ margin: 1 0 0 {LABEL_WIDTH + 1}; }}
    """

    def __init__(self, name: str, items: list[tuple[str, Shown]], hint: Shown = "", prefix: str = "item") -> None:
        self.boxes = [MarkCheckbox(label, id=f"{prefix}-{code}") for code, label in items]
        self.codes = [code for code, _ in items]
        super().__init__(name, self.boxes[0])
        self._hint_text = hint

    def compose(self):  # -> ComposeResult
        yield from self.boxes

    def control_rows(self) -> int:
        return 1 + len(self.boxes)

    def _first_line(self) -> Content:
        """The label, then the hint above the boxes."""
        hint = shown(self._hint_text)[: max(self.size.width - LABEL_WIDTH - 1, 1)]
        return Content(self.label().ljust(LABEL_WIDTH)[:LABEL_WIDTH] + " ") + Content.styled(hint, self._style("hint"))

    @property
    def control(self) -> MarkCheckbox:
        """The box an error sends the person to: the first one still unticked."""
        return next((box for box in self.boxes if not box.value), self.boxes[0])

    def tick_all(self) -> None:
        for box in self.boxes:
            box.value = True

    def typed_value(self) -> object:
        return self.value

    @property
    def value(self) -> tuple[str, ...]:
        return tuple(code for code, box in zip(self.codes, self.boxes, strict=True) if box.value)
