"""A rehearsal in the session host before it forks: the kiosk and the back office each run once
to their login screen, at 80x24 on a driver that renders every frame to terminal bytes and
throws them away, against a database engine that refuses to connect. What Textual, rich and the
app compute once per process and then keep (style caches, rendered segments, colours, handler
signatures, compiled selectors) is then already in the host's memory, shared with every session
it forks, instead of being computed again in each (about a third of a session's CPU before its
login screen is drawn; bench/RESULTS.md). The event loop is closed afterwards and no thread is
left: the host still forks from one thread."""

from __future__ import annotations

import asyncio
import logging
import threading

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from textual.drivers.headless_driver import HeadlessDriver
from textual.pilot import Pilot

from kidb_tui.app import KidbApp
from kidb_tui.backoffice.app import BackofficeApp
from kidb_tui.clock import SystemClock
from kidb_tui.config import Settings
from kidb_tui.services.hashing import SecretHasher
from kidb_tui.services.runtime import Runtime
from kidb_tui.terminal_app import TerminalApp

log = logging.getLogger("kidb.host")

SIZE = (80, 24)
FRAMES = 3
"""Pauses once the login screen is up: its children mounted and drawn."""


class RehearsalError(RuntimeError):
    """The rehearsal left a thread running, or its app touched the database."""


class _RenderingDriver(HeadlessDriver):
    """Textual's headless driver, except that the app renders each frame to terminal bytes (as
    it does for a real terminal); the bytes go nowhere."""

    @property
    def is_headless(self) -> bool:
        return False


def _no_database() -> None:
    raise RehearsalError("the rehearsal opened a database connection")


def _engine() -> Engine:
    return create_engine("sqlite://", creator=_no_database)


async def _to_login(app: TerminalApp) -> None:
    async def drawn(pilot: Pilot) -> None:
        await pilot.wait_for_scheduled_animations()
        for _ in range(FRAMES):
            await pilot.pause()
        app.exit()

    app.driver_class = _RenderingDriver
    await app.run_async(size=SIZE, auto_pilot=drawn)


def rehearse(settings: Settings, hasher: SecretHasher) -> None:
    """Run each app once to its login screen (see above), here, in the calling thread."""
    rt = Runtime(engine=_engine(), settings=settings, clock=SystemClock(), hasher=hasher)
    for app in (KidbApp(rt, kiosk=True), BackofficeApp(rt, kiosk=True)):
        asyncio.run(_to_login(app))
        if app.return_code not in (0, None):
            raise RehearsalError(f"{type(app).__name__} ended with {app.return_code}")
    rt.engine.dispose()
    if threading.active_count() != 1:
        raise RehearsalError(f"threads left after the rehearsal: {threading.enumerate()}")
