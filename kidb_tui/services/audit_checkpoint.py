"""Audit checkpoints: the sealed chain's head (row id, hash, number of sealed rows, UTC time)
appended as one line to a file outside the database, and the whole log verified: the sealed
chain, the signature of every row not sealed yet, the seal records, every checkpoint (so that a
truncated tail, an emptied log or a chain rewritten and re-hashed, even with the key, is
reported), and no row left unsealed for more than a minute."""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, text

from kidb_tui.audit_chain import (
    FORGED,
    GENESIS,
    ChainBreak,
    checked_chain,
    entry_holds,
    keyed_digest,
    parse_at,
    sealed_rows,
    unsealed_rows,
)
from kidb_tui.clock import as_utc
from kidb_tui.config import user_data_dir
from kidb_tui.errors import SystemBusy
from kidb_tui.services.audit_seal import seal_pending
from kidb_tui.services.runtime import Runtime

log = logging.getLogger("kidb.audit")

CHECKPOINT_FILE = "audit-checkpoints"
UNSEALED_LIMIT = timedelta(minutes=1)
_STAMP = "%Y-%m-%dT%H:%M:%SZ"
_LINE = re.compile(
    r"(?P<at>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) kidb audit checkpoint"
    r" row=(?P<row>\d+) rows=(?P<rows>\d+) hash=(?P<hash>[0-9a-f]{64})\s*$"
)


class CheckpointFileError(Exception):
    """A checkpoints file with a line that is not a checkpoint."""


@dataclass(frozen=True)
class Checkpoint:
    """The head of the sealed chain at one moment (`rows`: its place, the number of sealed rows):
    `row_id` 0 with the genesis hash for an empty chain."""

    at: datetime
    row_id: int
    rows: int
    row_hash: str

    @property
    def stamp(self) -> str:
        return as_utc(self.at).strftime(_STAMP)

    def line(self) -> str:
        return f"{self.stamp} kidb audit checkpoint row={self.row_id} rows={self.rows} hash={self.row_hash}"


@dataclass(frozen=True)
class Verification:
    """The outcome of `verify`: `rows` sealed, `unsealed` not yet; `problem` is one line naming
    what is wrong, or None."""

    rows: int
    checkpoints: int
    problem: str | None
    unsealed: int = 0


def default_path() -> Path:
    """`audit-checkpoints` in the data directory, beside the keys and outside the database."""
    return user_data_dir() / CHECKPOINT_FILE


def head(rt: Runtime) -> Checkpoint:
    """The last sealed row's id, place and hash, read in one statement."""
    with rt.read() as session:
        newest = session.execute(text(
            "SELECT id, seq, row_hash FROM audit_event WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1"
        )).first()
    if newest is None:
        return Checkpoint(rt.now(), 0, 0, GENESIS)
    return Checkpoint(rt.now(), newest.id, newest.seq, newest.row_hash)


