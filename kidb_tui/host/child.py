"""One session, in a child the host has just forked: the terminal becomes its controlling
terminal (a new session, TIOCSCTTY) and its standard input, output and error, the log pipe
(if the server sent one) fd 3, the client's report socket (if it sent one) fd 4, and every
other descriptor inherited from the host is closed. As it ends, the session sends its exit
status on the report socket itself, so that a `kidb attach` whose host died learns it.
Then, as `kidb --kiosk` does: terminal signals off, SIGINT/SIGQUIT/SIGTSTP ignored, errors
to the session log with one plain line on the terminal, its own database engine, and the
kiosk (or back office) locked down. The process ends with the app's exit status.

A spare (`wait_as_spare`) is forked before any terminal asks for it: it closes everything it
inherited from the host but its socket pair, keeps fds 3 and 4 free for the log pipe and the
report socket, opens its database engine (a connection, its pragmas, the schema check), then
waits for one request with its descriptors and runs it as above."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import resource
import signal
import socket
import struct
import sys
import termios
from collections.abc import Callable
from typing import NoReturn

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError
from textual import events
from textual.drivers.linux_driver import LinuxDriver
from textual.geometry import Size

from kidb_tui import bootstrap, logs, migrate
from kidb_tui.app import KidbApp
from kidb_tui.backoffice.app import BackofficeApp
from kidb_tui.clock import SystemClock
from kidb_tui.config import Settings
from kidb_tui.db import make_engine
from kidb_tui.host import guard
from kidb_tui.host.guard import log_and_exit
from kidb_tui.host.protocol import check_request, clamp_size, encode, receive
from kidb_tui.logs import LOG_FD_ENV
from kidb_tui.services.hashing import SecretHasher
from kidb_tui.services.runtime import Runtime

TERMINAL_SIGNALS = (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP)
LOG_FD = 3
REPORT_FD = 4
_HIGH_FD = 64
_WINSIZE = struct.Struct("HHHH")


class ClampedDriver(LinuxDriver):
    """Textual's driver, never reporting a window larger than protocol.MAX_COLUMNS x MAX_ROWS,
    whether the size comes from the terminal (SIGWINCH) or in-band from the client."""

    def _get_terminal_size(self) -> tuple[int, int]:
        return clamp_size(*super()._get_terminal_size())

    def process_message(self, message) -> None:
        if isinstance(message, events.Resize):
            size = Size(*clamp_size(*message.size))
            message = events.Resize(size, size, size, message.pixel_size)
        super().process_message(message)


def run(request: dict, fds: list[int], settings: Settings, hasher: SecretHasher,
        close_inherited: Callable[[], None], engine: Engine | None = None, made: Engine | None = None) -> NoReturn:
    """The session's whole life; never returns. `engine`: a spare's, at the current schema
    (every descriptor inherited from the host is closed already); else `made`: the host's
    engine, never connected, to connect in this process."""
    status = 1
    try:
        close_inherited()
        root = logging.getLogger()
        for handler in list(root.handlers):  # the host's: its stderr is about to be the terminal
            root.removeHandler(handler)
        report = fds.pop() if request["report"] else None
        _take_terminal(fds, report, close_rest=engine is None)
        if report is not None:
            guard.before_exit = _report
        _set_signals()
        _set_environment(request, log_fd=len(fds) > 1)
        sys.excepthook = log_and_exit
        status = _run_app(request, settings, hasher, engine, made)
    except BaseException:  # noqa: BLE001  (logged; one plain line on the terminal)
        log_and_exit(*sys.exc_info())
    finally:
        logging.shutdown()
        guard.before_exit(status)
        os._exit(status)


def wait_as_spare(channel: socket.socket, settings: Settings, hasher: SecretHasher,
                  close_inherited: Callable[[], None], made: Engine | None = None) -> NoReturn:
    """A spare's life (see above): it ends quietly when the host closes its end unused.
    `made`: the host's engine, never connected, to connect in this process."""
    try:
        close_inherited()
        channel = _keep_only(channel)
        engine = _spare_engine(settings.database_url, made)
        message, fds = receive(channel)
        channel.close()
    except BaseException:  # logged to the host's log; the host replaces the spare
        logging.getLogger("kidb.host").exception("spare failed before its session")
        logging.shutdown()
        os._exit(1)
    if message is None:
        os._exit(0)
    run(check_request(message), fds, settings, hasher, lambda: None, engine)


def _spare_engine(url: str, made: Engine | None = None) -> Engine | None:
    """The engine at HEAD, or None when it cannot be had now: the session then opens its own
    (bootstrap.prepare if the schema is behind), and a database it cannot use ends it with the
    plain line on its terminal and the reason in its log, as without a spare."""
    try:
        return _engine_at_head(url, made)
    except Exception:  # noqa: BLE001  (met again by the session, where it is said and logged)
        return None


