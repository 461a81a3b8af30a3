"""Where a kiosk or back-office process logs: never the terminal a person is looking at.

Under `kidb serve` a session's log goes to the file descriptor named by `KIDB_LOG_FD` (a pipe
the server reads into its own log); a kiosk started by hand logs to `kidb.log` (mode 0600)
in the data directory. One line per event, `key=value` (logfmt: `time=… level=INFO
program=kidb pid=… logger=… msg="…"`) or, with `KIDB_LOG_FORMAT=json` (`--log-format json`),
one JSON object; client-supplied text escaped; tracebacks formatted without local variables.
"""

from __future__ import annotations

import json
import logging
import os
import traceback
from datetime import UTC, datetime

from kidb_tui.config import user_data_dir

LOG_FD_ENV = "KIDB_LOG_FD"
LOG_FORMAT_ENV = "KIDB_LOG_FORMAT"
LOG_FILE = "kidb.log"
FORMATS = ("kv", "json")


def escape(value: object) -> str:
    """Text from outside (a TERM, a key comment, a username, an exception message) as one
    printable log token: control characters, escapes and newlines become `\\xNN`/`\\n`."""
    text = str(value)
    return text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text


def _fields(record: logging.LogRecord, program: str) -> dict[str, object]:
    fields: dict[str, object] = {
        "time": datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "level": record.levelname, "program": program, "pid": record.process, "logger": record.name,
        "msg": escape(record.getMessage()),
    }
    if record.exc_info and record.exc_info[1] is not None:
        fields["error"] = traceback_text(record.exc_info[1])
    return fields


def _logfmt(value: object) -> str:
    text = str(value)
    if text and not any(char in text for char in ' ="\\'):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class KeyValueFormatter(logging.Formatter):
    """One logfmt line per record: `time=… level=… program=… pid=… logger=… msg="…"`."""

    def __init__(self, program: str = "kidb") -> None:
        super().__init__()
        self.program = program

    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{name}={_logfmt(value)}" for name, value in _fields(record, self.program).items())


class JsonFormatter(logging.Formatter):
    """One JSON object per record, ASCII only (so a line is always one printable line)."""

    def __init__(self, program: str = "kidb") -> None:
        super().__init__()
        self.program = program

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(_fields(record, self.program), ensure_ascii=True)


def formatter(program: str = "kidb", log_format: str | None = None) -> logging.Formatter:
    """The formatter of `log_format`, else of `$KIDB_LOG_FORMAT` (`kv` when unset)."""
    chosen = log_format or os.environ.get(LOG_FORMAT_ENV) or "kv"
    return JsonFormatter(program) if chosen == "json" else KeyValueFormatter(program)


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
    handler.setFormatter(formatter())
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.lastResort = None


def traceback_text(error: BaseException) -> str:
    """The traceback of `error` as plain text: file, line and code only, never local variables."""
    lines = traceback.format_exception(type(error), error, error.__traceback__)
    return escape("".join(lines).rstrip())