def write_checkpoint(rt: Runtime, path: Path) -> Checkpoint:
    """Seal what is pending, then append the head to `path` (created 0600, its folder 0700) with
    one fsynced write."""
    seal_pending(rt)
    checkpoint = head(rt)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (checkpoint.line() + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return checkpoint


def parse_checkpoints(lines: Sequence[str], source: str) -> list[Checkpoint]:
    """Checkpoint lines, possibly behind a syslog prefix; blank lines are skipped."""
    found = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        match = _LINE.search(line)
        if match is None:
            raise CheckpointFileError(f"{source} line {number}: not an audit checkpoint")
        at = datetime.strptime(match["at"], _STAMP).replace(tzinfo=UTC)
        found.append(Checkpoint(at, int(match["row"]), int(match["rows"]), match["hash"]))
    return found


def read_checkpoints(path: Path) -> list[Checkpoint]:
    """The checkpoints in `path` (OSError when it cannot be read, CheckpointFileError when malformed)."""
    return parse_checkpoints(path.read_text(encoding="ascii", errors="replace").splitlines(), str(path))


def verify(rt: Runtime, checkpoints: Sequence[Checkpoint]) -> Verification:
    """Walk the sealed chain (HMAC with the audit key) and check every unsealed row's signature,
    then hold the chain against every seal record and every checkpoint (each recorded row must
    still be in the chain with the hash it had), and look for rows left unsealed too long."""
    wanted = {checkpoint.row_id for checkpoint in checkpoints}
    seen: dict[int, str] = {}
    hashes: dict[int, str] = {}
    rows, last_id = 0, 0
    digest = keyed_digest(rt.settings.audit_key)
    with rt.read(snapshot=True) as session:
        connection = session.connection()
        for row, problem in checked_chain(sealed_rows(connection), digest):
            if problem is not None:
                return Verification(rows, len(checkpoints), str(ChainBreak(row.id, problem)))
            rows, last_id = rows + 1, row.id
            hashes[row.seq] = row.row_hash
            if row.id in wanted:
                seen[row.id] = row.row_hash
        unsealed, oldest = 0, None
        for row in unsealed_rows(connection):
            if not entry_holds(row, digest):
                return Verification(rows, len(checkpoints), str(ChainBreak(row.id, FORGED)))
            unsealed += 1
            oldest = oldest or row
        seals = _against_seals(connection, hashes, rows)
    problem = next(filter(None, (_against(checkpoint, seen, rows, last_id) for checkpoint in checkpoints)), seals)
    if problem is None and oldest is not None and as_utc(parse_at(oldest.at)) < rt.now() - UNSEALED_LIMIT:
        problem = (f"{unsealed} audit row(s) not sealed, the oldest (row {oldest.id}) written at "
                   f"{as_utc(parse_at(oldest.at)).strftime(_STAMP)}, more than a minute ago: is a sealer running "
                   "(kidb serve, kidb audit seal)?")
    return Verification(rows, len(checkpoints), problem, unsealed)


def _against_seals(connection: Connection, hashes: dict[int, str], rows: int) -> str | None:
    """Each seal record's head must still be in the chain with the hash it had."""
    for seal in connection.execute(text("SELECT id, last_seq, head_hash FROM audit_seal ORDER BY last_seq")):
        if seal.last_seq > rows:
            return (f"the audit chain has {rows} sealed rows, but seal {seal.id} sealed up to place {seal.last_seq}: "
                    "the tail was truncated")
        if hashes[seal.last_seq] != seal.head_hash:
            return f"the audit row at place {seal.last_seq} differs from seal {seal.id}: the chain was rewritten"
    return None


def _against(checkpoint: Checkpoint, seen: dict[int, str], rows: int, last_id: int) -> str | None:
    recorded = f"the checkpoint of {checkpoint.stamp}"
    if checkpoint.row_id == 0:
        return None
    if rows == 0:
        return (f"the audit log is empty, but {recorded} recorded {checkpoint.rows} row(s) up to row "
                f"{checkpoint.row_id}: rows were deleted")
    if checkpoint.row_id not in seen and rows < checkpoint.rows:
        return (f"the audit chain ends at row {last_id} ({rows} rows), but {recorded} recorded row "
                f"{checkpoint.row_id} ({checkpoint.rows} rows): the tail was truncated")
    if checkpoint.row_id not in seen:
        return (f"audit row {checkpoint.row_id}, recorded by {recorded}, is missing: "
                "rows were deleted or the chain rewritten")
    if seen[checkpoint.row_id] != checkpoint.row_hash:
        return f"audit row {checkpoint.row_id} differs from {recorded}: the chain was rewritten"
    return None


async def checkpoint_every(
    rt: Runtime, path: Path, seconds: float, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Write a checkpoint now and then every `seconds` until cancelled (the `kidb serve` task);
    the database work runs in a thread, and a busy database or unwritable file is logged and
    tried again next time."""
    while True:
        try:
            checkpoint = await asyncio.to_thread(write_checkpoint, rt, path)
            log.info("%s", checkpoint.line())
        except (SystemBusy, OSError) as error:
            log.warning("audit checkpoint not written: %s", error)
        await sleep(seconds)
