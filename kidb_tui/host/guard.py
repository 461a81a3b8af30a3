"""What a terminal session does with an error that escapes it: the traceback to the session
log, one plain line to the person at the terminal, exit status 1 (standard library only, so
that it is in place before anything else is imported)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

COULD_NOT_START = "KIDB tidak dapat dimulai / could not start; ask the officer"


def _nothing(status: int) -> None:
    """No one to tell."""


before_exit: Callable[[int], None] = _nothing
"""Called with the exit status just before the process ends (child.py: the report socket)."""


def log_and_exit(kind: type[BaseException], error: BaseException, tb: object) -> None:
    """sys.excepthook of a terminal session."""
    try:
        import logging

        from kidb_tui import logs

        logs.configure()
        logging.getLogger("kidb").critical("could not start: %s", logs.traceback_text(error))
        logging.shutdown()
    except BaseException:  # noqa: BLE001  (nothing but the plain line may reach the terminal)
        pass
    try:
        sys.stderr.write(f"\r\n{COULD_NOT_START}\r\n")
        sys.stderr.flush()
    finally:
        before_exit(1)
        os._exit(1)
