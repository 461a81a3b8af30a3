"""The session host's socket and the messages on it (standard library only: `kidb attach`
imports this).

A client (`kidb serve` for each SSH session, or `kidb attach` under OpenSSH) connects to the
host's UNIX socket (SOCK_SEQPACKET, mode 0600) and sends one request packet, JSON, with the
session's terminal and, as SCM_RIGHTS, the terminal's file descriptor and optionally a log pipe:

    {"terminal_id": "JKT-01", "branch": "Jakarta Pusat", "role": "kiosk", "term": "xterm",
     "columns": 80, "rows": 24, "language": null, "timezone": "Asia/Makassar", "report": false}

With `"report": true` the last descriptor is one end of a socket pair of the client's: the
session itself sends `{"exit": STATUS}` on it as it ends, so that a client whose host died
still learns the status (unless the session is killed by a signal).

The host answers `{"pid": N}` with a pidfd of the session's process attached once it runs
(or `{"error": "..."}`; a session over one of `kidb host`'s caps gets `"refused"` as well, the
key of the message for its terminal, with `"limit"` or `"terminal"` for it), then
`{"exit": STATUS}` when that process has ended (STATUS as subprocess gives it: the exit code,
or minus the signal's number), and closes the connection.
"""

from __future__ import annotations

import json
import os
import re
import socket
from collections.abc import Sequence
from pathlib import Path

from kidb_tui import time_zones

SOCKET_ENV = "KIDB_HOST_SOCKET"
READY = "session host ready on"
SOCKET_FILE = "host.sock"
PACKET_LIMIT = 4096
MAX_COLUMNS = 500
MAX_ROWS = 200
ROLES = ("kiosk", "backoffice")
SERVER_FULL = "serve.server_full"
TERMINAL_BUSY = "serve.terminal_busy"
LANGUAGES = ("id", "en")
_TERM = re.compile(r"[A-Za-z0-9._+-]{1,64}")
_TERMINAL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")


class ProtocolError(ValueError):
    """A packet that is not a valid request or answer."""


def data_dir() -> Path:
    """The data directory as kidb_tui.config finds it (KIDB_DATA_DIR, else platformdirs' rule
    on Linux), without importing platformdirs."""
    named = os.environ.get("KIDB_DATA_DIR")
    if named:
        return Path(named)
    base = os.environ.get("XDG_DATA_HOME", "").strip() or os.path.expanduser("~/.local/share")
    return Path(base) / "kidb"


def socket_path() -> Path:
    """`$KIDB_HOST_SOCKET`, else `host.sock` in the data directory."""
    return Path(os.environ.get(SOCKET_ENV) or data_dir() / SOCKET_FILE)


def clamp_size(columns: int, rows: int) -> tuple[int, int]:
    """A window size as the kiosk may see it: 80x24 for none, at most MAX_COLUMNS x MAX_ROWS."""
    return min(columns or 80, MAX_COLUMNS), min(rows or 24, MAX_ROWS)


def clean_term(term: str) -> str:
    return term if _TERM.fullmatch(term or "") else "xterm"


def request(terminal_id: str, branch: str, role: str, term: str, columns: int, rows: int,
            language: str | None, timezone: str = "", report: bool = False) -> dict:
    columns, rows = clamp_size(columns, rows)
    return {"terminal_id": terminal_id, "branch": branch, "role": role, "term": clean_term(term),
            "columns": columns, "rows": rows, "language": language, "timezone": timezone, "report": report}


def check_request(message: dict) -> dict:
    """The request with its values checked; ProtocolError names the first bad field."""
    checks = {
        "terminal_id": lambda v: isinstance(v, str) and _TERMINAL_ID.fullmatch(v),
        "branch": lambda v: isinstance(v, str) and len(v) <= 80 and v.isprintable(),
        "role": lambda v: v in ROLES,
        "term": lambda v: isinstance(v, str) and _TERM.fullmatch(v),
        "columns": lambda v: isinstance(v, int) and 0 < v <= MAX_COLUMNS,
        "rows": lambda v: isinstance(v, int) and 0 < v <= MAX_ROWS,
        "language": lambda v: v is None or v in LANGUAGES,
        "timezone": lambda v: v == "" or v in time_zones.ZONES,
        "report": lambda v: isinstance(v, bool),
    }
    message = {"report": False, **message}
    for name, check in checks.items():
        if not check(message.get(name)):
            raise ProtocolError(f"bad {name}")
    return {name: message[name] for name in checks}


def encode(message: dict) -> bytes:
    data = json.dumps(message, separators=(",", ":")).encode()
    if len(data) > PACKET_LIMIT:
        raise ProtocolError("packet too long")
    return data


def decode(data: bytes) -> dict:
    try:
        message = json.loads(data)
    except ValueError:
        raise ProtocolError("not JSON") from None
    if not isinstance(message, dict):
        raise ProtocolError("not an object")
    return message


def send(sock: socket.socket, message: dict, fds: Sequence[int] = ()) -> None:
    socket.send_fds(sock, [encode(message)], list(fds)) if fds else sock.send(encode(message))


def receive(sock: socket.socket, max_fds: int = 3) -> tuple[dict | None, list[int]]:
    """One packet and the descriptors that came with it; (None, []) at the end of the connection."""
    data, fds, _flags, _address = socket.recv_fds(sock, PACKET_LIMIT, max_fds)
    if not data:
        for fd in fds:
            os.close(fd)
        return None, []
    try:
        return decode(data), fds
    except ProtocolError:
        for fd in fds:
            os.close(fd)
        raise


def exit_code(status: int | None) -> int:
    """A session's status as a process exit code: a signal's death becomes 128 + its number."""
    if status is None:
        return 1
    return status if status >= 0 else 128 - status
