"""What `kidb serve` admits (standard library only: the `kidb` command line reads it): the
caps an operator would otherwise set with OpenSSH's MaxStartups and per-user limits, and how
sessions start (the session host, or one new process each). `kidb host` on its own (under
OpenSSH) applies the two session caps itself (`add_session_arguments`, `session_caps`)."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

UNAUTHENTICATED = 64
SESSIONS = 200
PER_TERMINAL = 1
_ENV = {"unauthenticated": "KIDB_MAX_UNAUTHENTICATED", "sessions": "KIDB_MAX_SESSIONS",
        "per_terminal": "KIDB_MAX_SESSIONS_PER_TERMINAL"}


@dataclass(frozen=True)
class Limits:
    unauthenticated: int = UNAUTHENTICATED
    """Connections that have not finished authentication; beyond it a new one is closed at once."""
    sessions: int = SESSIONS
    """Kiosk sessions running at once, whatever their terminal."""
    per_terminal: int = PER_TERMINAL
    """Sessions of one terminal key whose client is still connected."""


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def add_session_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-sessions", type=_positive, metavar="N",
                        help=f"sessions at once (default: {_ENV['sessions']} or {SESSIONS})")
    parser.add_argument("--max-sessions-per-terminal", type=_positive, metavar="N",
                        help=f"sessions of one terminal key (default: {_ENV['per_terminal']} or {PER_TERMINAL})")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-unauthenticated", type=_positive, metavar="N",
                        help=f"connections not yet authenticated "
                             f"(default: {_ENV['unauthenticated']} or {UNAUTHENTICATED})")
    add_session_arguments(parser)
    parser.add_argument("--host-socket", type=Path, metavar="PATH",
                        help="the session host's socket (default: KIDB_HOST_SOCKET or a private runtime directory)")
    parser.add_argument("--no-host", action="store_true",
                        help="start each session as a new process instead of forking it from the session host "
                             "(slower, more memory; for comparison and as a fallback; also KIDB_NO_HOST=1)")


def from_arguments(args: argparse.Namespace) -> Limits:
    """The limits of the command line, else of the environment, else the defaults."""
    def pick(name: str, flag: int | None, default: int) -> int:
        if flag is not None:
            return flag
        raw = os.environ.get(_ENV[name], "")
        try:
            return _positive(raw) if raw else default
        except argparse.ArgumentTypeError as error:
            raise ValueError(f"{_ENV[name]}: {error}") from None

    return Limits(
        unauthenticated=pick("unauthenticated", getattr(args, "max_unauthenticated", None), UNAUTHENTICATED),
        sessions=pick("sessions", args.max_sessions, SESSIONS),
        per_terminal=pick("per_terminal", args.max_sessions_per_terminal, PER_TERMINAL),
    )


def session_caps(args: argparse.Namespace) -> Limits | None:
    """`kidb host`'s caps: those of the command line or environment, or none when the process
    that started it applies them (`--caps-by-parent`: `kidb serve`, which knows when an SSH
    client has gone)."""
    return None if args.caps_by_parent else from_arguments(args)


def use_host(args: argparse.Namespace) -> bool:
    return not (args.no_host or os.environ.get("KIDB_NO_HOST") == "1")
