"""A checklist field: `[x]`/`[ ]` checkboxes (readable without colour) under one label and error line."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Checkbox, Static

from kidb_tui.widgets.form_field import FormField


class MarkCheckbox(Checkbox):
    """A checkbox drawn as `[x]` or `[ ]`, so its state is never shown by colour alone."""

    DEFAULT_CSS = """
    MarkCheckbox > .toggle--button { color: $foreground; background: transparent; text-style: bold; }
    MarkCheckbox.-on > .toggle--button { color: $text-success; background: transparent; }
    """

    @property
    def _button(self) -> Content:
        return Content.styled("[x]" if self.value else "[ ]", self.get_visual_style("toggle--button"))


class Checklist(FormField):
    """`Checklist("documents", [(code, label), ...])`: one `MarkCheckbox` per item, id `<prefix>-<code>`."""

    DEFAULT_CSS = """
    Checklist > Horizontal { height: auto; }
    Checklist .checklist-items { width: 1fr; height: auto; }
    Checklist .checklist-hint { color: $text-muted; }
    Checklist MarkCheckbox { width: 1fr; height: 1; }
    """

    def __init__(self, name: str, items: list[tuple[str, str]], hint: str = "", prefix: str = "item") -> None:
        self.boxes = [MarkCheckbox(label, id=f"{prefix}-{code}", compact=True) for code, label in items]
        self.codes = [code for code, _ in items]
        self.hint = hint
        super().__init__(name, self.boxes[0])

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static(self.app.t(self.label_key), markup=False, classes="field-label")
            with Vertical(classes="checklist-items"):
                if self.hint:
                    yield Static(self.hint, markup=False, classes="checklist-hint")
                yield from self.boxes
        yield Static("", markup=False, classes="field-error -empty")

    @property
    def control(self) -> MarkCheckbox:
        """The box an error sends the participant to: the first one still unticked."""
        return next((box for box in self.boxes if not box.value), self.boxes[0])

    @control.setter
    def control(self, _first: MarkCheckbox) -> None:
        """`FormField.__init__` assigns the control; the boxes are kept in `self.boxes` instead."""

    @property
    def value(self) -> tuple[str, ...]:
        return tuple(code for code, box in zip(self.codes, self.boxes, strict=True) if box.value)
