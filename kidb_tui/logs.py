"""Where a kiosk or back-office process logs: never the terminal a person is looking at.

Under `kidb serve` a session's log goes to the file descriptor named by `KIDB_LOG_FD` (a pipe
the server reads into its own log); a kiosk started by hand logs to `kidb.log` (mode 0600)
in the data directory. Lines are `key=value` with client-supplied text escaped; tracebacks
are formatted without local variables.
"""

from __future__ import annotations

import logging
import os
import traceback

from kidb_tui.config import user_data_dir

LOG_FD_ENV = "KIDB_LOG_FD"
LOG_FILE = "kidb.log"
_FORMAT = "%(asctime)s kidb pid=%(process)d level=%(levelname)s %(message)s"


def escape(value: object) -> str:
    """Text from outside (a TERM, a key comment, a username, an exception message) as one
    printable log token: control characters, escapes and newlines become `\\xNN`/`\\n`."""
    text = str(value)
    return text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text


def configure() -> None:
    """Send this process's log to the server's pipe or to the data directory's log file."""
    root = logging.getLogger()
    if any(getattr(handler, "_kidb", False) for handler in root.handlers):
        return
    fd = os.environ.get(LOG_FD_ENV, "")
    if fd.isdigit():
        handler: logging.Handler = logging.StreamHandler(os.fdopen(int(fd), "w", buffering=1, encoding="utf-8"))
    else:
        folder = user_data_dir()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = folder / LOG_FILE
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        handler = logging.FileHandler(path, encoding="utf-8")
    handler._kidb = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.lastResort = None


def traceback_text(error: BaseException) -> str:
    """The traceback of `error` as plain text: file, line and code only, never local variables."""
    lines = traceback.format_exception(type(error), error, error.__traceback__)
    return escape("".join(lines).rstrip())
