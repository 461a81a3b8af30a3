"""What an app writes to the terminal for each of Textual's screen updates, in fewer bytes: a
whole-screen update sends only the lines that differ from what the terminal already shows, and
styles are written as changes (a line of one background says it once, not once per piece).

Textual draws a new screen whole several times as it opens (on resume, on its first resize, and
when its children have mounted) and restyles every piece of every line with a full SGR sequence
and a reset; over an SSH link that is most of the bytes. The cells on the terminal come out the
same: only the escape sequences that put them there are fewer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.color import ColorSystem
from rich.segment import Segment
from textual._compositor import ChopsUpdate, Compositor, CompositorUpdate, LayoutUpdate
from textual.geometry import Region
from textual.strip import Strip

if TYPE_CHECKING:
    from collections.abc import Iterable

    from rich.console import Console, ConsoleOptions, ConsoleRenderable, RenderResult
    from rich.style import Style
    from textual.geometry import Size

RESET = "\x1b[0m"
WHOLE_LINES_FROM = 3
"""A partial update of at least this many lines' worth of cells is sent as its changed lines."""


def _sgr_parts(codes: str) -> tuple[frozenset[str], str, str]:
    """SGR parameters of one style as (attributes, foreground, background)."""
    tokens = codes.split(";") if codes else []
    attributes: set[str] = set()
    foreground = background = ""
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token in ("38", "48"):
            width = 3 if tokens[index + 1] == "5" else 5
            colour = ";".join(tokens[index:index + width])
            index += width
            if token == "38":
                foreground = colour
            else:
                background = colour
            continue
        number = int(token)
        if 30 <= number <= 39 or 90 <= number <= 97:
            foreground = token
        elif 40 <= number <= 49 or 100 <= number <= 107:
            background = token
        else:
            attributes.add(token)
        index += 1
    return frozenset(attributes), foreground, background


class _Styles:
    """SGR sequences that take the terminal from one style's parameters to another's."""

    def __init__(self) -> None:
        self._changes: dict[tuple[str, str], str] = {}

    def change(self, old: str, new: str) -> str:
        key = (old, new)
        sequence = self._changes.get(key)
        if sequence is None:
            sequence = self._changes[key] = self._compute(old, new)
        return sequence

    @staticmethod
    def _compute(old: str, new: str) -> str:
        if old == new:
            return ""
        if not new:
            return RESET
        old_attributes, old_fg, old_bg = _sgr_parts(old)
        attributes, fg, bg = _sgr_parts(new)
        if old_attributes - attributes:
            return f"\x1b[0;{new}m"
        parts = sorted(attributes - old_attributes)
        if fg != old_fg:
            parts.append(fg or "39")
        if bg != old_bg:
            parts.append(bg or "49")
        return f"\x1b[{';'.join(parts)}m"


class FrameWriter:
    """Turns Textual's compositor updates into terminal text, remembering each line it sent in
    full so an unchanged line is not sent again. `forget()` when the terminal's content is no
    longer known (a new size, a terminal taken over again)."""

    def __init__(self) -> None:
        self._shown: dict[int, str] = {}
        self._styles = _Styles()
        self.size: Size | None = None

    def forget(self, size: Size | None = None) -> None:
        self._shown.clear()
        self.size = size

    def render(self, update: CompositorUpdate, console: Console, compositor: Compositor) -> str:
        color_system = console._color_system or ColorSystem.TRUECOLOR  # as Textual's Strip.render
        if isinstance(update, LayoutUpdate) and update.region.x == 0:
            lines = {y: list(line) for y, line in enumerate(update.strips, update.region.y)}
            return self._changed_lines(lines, console, color_system)
        if isinstance(update, ChopsUpdate) and update.spans:
            rows = {y for y, _x1, _x2 in update.spans}
            whole = _whole_lines(compositor, rows)
            if sum(x2 - x1 for _y, x1, x2 in update.spans) >= WHOLE_LINES_FROM * compositor.size.width:
                return self._changed_lines(whole, console, color_system)
            for y, strips in whole.items():
                self._shown[y] = _line_key(strips, console)
            segments = cast("Iterable[Segment]", update.__rich_console__(console, console.options))
            return self._segments(segments, color_system)
        self._shown.clear()
        return update.render_segments(console)

    def _changed_lines(self, lines: dict[int, list[Strip]], console: Console, color_system: ColorSystem) -> str:
        changed: list[Segment] = []
        for y, strips in lines.items():
            key = _line_key(strips, console)
            if self._shown.get(y) == key:
                continue
            self._shown[y] = key
            changed.append(Segment(f"\x1b[{y + 1};1H"))
            for strip in strips:
                changed.extend(strip)
        return self._segments(changed, color_system)

    def _segments(self, segments: Iterable[Segment], color_system: ColorSystem) -> str:
        """Segments as text, each style change written once; the styles are reset at the end."""
        out: list[str] = []
        append = append_text = out.append
        change = self._styles.change
        current = ""
        for text, style, control in segments:
            if style is None or control:
                if text == "\n" and not control:
                    continue
                if control is None and current and text and not text.startswith("\x1b"):
                    append(RESET)
                    current = ""
                append_text(text)
                continue
            if style._link:
                if current:
                    append(RESET)
                    current = ""
                append(Strip.render_style(style, text, color_system))
                continue
            codes = _codes(style, color_system)
            if codes != current:
                append(change(current, codes))
                current = codes
            append(text)
        if current:
            append(RESET)
        return "".join(out)


class WrittenUpdate(CompositorUpdate):
    """A compositor update that a FrameWriter turns into text (when the app writes it)."""

    def __init__(self, writer: FrameWriter, update: CompositorUpdate, compositor: Compositor) -> None:
        self.writer = writer
        self.update = update
        self.compositor = compositor

    def render_segments(self, console: Console) -> str:
        return self.writer.render(self.update, console, self.compositor)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        return cast("ConsoleRenderable", self.update).__rich_console__(console, options)


def _whole_lines(compositor: Compositor, rows: set[int]) -> dict[int, list[Strip]]:
    """The lines `rows` of the screen as the compositor renders them now, each whole."""
    top = min(rows)
    band = Region(0, top, compositor.size.width, max(rows) - top + 1)
    chops = compositor._render_chops(band, rows.__contains__)
    return {y: [strip for strip in chops[y].values() if strip is not None] for y in sorted(rows)}


def _line_key(strips: list[Strip], console: Console) -> str:
    return "".join(strip.render(console) for strip in strips)


def _codes(style: Style, color_system: ColorSystem) -> str:
    codes = style._ansi
    if codes is None:
        codes = Strip.render_ansi(style, color_system)
    return codes
