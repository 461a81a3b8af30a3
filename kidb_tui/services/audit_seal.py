"""The audit sealer: chains the rows writers signed but did not chain, in the order it finds them
committed, in batches, one sealer at a time, each batch in one transaction with its seal record.

Writers never wait for the chain. A sealer runs inside every `kidb serve` (every few seconds) and
as `kidb audit seal`; several may run against one database. Only one seals at a time: on
PostgreSQL a transaction-scoped advisory lock that only sealers take (a sealer that cannot get
it leaves the work to the one that has it), on SQLite the write lock every write transaction
takes. Even without that lock the chain cannot fork: a place in the chain (`seq`) is unique, so
a second sealer of the same place fails and rolls back. A sealer killed mid-batch leaves
nothing sealed of that batch: the batch and its seal record commit together or not at all.

A row whose signature does not hold (forged, or edited before it was sealed) is not sealed: it
stays out of the chain, is logged, and `kidb audit verify` names it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

from kidb_tui.audit_chain import GENESIS, Digest, entry_holds, keyed_digest, sealed_hash, unsealed_rows
from kidb_tui.errors import SystemBusy
from kidb_tui.services.runtime import Runtime

log = logging.getLogger("kidb.audit")

BATCH = 1000
SERVER_SEALS_ENV = "KIDB_SERVER_SEALS"
"""Set by `kidb serve` for the sessions it spawns: their rows are sealed by the server."""
_PG_SEAL_LOCK = 0x4B494453


@dataclass(frozen=True)
class Seal:
    """What one sealing pass did: `rows` chained at places `first_seq`..`last_seq`, `refused` rows
    left out for a signature that does not hold; `busy` when another sealer was at work."""

    rows: int = 0
    first_seq: int = 0
    last_seq: int = 0
    head_hash: str = GENESIS
    refused: tuple[int, ...] = ()
    busy: bool = False


def sealer_name() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}"


def _take_turn(connection: Connection) -> bool:
    """Whether this transaction may seal (PostgreSQL: the sealers' lock is free)."""
    if connection.dialect.name != "postgresql":
        return True
    return bool(connection.execute(text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": _PG_SEAL_LOCK}).scalar())


def _head(connection: Connection) -> tuple[int, str]:
    row = connection.execute(
        text("SELECT seq, row_hash FROM audit_event WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1")
    ).first()
    return (row.seq, row.row_hash) if row is not None else (0, GENESIS)


def _chain(connection: Connection, digest: Digest, batch: int) -> tuple[list[dict[str, Any]], list[int], str]:
    """Up to `batch` unsealed rows with their places and hashes, after the head; and the rows
    refused for their signature (skipped, so that they never hold the others up)."""
    place, previous = _head(connection)
    chained: list[dict[str, Any]] = []
    refused: list[int] = []
    after: int | None = None
    while len(chained) < batch:
        rows = unsealed_rows(connection, after, batch - len(chained)).all()
        if not rows:
            break
        for row in rows:
            after = row.id
            if not entry_holds(row, digest):
                refused.append(row.id)
                continue
            place += 1
            current = sealed_hash(digest, row, previous)
            chained.append({"id": row.id, "seq": place, "prev": previous, "hash": current})
            previous = current
    return chained, refused, previous


def _record_seal(connection: Connection, rt: Runtime, chained: list[dict[str, Any]], head_hash: str) -> None:
    connection.execute(
        text("INSERT INTO audit_seal (first_seq, last_seq, head_hash, sealed_at, sealer)"
             " VALUES (:first, :last, :head, :at, :sealer)"),
        {"first": chained[0]["seq"], "last": chained[-1]["seq"], "head": head_hash, "at": rt.now(),
         "sealer": sealer_name()},
    )


def seal(rt: Runtime, batch: int = BATCH) -> Seal:
    """Chain up to `batch` unsealed rows in one transaction (SystemBusy when the database is
    unreachable; IntegrityError when another sealer took the same places first)."""
    digest = keyed_digest(rt.settings.audit_key)
    with rt.write() as session:
        connection = session.connection()
        if not _take_turn(connection):
            return Seal(busy=True)
        chained, refused, head_hash = _chain(connection, digest, batch)
        if refused:
            log.warning("audit rows %s not sealed: %s", ", ".join(map(str, refused)),
                        "their writer's signature does not hold (forged, copied or edited)")
        if not chained:
            return Seal(refused=tuple(refused))
        connection.execute(
            text("UPDATE audit_event SET seq = :seq, prev_hash = :prev, row_hash = :hash WHERE id = :id AND seq IS NULL"),
            chained,
        )
        _record_seal(connection, rt, chained, head_hash)
    return Seal(len(chained), chained[0]["seq"], chained[-1]["seq"], head_hash, tuple(refused))


def _anything_to_seal(rt: Runtime) -> bool:
    """Whether any committed row waits for its seal (a read, through the partial index)."""
    with rt.read() as session:
        return session.execute(text("SELECT 1 FROM audit_event WHERE seq IS NULL LIMIT 1")).first() is not None


def seal_pending(rt: Runtime, batch: int = BATCH) -> Seal:
    """Seal batch after batch until no unsealed row is left (or another sealer is at work); the
    outcome of all the batches together. With nothing to seal it only reads: no write lock."""
    if not _anything_to_seal(rt):
        return Seal()
    passes = [seal(rt, batch)]
    while passes[-1].rows == batch and not passes[-1].busy:
        passes.append(seal(rt, batch))
    done = [one for one in passes if one.rows]
    if not done:
        return passes[-1]
    return Seal(sum(one.rows for one in done), done[0].first_seq, done[-1].last_seq, done[-1].head_hash,
                passes[-1].refused, passes[-1].busy)


async def seal_every(
    rt: Runtime, seconds: float, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Seal every `seconds` until cancelled (the `kidb serve` task; the checkpoint at start seals
    what an earlier run left); the database work runs in a thread, and a busy database, a lost
    race or any other database error is logged and tried again. A SQLite file is not kept open
    between passes (the server holds no database file open)."""
    while True:
        await sleep(seconds)
        await asyncio.to_thread(_seal_logged, lambda: seal_pending(rt))
        if rt.engine.dialect.name == "sqlite":
            rt.engine.dispose()


def _seal_logged(work: Callable[[], object]) -> None:
    try:
        work()
    except (SystemBusy, SQLAlchemyError, OSError) as error:
        log.warning("audit rows not sealed this time: %s", type(error).__name__)


def seal_at_stop(rt: Runtime, finish: Callable[[], object] | None = None) -> None:
    """The last seal of a stopping server or app: `finish` (a checkpoint, which seals first) or a
    plain seal; a failure is logged, the rows are left to the next sealer."""
    _seal_logged(finish or (lambda: seal_pending(rt)))


def app_sealer(rt: Runtime) -> SealerThread | None:
    """A started SealerThread for an app run on its own; None in a session of `kidb serve`."""
    if os.environ.get(SERVER_SEALS_ENV):
        return None
    return SealerThread(rt, rt.settings.audit_seal_seconds).start()


class SealerThread:
    """The sealer of a kiosk or back office run on its own (`kidb`, `kidb demo`, `kidb
    backoffice`; no `kidb serve` seals for it): a daemon thread that seals every `seconds`, off
    the UI thread, and seals once more when stopped, so that the app's last rows are sealed
    before it exits."""

    def __init__(self, rt: Runtime, seconds: float) -> None:
        self._rt = rt
        self._seconds = seconds
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kidb-audit-sealer", daemon=True)

    def start(self) -> SealerThread:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stopping.wait(self._seconds):
            _seal_logged(lambda: seal_pending(self._rt))

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()
        seal_at_stop(self._rt)
