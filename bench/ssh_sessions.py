"""The client side of bench/ssh_bench.py: participants of its own (one per terminal, so that no
two terminals log in as the same person at once), terminals that note the moment the screen
shows what is waited for (no polling), the login done that way, and the memory of a process as
/proc/PID/smaps_rollup gives it."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from kidb_tui.services import auth, participants
from kidb_tui.services.runtime import Runtime
from tests.ssh.flows import LOGIN_LABEL, SECRET_LABEL
from tests.ssh.terminal import ENTER, Term

NIB_HINT = "11 angka"
BACKSPACE = b"\x7f"
PIN = "258147"
BUSY = "Sistem sedang sibuk"
BUSY_PAUSE = 1.0


@dataclass(frozen=True)
class Person:
    nib: str
    nik: str
    name: str


def people(count: int) -> list[Person]:
    """Participant n (1-based) of the benchmark: `Peserta <letters>`, born 15-05-1980."""
    def letters(number: int) -> str:
        return chr(65 + number // 26) + chr(65 + number % 26)

    return [Person(f"2602000{n:04d}", f"3171011505800{n:03d}", f"Peserta {letters(n)}") for n in range(1, count + 1)]


def seed(rt: Runtime, count: int) -> list[Person]:
    """`count` participants who may file any claim, each with an active account and PIN."""
    ended = (rt.now().date() - timedelta(days=120)).isoformat()
    header = ",".join([*participants.HEADER, "employment_end"])
    crowd = people(count)
    rows = [f"{p.nib},{p.nik},{p.name},1980-05-15,bench{n}@example.co.id,0812345{n:05d},Jl. Uji No. {n},10110,"
            f"50000000,inactive,active,2012-03-01,{ended}" for n, p in enumerate(crowd, start=1)]
    report = participants.import_text(rt, "\n".join([header, *rows]) + "\n", actor="bench")
    assert report.ok, report.errors
    for person in crowd:
        auth.activate(rt, person.nib, person.nik, "15-05-1980", "pin", PIN, PIN)
    return crowd


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


async def login(term: TimedTerm, nib: str, secret: str, name: str) -> tuple[float, int]:
    """From the login screen to the menu, each key sent as soon as the screen shows the last
    one took; when the kiosk says the database is busy, Enter again a second later, as the
    message asks. Returns when the menu greeted `name`, and how many times it said busy."""
    await term.until_text(LOGIN_LABEL)
    term.send(nib)
    await term.until(lambda: term.line_has(LOGIN_LABEL, nib), "the NIB")
    term.send(ENTER)
    await term.until(lambda: term.cursor_on(SECRET_LABEL), "the cursor on the PIN")
    term.send(secret)
    await term.until_text("•" * len(secret))
    term.send(ENTER)
    greeting, busy = f"Halo, {name}", 0
    while True:
        arrived = await term.until(lambda: greeting in term.text() or BUSY in term.text(), "the menu")
        if greeting in term.text():
            return arrived, busy
        busy += 1
        await asyncio.sleep(BUSY_PAUSE)
        term.send(ENTER)
        await term.until(lambda: BUSY not in term.text() or greeting in term.text(), "the login tried again")


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


def cpu_seconds(pid: int) -> float:
    """The CPU time a process has used so far (user + system), from /proc/PID/schedstat (ns)."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary(seconds: list[float]) -> str:
    return (f"median {statistics.median(seconds):.3f} s "
            f"(min {min(seconds):.3f}, max {max(seconds):.3f}, n={len(seconds)})")
