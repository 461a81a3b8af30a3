"""The back office's review queue with 10,000 claims, driven by the Textual pilot at 80x24
(headless), each timed from the key to the last frame the app draws before it goes idle (as in
bench/transitions.py): the officer's Enter at the login screen to the queue's first page drawn
(the login service and its read of that page included, argon2 at bench/data.py's fast
parameters; a page is what the window shows, 16 claims at 80x24), F7 (the next page),
a stage key (1: the agenda), and Esc from a claim's detail back to the queue (which reads the
queue again). Each run is a back-office session forked from a warmed process, as the session
host runs one; the database is the demo's, its claims copied up to 10,000 (bench/queue_bench.py).
The baseline is transitions.py's bare push, measured in the same run."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bench import data, queue_bench, transitions
from kidb_tui.backoffice.app import BackofficeApp
from kidb_tui.backoffice.screens.detail import ClaimDetailScreen
from kidb_tui.backoffice.screens.login import OfficerLoginScreen
from kidb_tui.backoffice.screens.queue import QueueScreen
from kidb_tui.bootstrap import build_demo
from kidb_tui.host import warm
from kidb_tui.services.demo import OFFICERS
from kidb_tui.services.runtime import Runtime

CLAIMS = 10_000
WARMUP = 2
STEPS = ("login -> queue (first page)", "F7: next page", "1: agenda only", "Esc: claim detail -> queue")


class _BenchBackoffice(transitions.DisplayClock, BackofficeApp):
    def __init__(self, rt: Runtime) -> None:
        super().__init__(rt, "id")
        self.frames = []


def _read(app: BackofficeApp, pages: int, stage: str) -> bool:
    """Whether the queue shows claims of `stage`, `pages` pages from the first."""
    screen = app.screen
    if not isinstance(screen, QueueScreen) or screen.view is None or not screen.view.queue.items:
        return False
    request = screen.view.request
    return (request.offset, request.stage) == (pages * request.limit, stage)


async def _session(rt: Runtime) -> list[float]:
    app = _BenchBackoffice(rt)
    username, password, *_ = OFFICERS[0]
    async with app.run_test(size=transitions.SIZE) as pilot:
        while not isinstance(app.screen, OfficerLoginScreen):
            await pilot.pause()
        await pilot.press(*username, "enter", *password)
        times = [await transitions.timed_until(pilot, ("enter",), lambda: _read(app, 0, ""))]
        times.append(await transitions.timed_until(pilot, ("f7",), lambda: _read(app, 1, "")))
        times.append(await transitions.timed_until(pilot, ("1",), lambda: _read(app, 0, "agenda")))
        await pilot.press("enter")
        while not isinstance(app.screen, ClaimDetailScreen):
            await transitions._settle(pilot)
        times.append(await transitions.timed_until(pilot, ("escape",), lambda: _read(app, 0, "agenda")))
    return times


def measure(folder: Path, runs: int) -> tuple[int, dict[str, transitions.Summary]]:
    """The number of claims and each step's median and p95 over `runs` sessions (after WARMUP)."""
    rt = build_demo(data.settings(f"sqlite:///{folder / 'queue.sqlite3'}"))
    count = queue_bench.grow(rt, CLAIMS)
    rt.engine.dispose()
    try:
        warm.warm_up(rt.settings)
        with transitions._no_cursor_blink():
            sessions = [transitions._forked(lambda: asyncio.run(_session(rt))) for _ in range(runs + WARMUP)]
    finally:
        rt.engine.dispose()
    return count, {name: transitions.summarize([run[index] for run in sessions[WARMUP:]])
                   for index, name in enumerate(STEPS)}