def _keep_only(channel: socket.socket) -> socket.socket:
    """Close every descriptor inherited from the host but fds 0-2 and the channel, which moves
    above fds 3 and 4; those two hold /dev/null until the session puts its own there."""
    moved = socket.socket(fileno=fcntl.fcntl(channel.fileno(), fcntl.F_DUPFD_CLOEXEC, _HIGH_FD))
    channel.close()
    os.closerange(LOG_FD, moved.fileno())
    os.closerange(moved.fileno() + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    for fd in (LOG_FD, REPORT_FD):
        placeholder = os.open(os.devnull, os.O_RDWR)
        if placeholder != fd:
            os.dup2(placeholder, fd)
            os.close(placeholder)
    return moved


def _report(status: int) -> None:
    """The exit status, on the client's report socket (nothing if the client has gone)."""
    with contextlib.suppress(OSError), socket.socket(fileno=REPORT_FD) as report:
        report.setblocking(False)
        report.send(encode({"exit": status}))


def _take_terminal(fds: list[int], report: int | None, close_rest: bool = True) -> None:
    """The terminal as controlling terminal and fds 0-2, the log pipe as fd 3, the report
    socket as fd 4 (closed on exec), nothing else (`close_rest` False: a spare, whose other
    descriptors are its own)."""
    kept = [*fds, *([report] if report is not None else [])]
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD, _HIGH_FD) for fd in kept]
    for fd in kept:
        os.close(fd)
    tty = high[0]
    os.setsid()
    fcntl.ioctl(tty, termios.TIOCSCTTY, 0)
    for target in (0, 1, 2):
        os.dup2(tty, target)
    keep = 2
    if len(fds) > 1:
        os.dup2(high[1], LOG_FD)
        keep = LOG_FD
    else:
        os.closerange(LOG_FD, LOG_FD + 1)  # whatever of the host's it was
    if report is not None:
        os.dup2(high[-1], REPORT_FD, inheritable=False)
        keep = REPORT_FD
    if close_rest:
        os.closerange(keep + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    else:
        for fd in high:
            os.close(fd)
        if report is None:
            os.closerange(REPORT_FD, REPORT_FD + 1)  # the spare's placeholder
    attrs = termios.tcgetattr(0)
    attrs[3] &= ~termios.ISIG
    termios.tcsetattr(0, termios.TCSANOW, attrs)
    rows, columns, xpixels, ypixels = _WINSIZE.unpack(fcntl.ioctl(0, termios.TIOCGWINSZ, bytes(_WINSIZE.size)))
    if (columns, rows) != clamp_size(columns, rows) and columns and rows:
        columns, rows = clamp_size(columns, rows)
        fcntl.ioctl(0, termios.TIOCSWINSZ, _WINSIZE.pack(rows, columns, xpixels, ypixels))
    # The forked session's own terminal replaces the host's streams, the originals included.
    sys.stdin = sys.__stdin__ = open(0, encoding="utf-8", closefd=False)  # type: ignore[misc]  # noqa: SIM115
    sys.stdout = sys.__stdout__ = open(1, "w", encoding="utf-8", closefd=False)  # type: ignore[misc]  # noqa: SIM115
    sys.stderr = sys.__stderr__ = open(  # type: ignore[misc]  # noqa: SIM115
        2, "w", encoding="utf-8", errors="backslashreplace", closefd=False)


def _set_signals() -> None:
    for signum in TERMINAL_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    for signum in (signal.SIGHUP, signal.SIGTERM, signal.SIGCHLD):
        signal.signal(signum, signal.SIG_DFL)


def _set_environment(request: dict, log_fd: bool) -> None:
    """What a spawned kiosk finds in its environment: TERM, terminal, branch, the log pipe."""
    for name in ("COLUMNS", "LINES", LOG_FD_ENV):
        os.environ.pop(name, None)
    os.environ.update(TERM=request["term"], KIDB_TERMINAL_ID=request["terminal_id"], KIDB_BRANCH=request["branch"])
    if log_fd:
        os.environ[LOG_FD_ENV] = str(LOG_FD)


def _run_app(request: dict, settings: Settings, hasher: SecretHasher, engine: Engine | None,
             made: Engine | None = None) -> int:
    logs.configure()
    rt = _runtime(settings.with_(terminal_id=request["terminal_id"], branch=request["branch"],
                                 timezone=request["timezone"] or settings.timezone), hasher, engine, made)
    app_class = BackofficeApp if request["role"] == "backoffice" else KidbApp
    app = app_class(rt, request["language"], kiosk=True)
    app.driver_class = ClampedDriver
    try:
        app.run()
    finally:
        rt.engine.dispose()
    return app.return_code or 0


def _runtime(settings: Settings, hasher: SecretHasher, engine: Engine | None = None,
             made: Engine | None = None) -> Runtime:
    """The session's own engine (a spare's, or the host's `made` or a new one connected now), and the host's hasher. A
    database not at HEAD (or not readable that way) goes the way `kidb --kiosk` goes:
    bootstrap.prepare."""
    engine = engine or _engine_at_head(settings.database_url, made)
    if engine is None:
        rt = bootstrap.prepare(settings)
        rt.hasher = hasher
        return rt
    return Runtime(engine=engine, settings=settings, clock=SystemClock(), hasher=hasher)


def _engine_at_head(url: str, made: Engine | None = None) -> Engine | None:
    """An engine (`made` in the host before forking, without a connection, or a new one) with
    one connection open in its pool, when the schema is at HEAD (one query: the host's start
    made sure of the schema and the reference data); else None."""
    engine = made or make_engine(url)
    try:
        with engine.connect() as connection:
            version = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            current = version == migrate.HEAD
    except (OperationalError, ProgrammingError):
        current = False
    if not current:
        engine.dispose()
        return None
    return engine
