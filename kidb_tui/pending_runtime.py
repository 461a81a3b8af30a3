"""The runtime of a kiosk started on its own (`kidb`), made ready behind its login screen: the
database layer (SQLAlchemy, SQLModel, the services) is imported and the database prepared in a
thread started once the first frame is drawn. Whoever needs the runtime before then (a login
submitted at once, from its worker thread) waits for it. This module imports neither."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from kidb_tui.clock import Clock, SystemClock
from kidb_tui.config import Settings

if TYPE_CHECKING:
    from kidb_tui.services.runtime import Runtime


class PendingRuntime:
    """Settings and clock at once; the Runtime from `wait()` once `run()` (in its own thread) is done."""

    def __init__(self, settings: Settings, prepare: Callable[[Settings, Clock], Runtime],
                 clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self._prepare = prepare
        self._done = threading.Event()
        self._started = threading.Lock()
        self._runtime: Runtime | None = None
        self.error: BaseException | None = None
        """What preparing raised (a schema mismatch, an unreachable database), once it is done."""

    def now(self) -> datetime:
        return self.clock.now()

    @property
    def ready(self) -> bool:
        return self._done.is_set()

    def start(self, then: Callable[[], object]) -> None:
        """Prepare in a daemon thread (once, whoever asks again), then call `then` in that thread."""
        if self._started.acquire(blocking=False):
            threading.Thread(target=self._run, args=(then,), name="kidb-prepare", daemon=True).start()

    def prepare_here(self) -> None:
        """Prepare in the calling thread unless it was started already (no app running to start it)."""
        if self._started.acquire(blocking=False):
            self._run(lambda: None)

    def _run(self, then: Callable[[], object]) -> None:
        try:
            self._runtime = self._prepare(self.settings, self.clock)
        except BaseException as error:  # noqa: BLE001  (kept for whoever waits; the app ends on it)
            self.error = error
        finally:
            self._done.set()
        then()

    def wait(self) -> Runtime:
        """The prepared runtime, waiting for it; what preparing raised, raised again."""
        self._done.wait()
        if self._runtime is None:
            raise RuntimeError("the database could not be prepared") from self.error
        return self._runtime
