"""Read-only text drawn from a function, so one widget shows a whole block (a summary, a
timeline, a list of requirements) and a language switch only redraws it. Text is never markup."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol, cast

from rich.cells import cell_len
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.content import Content
from textual.css.styles import RulesMap
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, SupportsVisual, Visual
from textual.widget import Widget
from textual.widgets import Button

Shown = str | Callable[[], str]
"""A text, or a function giving it in the current language (redrawn after a language switch)."""


def shown(text: Shown) -> str:
    return text() if callable(text) else text


@dataclass(frozen=True)
class Rows:
    """Labels in a column of `label_width` cells (cut with `…`), each value beside its label,
    wrapped under itself: what `Block.rows` drew with a Rich grid, cell for cell."""

    rows: Sequence[tuple[str, str]]
    label_width: int
    label_style: Style

    def lines(self, width: int) -> list[Content]:
        value_width = max(width - self.label_width, 1)
        indent = Content.styled(" " * self.label_width, self.label_style)
        lines = []
        for label, value in self.rows:
            cut = Content(label).truncate(self.label_width - 1, ellipsis=True).plain
            head = Content.styled(cut + " " * (self.label_width - cell_len(cut)), self.label_style)
            wrapped = Content(value).wrap(value_width)
            lines.append(head + wrapped[0].pad_right(value_width - wrapped[0].cell_length))
            lines.extend(indent + line.pad_right(value_width - line.cell_length) for line in wrapped[1:])
        return lines


class Laid(Protocol):
    """A part of a `Sheet` laid out for a width: `Rows`, or a screen's own columns."""

    def lines(self, width: int) -> list[Content]: ...


class Sheet(Visual):
    """Paragraphs (`Content`, never markup) and `Laid` parts such as `Rows`, one under the other,
    laid out once for the width they are drawn at: a Rich `Table` is measured and rendered again
    at each of the several passes Textual makes over a new screen."""

    def __init__(self, *parts: Content | Laid) -> None:
        self._parts = parts
        self._laid_out: tuple[int, Content] | None = None

    def content(self, width: int) -> Content:
        if self._laid_out is None or self._laid_out[0] != width:
            lines: list[Content] = []
            for part in self._parts:
                lines.extend(part.wrap(width) if isinstance(part, Content) else part.lines(width))
            self._laid_out = (width, Content("\n").join(lines))
        return self._laid_out[1]

    def render_strips(self, width: int, height: int | None, style: Style, options: RenderOptions) -> list[Strip]:
        return self.content(width).render_strips(width, height, style, options)

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return container_width

    def get_height(self, rules: RulesMap, width: int) -> int:
        return self.content(width).get_height(rules, width)


class Translated:
    """A widget whose words come from the catalogue: `relabel()` redraws it in the new language."""

    def relabel(self) -> None:
        raise NotImplementedError


class Block(Translated, Widget):
    """`Block(draw)`: `draw(block)` gives the text (a plain `str`, never markup), a `Sheet`, or a
    Rich/Textual renderable, and is called whenever the block is drawn; `block.rows(...)` and
    `block.heading(...)` build the usual shapes with the styles of the component classes below."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"block--label", "block--heading"}
    DEFAULT_CSS = """
    Block { height: auto; }
    Block > .block--label { color: $text-muted; }
    Block > .block--heading { text-style: bold; }
    """

    def __init__(self, draw: Callable[[Block], RenderableType | Visual | str], *, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._draw = draw

    def render(self) -> RenderableType | SupportsVisual | Visual:
        drawn = self._draw(self)
        return Content(drawn) if isinstance(drawn, str) else drawn

    def relabel(self) -> None:
        self.refresh(layout=True)

    def rows(self, rows: Sequence[tuple[str, str]], label_width: int = 24) -> Table:
        """Label and value side by side; a long value wraps under itself, never under the label."""
        table = Table.grid(padding=(0, 1), expand=True)
        table.add_column(width=label_width - 1, style=self.get_component_rich_style("block--label"), no_wrap=True)
        table.add_column(ratio=1, overflow="fold")
        for label, value in rows:
            table.add_row(Text(label), Text(value))
        return table

    def sheet_rows(self, rows: Sequence[tuple[str, str]], label_width: int = 24) -> Rows:
        """`rows()` for a `Sheet`: the same layout as one Content (no Rich table to measure)."""
        return Rows(rows, label_width, self.get_visual_style("block--label"))

    def sheet_heading(self, text: str) -> Content:
        return Content.styled(text, self.get_visual_style("block--heading"))

    def marked(self, items: Sequence[tuple[str, str]]) -> Table:
        """`[x]`/`[ ]` marks before texts that wrap under themselves."""
        table = Table.grid(padding=(0, 1), expand=True)
        table.add_column(width=3, style=self.get_component_rich_style("block--heading"), no_wrap=True)
        table.add_column(ratio=1, overflow="fold")
        for mark, text in items:
            table.add_row(Text(mark), Text(text))
        return table

    @staticmethod
    def text(value: str) -> Text:
        """Plain text for a Rich layout (a `str` there would be read as markup)."""
        return Text(value)

    def heading(self, text: str) -> Text:
        return Text(text, style=self.get_component_rich_style("block--heading"))


class Say(Block):
    """A line or a paragraph: a string, or a function giving it in the current language. Without
    the block's component classes, which plain text does not use (Textual styles each one apart
    every time the widget is styled)."""

    @classmethod
    def _get_component_classes(cls) -> frozenset[str]:  # type: ignore[override]  # Textual's is lru_cache'd
        return frozenset()

    def __init__(self, text: Shown = "", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(self._text_of, id=id, classes=classes)
        self._text = text

    def _text_of(self, _block: Block) -> str:
        return shown(self._text)

    def say(self, text: Shown) -> None:
        """Show `text`. When it takes as many lines as the text before at the width the line
        already has, only the line is drawn again: the screen is not laid out (the status line
        changes at every Enter on a form, and each layout restyled nothing but cost a frame)."""
        before = self._text
        self._text = text
        self.refresh(layout=not self._same_height(before))

    def _same_height(self, before: Shown) -> bool:
        width = self.content_size.width
        if not self.is_mounted or width <= 0 or (self.styles.width is not None and self.styles.width.is_auto):
            return False
        rules = cast(RulesMap, self.styles)  # what Textual's own widgets pass to `get_height`
        return Content(shown(before)).get_height(rules, width) == Content(shown(self._text)).get_height(rules, width)


class KeyButton(Translated, Button):
    """A button whose label is the catalogue text of `label_key`."""

    def __init__(self, label_key: str, *, id: str | None = None, variant: str = "default") -> None:
        super().__init__(id=id, variant=variant)  # type: ignore[arg-type]
        self.label_key = label_key
        self.relabel()

    def relabel(self) -> None:
        self.label = Content(self.app.t(self.label_key))  # type: ignore[attr-defined]
        self.refresh(layout=True)
