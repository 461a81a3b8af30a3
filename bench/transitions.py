"""Screen transitions of the claim flow, driven by the Textual pilot at 80x24 (headless):
login -> menu -> claim type -> requirements -> form -> personal data -> confirm -> receipt,
then menu -> status, balance, profile and notifications (Esc back to the menu between them);
and F2 (the language) on every one of those screens, timed the same way.

A transition is timed from the key press to the last frame of the new screen the app sends to
its driver before it goes idle: the app's `_display` hook records when each frame is ready and
turns it into the ANSI text a terminal would get (the headless driver skips that step, so it
is done here explicitly). The pilot's idle waits only decide when to stop looking; they are not
part of the figure. Input cursor blinking is switched off in this process so that no timer
redraw is taken for the end of a transition. Typing into the form is not timed. Login and
"Simpan" run argon2 in a worker thread: the app here uses the fast parameters of
bench/data.py, so what remains is the screen work and the database; argon2 at the configured
parameters is in bench/login_time.py.

Each iteration is a new participant (a claim type can be open only once per participant) in a
session started the way the session host (`kidb serve`) starts one: this process is warmed as
the host warms itself (kidb_tui/host/warm.py: every module imported, the style sheets parsed,
the garbage collector settled by kidb_tui/gc_tuning.py), then each flow runs in a child forked
from it, with a new app, and sends its figures back. The baseline is a bare Textual app pushing
a screen with one Input, timed the same way, in a child forked from the same process (its first
pushes warm Python's caches and are left out).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from textual._compositor import CompositorUpdate
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input, TextArea

from bench import data
from kidb_tui.app import KidbApp
from kidb_tui.host import warm
from kidb_tui.screens.account.balance import BalanceScreen
from kidb_tui.screens.account.notifications import NotificationsScreen
from kidb_tui.screens.account.profile import ProfileScreen
from kidb_tui.screens.account.status import StatusScreen
from kidb_tui.screens.auth.login import LoginScreen
from kidb_tui.screens.claim.confirm import ConfirmScreen
from kidb_tui.screens.claim.form import ClaimFormScreen
from kidb_tui.screens.claim.personal_data import PersonalDataScreen
from kidb_tui.screens.claim.receipt import ReceiptScreen
from kidb_tui.screens.claim.requirements import RequirementsScreen
from kidb_tui.screens.claim.type_select import ClaimTypeScreen
from kidb_tui.screens.menu import MenuScreen
from kidb_tui.services.runtime import Runtime
from tests.crash import population

SIZE = (80, 24)
WARMUP = 2
STEPS = (
    ("login -> menu", MenuScreen),
    ("menu -> claim type", ClaimTypeScreen),
    ("claim type -> requirements", RequirementsScreen),
    ("requirements -> form", ClaimFormScreen),
    ("form -> personal data", PersonalDataScreen),
    ("personal data -> confirm", ConfirmScreen),
    ("confirm -> receipt", ReceiptScreen),
    ("menu -> status", StatusScreen),
    ("menu -> balance", BalanceScreen),
    ("menu -> profile", ProfileScreen),
    ("menu -> notifications", NotificationsScreen),
)
F2 = "F2 (language) on any screen of the flow"
ACCOUNT_SCREENS = (("2", StatusScreen), ("3", BalanceScreen), ("4", ProfileScreen), ("5", NotificationsScreen))
BASELINE = "bare app: push a screen with one Input"


@dataclass(frozen=True)
class Summary:
    median_ms: float
    p95_ms: float


def summarize(seconds: list[float]) -> Summary:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return Summary(statistics.median(ordered) * 1000, p95 * 1000)


class DisplayClock(App):
    """Records when each frame is ready, after rendering it to ANSI as a terminal driver would."""

    frames: list[tuple[float, Screen]]

    def _display(self, screen: Screen, renderable) -> None:
        super()._display(screen, renderable)
        if isinstance(renderable, CompositorUpdate):
            renderable.render_segments(self.console)
            self.frames.append((time.perf_counter(), screen))


async def _settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def timed_until(pilot, keys: tuple[str, ...], done: Callable[[], bool]) -> float:
    """From pressing `keys` to the last frame of the screen on top once `done()` and the app is idle."""
    app = pilot.app
    app.frames = []
    started = time.perf_counter()
    await pilot.press(*keys)
    while not done():
        await _settle(pilot)
    await _settle(pilot)
    return max(at for at, screen in app.frames if screen is app.screen) - started


async def _timed(pilot, keys: tuple[str, ...], target: type[Screen]) -> float:
    return await timed_until(pilot, keys, lambda: isinstance(pilot.app.screen, target))


async def _language(pilot, switches: list[float]) -> None:
    """F2 on the screen in use, timed to its last frame, then F2 back (not timed)."""
    app = pilot.app
    app.frames = []
    started = time.perf_counter()
    await pilot.press("f2")
    await _settle(pilot)
    await _settle(pilot)
    switches.append(max((at for at, screen in app.frames if screen is app.screen), default=started) - started)
    await pilot.press("f2")
    await _settle(pilot)


async def _fill_form(pilot) -> None:
    screen = pilot.app.screen
    for name, value in (("amount", "5.000.000"), ("account_number", population.ACCOUNT_NUMBER)):
        screen.query_one(f"#{name}", Input).value = value
    screen.query_one("#reason", TextArea).text = "Biaya rawat inap"
    screen.query_one("#account_holder", Input).value = population.full_name(pilot.app.n)
    screen.query_one("#bank").value = population.BANK_CODE
    screen.action_all_documents()
    await pilot.pause()


class _BenchApp(DisplayClock, KidbApp):
    def __init__(self, rt: Runtime, n: int) -> None:
        super().__init__(rt, "id")
        self.n = n
        self.frames = []


async def _claim_flow(rt: Runtime, n: int, switches: list[float]) -> list[float]:
    """The claim flow, then each account screen from the menu; F2 timed on every screen."""
    app = _BenchApp(rt, n)
    times = []
    async with app.run_test(size=SIZE) as pilot:
        while not isinstance(app.screen, LoginScreen):
            await pilot.pause()
        await pilot.press(*population.nib(n), "enter", *population.PIN)
        times.append(await _timed(pilot, ("enter",), MenuScreen))
        await _language(pilot, switches)
        for keys, target in ((("1",), ClaimTypeScreen), (("enter",), RequirementsScreen),
                             (("enter",), ClaimFormScreen)):
            times.append(await _timed(pilot, keys, target))
            await _language(pilot, switches)
        await _fill_form(pilot)
        times.append(await _timed(pilot, ("f5",), PersonalDataScreen))
        await _language(pilot, switches)
        times.append(await _timed(pilot, ("f5",), ConfirmScreen))
        await _language(pilot, switches)
        await pilot.press(*population.PIN)
        times.append(await _timed(pilot, ("enter",), ReceiptScreen))
        await _language(pilot, switches)
        await pilot.press("f10")  # the receipt stays until F10 or Esc
        while not isinstance(app.screen, MenuScreen):
            await _settle(pilot)
        for key, target in ACCOUNT_SCREENS:
            times.append(await _timed(pilot, (key,), target))
            await _language(pilot, switches)
            await pilot.press("escape")
            while not isinstance(app.screen, MenuScreen):
                await _settle(pilot)
    return times


class _OneInput(Screen):
    def compose(self) -> ComposeResult:
        yield Input(placeholder="next screen")


class _BareFlow(DisplayClock):
    BINDINGS = [Binding("f5", "next", "next")]

    def __init__(self) -> None:
        super().__init__()
        self.frames = []

    def compose(self) -> ComposeResult:
        yield Input(placeholder="first screen")

    def action_next(self) -> None:
        self.push_screen(_OneInput())


async def _bare_flow(pushes: int) -> list[float]:
    times = []
    async with _BareFlow().run_test(size=SIZE) as pilot:
        await pilot.pause()
        for _ in range(pushes):
            times.append(await _timed(pilot, ("f5",), _OneInput))
            await pilot.app.pop_screen()
            await pilot.pause()
    return times


@contextmanager
def _no_cursor_blink() -> Iterator[None]:
    toggle = Input._toggle_cursor
    Input._toggle_cursor = lambda self: None
    try:
        yield
    finally:
        Input._toggle_cursor = toggle


def _forked(work: Callable[[], object]) -> Any:
    """`work()` in a child forked from this process, as the session host runs a session; its
    result comes back as JSON."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        status = 1
        try:
            with os.fdopen(write, "w") as out:
                json.dump(work(), out)
            status = 0
        except BaseException:  # noqa: BLE001  (said on stderr; the parent stops on the exit status)
            traceback.print_exc()
        finally:
            os._exit(status)
    os.close(write)
    with os.fdopen(read) as received:
        text = received.read()
    _, status = os.waitpid(pid, 0)
    if status != 0:
        raise RuntimeError(f"a forked flow failed (status {status})")
    return json.loads(text)


def _one_session(rt: Runtime, n: int) -> dict[str, list[float]]:
    switches: list[float] = []
    times = asyncio.run(_claim_flow(rt, n, switches))
    return {"times": times, "switches": switches}


def measure(database_url: str, iterations: int) -> dict[str, Summary]:
    rt = data.populate(database_url, iterations)
    rt.engine.dispose()  # each session opens its own connections, as a forked host session does
    try:
        warm.warm_up(rt.settings)
        with _no_cursor_blink():
            sessions = [_forked(lambda n=n: _one_session(rt, n)) for n in range(1, iterations + 1)]
            bare = _forked(lambda: asyncio.run(_bare_flow(iterations + WARMUP)))
    finally:
        rt.engine.dispose()
    runs = [session["times"] for session in sessions]
    switches = [at for session in sessions for at in session["switches"]]
    result = {name: summarize([run[index] for run in runs]) for index, (name, _) in enumerate(STEPS)}
    result[F2] = summarize(switches)
    result[BASELINE] = summarize(bare[WARMUP:])
    return result
