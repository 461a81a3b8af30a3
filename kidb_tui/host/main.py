"""`kidb host`: the session host on its own (for sshd and `kidb attach`; `kidb serve` starts
one itself). Loads everything (warm.py), has a forked child bring the database to the current
schema with its reference data (the host itself opens no connection), listens on `--socket`,
`$KIDB_HOST_SOCKET` or `host.sock` in the data directory, prints `session host ready on PATH`
and forks a session per request until SIGTERM, keeping `host_spares` children forked
ahead of demand (listener.py); the sessions' database engine is made here, unconnected, so
that each forked session only connects it. Logs one line per session to stderr. Its memory,
and so its sessions', is offered to the kernel's same-page merging (ksm.py) unless the
`memory_merge` setting is false."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from sqlalchemy import Engine

from kidb_tui import bootstrap
from kidb_tui.config import Settings
from kidb_tui.db import make_engine
from kidb_tui.host import child, ksm, protocol
from kidb_tui.host.listener import Host, HostError
from kidb_tui.host.warm import warm_up
from kidb_tui.logs import traceback_text
from kidb_tui.ssh.limits import Limits
from kidb_tui.ssh.log_limits import log_to_stderr

log = logging.getLogger("kidb.host")


def run_host(settings: Settings, socket_path: Path | None, exit_with_parent: bool = False,
             caps: Limits | None = None) -> int:
    """`exit_with_parent`: stop when the process that started this one has ended (its sessions
    go on); `caps`: the session caps to apply (none when the starting process applies them)."""
    guard = log_to_stderr(sys.stderr, "kidb-host")
    parent = os.getppid()
    path = socket_path or protocol.socket_path()
    log.info("%s", ksm.enable() if settings.memory_merge else "memory merging (KSM) off: memory_merge is false")
    hasher, seconds = warm_up(settings)
    _prepare_database(settings)
    made = _unconnected_engine(settings.database_url)

    def start_session(request: dict, fds: list[int], close_inherited) -> None:
        child.run(request, fds, settings, hasher, close_inherited, made=made)

    def start_spare(channel, close_inherited) -> None:
        child.wait_as_spare(channel, settings, hasher, close_inherited, made)

    try:
        host = Host(path, start_session, caps, settings.host_spares, start_spare)
    except HostError as error:
        print(f"kidb host: {error}", file=sys.stderr, flush=True)
        return 2
    capped = f"at most {caps.sessions} sessions, {caps.per_terminal} per terminal" if caps else "no session cap"
    log.info("ready on %s: warm-up %.2f s, %d modules loaded, %d spare(s), %s", path, seconds, len(sys.modules),
             settings.host_spares, capped)
    print(f"{protocol.READY} {path}", flush=True)

    def tick() -> bool:
        guard.summarise()
        if exit_with_parent and os.getppid() != parent:
            log.warning("the process that started this host has ended; stopping")
            return False
        return True

    return host.serve(on_tick=tick)


def _unconnected_engine(url: str) -> Engine | None:
    """The sessions' engine, made once here and never connected in the host (its pool stays
    empty): each forked session connects its own copy, without making an engine (about 2 MiB
    of copied pages per session, bench/RESULTS.md). None if it cannot be made: each session
    then makes its own, and says so if it cannot."""
    try:
        return make_engine(url)
    except Exception:  # noqa: BLE001  (met again, said and logged, by each session)
        return None


def _prepare_database(settings: Settings) -> None:
    """Upgrade the schema and sync the reference data in a forked child, so that each session
    only checks the schema's version. A database that cannot be prepared is logged; sessions
    then say they cannot start, as a kiosk on it would."""
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        status = 0
        try:
            bootstrap.prepare(settings).engine.dispose()
        except Exception as error:  # noqa: BLE001  (logged; the host goes on)
            log.error("database not prepared: %s", traceback_text(error))
            status = 1
        finally:
            for handler in logging.getLogger().handlers:
                handler.flush()
            os._exit(status)
    os.waitpid(pid, 0)
