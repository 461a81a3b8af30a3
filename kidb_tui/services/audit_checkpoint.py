"""Audit checkpoints: the chain's head (row id, hash, row count, UTC time) appended as one line to
a file outside the database, and the chain checked against every checkpoint, so that a truncated
tail, an emptied log or a chain rewritten and re-hashed (even with the key) is reported."""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from kidb_tui.audit_chain import GENESIS, ChainBreak, checked_rows, keyed_digest, raw_rows
from kidb_tui.clock import as_utc
from kidb_tui.config import user_data_dir
from kidb_tui.errors import SystemBusy
from kidb_tui.services.runtime import Runtime

log = logging.getLogger("kidb.audit")

CHECKPOINT_FILE = "audit-checkpoints"
_STAMP = "%Y-%m-%dT%H:%M:%SZ"
_LINE = re.compile(
    r"(?P<at>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) kidb audit checkpoint"
    r" row=(?P<row>\d+) rows=(?P<rows>\d+) hash=(?P<hash>[0-9a-f]{64})\s*$"
)


class CheckpointFileError(Exception):
    """A checkpoints file with a line that is not a checkpoint."""


@dataclass(frozen=True)
class Checkpoint:
    """The head of the chain at one moment: `row_id` 0 with the genesis hash for an empty log."""

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
    """The outcome of `verify`: `problem` is one line naming what is wrong, or None."""

    rows: int
    checkpoints: int
    problem: str | None


def default_path() -> Path:
    """`audit-checkpoints` in the data directory, beside the keys and outside the database."""
    return user_data_dir() / CHECKPOINT_FILE


def head(rt: Runtime) -> Checkpoint:
    """The newest row's id and hash with the row count, read in one statement (one snapshot)."""
    with rt.read() as session:
        newest = session.execute(text(
            "SELECT id, row_hash, (SELECT count(*) FROM audit_event) AS total"
            " FROM audit_event ORDER BY id DESC LIMIT 1"
        )).first()
    if newest is None:
        return Checkpoint(rt.now(), 0, 0, GENESIS)
    return Checkpoint(rt.now(), newest.id, newest.total, newest.row_hash)


def write_checkpoint(rt: Runtime, path: Path) -> Checkpoint:
    """Append the head to `path` (created 0600, its folder 0700) with one fsynced write."""
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
    """Walk the chain (HMAC with the audit key), then hold it against every checkpoint: each
    checkpointed row must still exist with the hash it had."""
    wanted = {checkpoint.row_id for checkpoint in checkpoints}
    seen: dict[int, str] = {}
    rows, last_id = 0, 0
    digest = keyed_digest(rt.settings.audit_key)
    with rt.read() as session:
        for row, problem in checked_rows(raw_rows(session.connection()), digest):
            if problem is not None:
                return Verification(rows, len(checkpoints), str(ChainBreak(row.id, problem)))
            rows, last_id = rows + 1, row.id
            if row.id in wanted:
                seen[row.id] = row.row_hash
    for checkpoint in checkpoints:
        problem = _against(checkpoint, seen, rows, last_id)
        if problem is not None:
            return Verification(rows, len(checkpoints), problem)
    return Verification(rows, len(checkpoints), None)


def _against(checkpoint: Checkpoint, seen: dict[int, str], rows: int, last_id: int) -> str | None:
    recorded = f"the checkpoint of {checkpoint.stamp}"
    if checkpoint.row_id == 0:
        return None
    if rows == 0:
        return (f"the audit log is empty, but {recorded} recorded {checkpoint.rows} row(s) up to row "
                f"{checkpoint.row_id}: rows were deleted")
    if last_id < checkpoint.row_id:
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
