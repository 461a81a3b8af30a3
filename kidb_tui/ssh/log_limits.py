"""The log of `kidb serve` and of the session host: every record one printable line, and no
flood. A kind of line (logger, level and message template) is written at most BURST times per
WINDOW seconds (TRACEBACK_BURST when it carries a traceback); past that its lines are counted,
and `summarise()` writes one line per kind saying how many were left out. Lines marked
BOUNDED (one per admitted session, already limited by the session caps) always pass."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from kidb_tui.logs import LOG_FORMAT_ENV, escape, formatter

BURST = 100
TRACEBACK_BURST = 10
WINDOW = 10.0
BOUNDED = {"bounded": True}
log = logging.getLogger("kidb.log")


class OneLineFormatter(logging.Formatter):
    """Every record as one printable line, whatever text reached it (asyncssh's included)."""

    def format(self, record: logging.LogRecord) -> str:
        return escape(super().format(record))


@dataclass
class _Kind:
    started: float
    written: int = 0
    left_out: int = 0


class FloodGuard(logging.Filter):
    """A handler filter that bounds how often each kind of line is written (see above)."""

    def __init__(self, burst: int = BURST, traceback_burst: int = TRACEBACK_BURST, window: float = WINDOW,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.burst, self.traceback_burst, self.window, self.clock = burst, traceback_burst, window, clock
        self._kinds: dict[tuple, _Kind] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "bounded", False) or getattr(record, "summary", False):
            return True
        now = self.clock()
        key = (record.name, record.levelno, str(record.msg), record.exc_info is not None)
        kind = self._kinds.get(key)
        if kind is None or now - kind.started >= self.window:
            if kind is not None and kind.left_out:
                self._summary(key, kind)
            kind = self._kinds[key] = _Kind(now)
        limit = self.traceback_burst if record.exc_info else self.burst
        if kind.written < limit:
            kind.written += 1
            return True
        kind.left_out += 1
        return False

    def summarise(self) -> None:
        """One line for each kind whose lines were left out in a window that has ended; forget
        the kinds that went quiet."""
        now = self.clock()
        for key, kind in list(self._kinds.items()):
            if now - kind.started >= self.window:
                if kind.left_out:
                    self._summary(key, kind)
                del self._kinds[key]

    def _summary(self, key: tuple, kind: _Kind) -> None:
        name, level, template, _ = key
        log.log(max(level, logging.WARNING), "%d more %s line(s) like %r left out in %.0f s",
                kind.left_out, name, template[:120], self.window, extra={"summary": True})
        kind.left_out = 0


def log_to_stderr(stream, program: str) -> FloodGuard:
    """Configure the root logger: one line per record to `stream` as `<time> <program> LEVEL ...`,
    or as logfmt/JSON when `--log-format`/`KIDB_LOG_FORMAT` asks for it, through a FloodGuard
    (returned, for its `summarise()`)."""
    handler = logging.StreamHandler(stream)
    if os.environ.get(LOG_FORMAT_ENV):
        handler.setFormatter(formatter(program))
    else:
        handler.setFormatter(OneLineFormatter(f"%(asctime)s {program} %(levelname)s %(message)s"))
    guard = FloodGuard()
    handler.addFilter(guard)
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    logging.getLogger("asyncssh").setLevel(logging.WARNING)
    return guard
