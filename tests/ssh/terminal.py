"""A terminal for the tests: the bytes a kiosk writes go into a pyte screen, and the tests wait
for what a person would see (text, where the cursor is, which text is bold) with a deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pyte
from wcwidth import wcwidth

WAIT_SECONDS = 20.0
POLL_SECONDS = 0.05

ENTER = b"\r"
TAB = b"\t"
DOWN = b"\x1b[B"
ESCAPE = b"\x1b"
F5 = b"\x1b[15~"
F10 = b"\x1b[21~"


class Screen(pyte.Screen):
    """pyte's screen, whose text (`display`) is worked out once after each change rather than at
    each look, and without looking up the width of ASCII characters: the checks that wait for a
    screen read it after every chunk of output, several times (with many terminals, most of the
    client's CPU). The text is pyte's own (tests/ssh/test_terminal.py)."""

    def __init__(self, columns: int, lines: int) -> None:
        super().__init__(columns, lines)
        self._display: list[str] | None = None

    @property
    def display(self) -> list[str]:
        if self._display is None:
            self._display = [self._row(self.buffer[y]) for y in range(self.lines)]
        return self._display

    def _row(self, line) -> str:
        chars, stub = [], False
        for x in range(self.columns):
            if stub:  # the second cell of a wide character
                stub = False
                continue
            data = line[x].data
            chars.append(data)
            stub = not data.isascii() and wcwidth(data[0]) == 2
        return "".join(chars)

    def changed(self) -> None:
        self._display = None


class Term:
    """What is on the screen of one terminal; `write` sends keystrokes to the program."""

    def __init__(self, write: Callable[[bytes], None], columns: int = 80, rows: int = 24) -> None:
        self.write = write
        self.screen = Screen(columns, rows)
        self._stream = pyte.ByteStream(self.screen)
        self.raw = bytearray()
        self.closed = asyncio.Event()
        self.timeout = WAIT_SECONDS

    def feed(self, data: bytes) -> None:
        self.raw += data
        self._stream.feed(data)
        self.screen.changed()

    def send(self, keys: bytes | str) -> None:
        self.write(keys.encode() if isinstance(keys, str) else keys)

    def resize(self, columns: int, rows: int) -> None:
        self.screen.resize(rows, columns)
        self.screen.changed()

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def find(self, needle: str) -> tuple[int, int] | None:
        for row, line in enumerate(self.screen.display):
            column = line.find(needle)
            if column >= 0:
                return row, column
        return None

    def line_has(self, label: str, text: str) -> bool:
        """Whether the first line showing `label` also shows `text` (a field and its value)."""
        return text in next((line for line in self.screen.display if label in line), "")

    def rows_with(self, needle: str) -> list[int]:
        return [row for row, line in enumerate(self.screen.display) if needle in line]

    def is_bold(self, needle: str, marker: str = "") -> bool:
        """Whether the first `needle` after `marker` (e.g. a checkbox's "[ ] ") is drawn bold."""
        where = self.find(marker + needle)
        if where is None:
            return False
        row, column = where
        line = self.screen.buffer[row]
        start = column + len(marker)
        return all(line[x].bold for x in range(start, start + len(needle)))

    def cursor_on(self, label: str) -> bool:
        where = self.find(label)
        return where is not None and self.screen.cursor.y == where[0]

    async def wait(self, check: Callable[[], bool], what: str, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout or self.timeout)
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; the screen:\n{self.text()}")
            if self.closed.is_set():
                raise AssertionError(f"connection closed while waiting for {what}; the screen:\n{self.text()}")
            await asyncio.sleep(POLL_SECONDS)

    async def wait_text(self, text: str, timeout: float | None = None) -> None:
        await self.wait(lambda: text in self.text(), repr(text), timeout)

    async def wait_gone(self, text: str, timeout: float | None = None) -> None:
        await self.wait(lambda: text not in self.text(), f"{text!r} to go", timeout)

    async def wait_cursor_on(self, label: str) -> None:
        """The terminal cursor follows the focused input: wait until it is on `label`'s row."""
        await self.wait(lambda: self.cursor_on(label), f"the cursor on {label!r}")

    async def wait_bold(self, text: str, bold: bool = True, marker: str = "") -> None:
        """Focused inputs and checkboxes show their text in bold."""
        await self.wait(lambda: (marker + text in self.text()) and self.is_bold(text, marker) == bold,
                        f"{marker + text!r} {'bold' if bold else 'not bold'}")

    async def wait_closed(self, timeout: float | None = None) -> None:
        await asyncio.wait_for(self.closed.wait(), timeout or self.timeout)
