"""The client side of bench/ssh_bench.py: terminals that note the moment the screen shows what
is waited for (no polling), the login done that way, and the memory of a process as
/proc/PID/smaps_rollup gives it."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.ssh.flows import LOGIN_LABEL, SECRET_LABEL
from tests.ssh.terminal import ENTER, Term

NIB_HINT = "11 angka"
BACKSPACE = b"\x7f"


class TimedTerm(Term):
    """A Term whose `until` resolves as soon as the bytes that make a check true arrive, with
    the time (time.perf_counter) they arrived."""

    def __init__(self, write, columns: int = 80, rows: int = 24) -> None:
        super().__init__(write, columns, rows)
        self._waiting: list[tuple[Callable[[], bool], asyncio.Future[float]]] = []

    def feed(self, data: bytes) -> None:
        super().feed(data)
        now = time.perf_counter()
        for check, future in list(self._waiting):
            if not future.done() and check():
                future.set_result(now)
                self._waiting.remove((check, future))

    async def until(self, check: Callable[[], bool], what: str, timeout: float | None = None) -> float:
        if check():
            return time.perf_counter()
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((check, future))
        try:
            return await asyncio.wait_for(future, timeout or self.timeout)
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what}; the screen:\n{self.text()}") from None

    async def until_text(self, text: str, timeout: float | None = None) -> float:
        return await self.until(lambda: text in self.text(), repr(text), timeout)


def at_login(term: Term, terminal_id: str) -> bool:
    return LOGIN_LABEL in term.text() and term.screen.display[-1].lstrip().startswith(f"{terminal_id} ")


async def login(term: TimedTerm, nib: str, secret: str, name: str) -> float:
    """From the login screen to the menu, each key sent as soon as the screen shows the last
    one took; returns when the menu greets `name`."""
    await term.until_text(LOGIN_LABEL)
    term.send(nib)
    await term.until(lambda: term.line_has(LOGIN_LABEL, nib), "the NIB")
    term.send(ENTER)
    await term.until(lambda: term.cursor_on(SECRET_LABEL), "the cursor on the PIN")
    term.send(secret)
    await term.until_text("•" * len(secret))
    term.send(ENTER)
    return await term.until_text(f"Halo, {name}")


async def type_and_time(term: TimedTerm, text: str, pause: float) -> list[float]:
    """Type `text` into the NIB field one key every `pause` seconds; the seconds from each key
    sent to its echo on the screen. Then erase it (not timed)."""
    echoes = []
    for count in range(1, len(text) + 1):
        typed = text[:count]
        sent = time.perf_counter()
        term.send(text[count - 1])
        echoes.append(await term.until(lambda typed=typed: term.line_has(LOGIN_LABEL, typed), repr(typed)) - sent)
        await asyncio.sleep(pause)
    term.send(BACKSPACE * len(text))
    await term.until(lambda: term.line_has(LOGIN_LABEL, NIB_HINT), "the NIB erased")
    return echoes


@dataclass(frozen=True)
class Memory:
    rss: int
    pss: int
    uss: int
    """Private_Clean + Private_Dirty, KiB."""


def memory(pid: int) -> Memory:
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        values[name] = int(rest.split()[0])
    return Memory(values["Rss"], values["Pss"], values["Private_Clean"] + values["Private_Dirty"])


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary(seconds: list[float]) -> str:
    return (f"median {statistics.median(seconds):.3f} s "
            f"(min {min(seconds):.3f}, max {max(seconds):.3f}, n={len(seconds)})")
