"""Audit checkpoints: the sealed chain's head written to a file outside the database, and the
chain held against every checkpoint and seal record, so that a truncated tail, an emptied log and
a chain rewritten and re-hashed (without the key, with another key, or even with the key) are
reported, and rows left unsealed for more than a minute too; the periodic checkpoint task of
`kidb serve` (kidb_tui/services/audit_checkpoint.py)."""

import asyncio
import logging
import stat

import pytest
from sqlalchemy import text

from kidb_tui.audit_chain import GENESIS, entry_mac, keyed_digest, legacy_digest, parse_at, parse_details, row_hash, sealed_rows
from kidb_tui.services import audit
from kidb_tui.services.audit import verify_chain
from kidb_tui.services.audit_checkpoint import (
    Checkpoint,
    CheckpointFileError,
    checkpoint_every,
    head,
    parse_checkpoints,
    read_checkpoints,
    verify,
    write_checkpoint,
)
from kidb_tui.services.audit_seal import seal_pending
from tests.backoffice_services.test_audit_chain import audit_ids, raw, sealed_rt  # noqa: F401  (a fixture)
from tests.conftest import AUDIT_KEY, FROZEN_AT


def add_rows(rt, count: int) -> None:
    with rt.write() as session:
        for number in range(count):
            audit.record(session, rt, "cli", "test.row", str(number))


def rehash_everything(rt, digest) -> None:
    """What someone with database access does after editing rows: recompute the whole chain and
    every row's signature."""
    with rt.engine.begin() as connection:
        previous = GENESIS
        for row in sealed_rows(connection).all():
            content = (parse_at(row.at), row.actor, row.action, row.subject, parse_details(row.details),
                       row.terminal_id, row.branch)
            current = row_hash(digest, row.id, *content, previous)
            connection.execute(
                text("UPDATE audit_event SET prev_hash = :prev, row_hash = :hash, entry_mac = :mac WHERE id = :id"),
                {"prev": previous, "hash": current, "mac": entry_mac(digest, row.nonce, *content), "id": row.id},
            )
            previous = current


def checked(rt, path) -> str | None:
    return verify(rt, read_checkpoints(path)).problem


def test_a_checkpoint_is_the_head_appended_as_one_line_to_a_private_file(demo_rt, tmp_path):
    path = tmp_path / "state" / "audit-checkpoints"
    ids = audit_ids(demo_rt)
    first = write_checkpoint(demo_rt, path)
    add_rows(demo_rt, 2)
    second = write_checkpoint(demo_rt, path)
    with demo_rt.read() as session:
        last_hash = session.execute(text("SELECT row_hash FROM audit_event ORDER BY id DESC LIMIT 1")).scalar_one()
    assert (first.row_id, first.rows) == (ids[-1], len(ids))
    assert (second.row_id, second.rows, second.row_hash) == (audit_ids(demo_rt)[-1], len(ids) + 2, last_hash)
    assert path.read_text().splitlines() == [
        f"2026-11-25T03:00:00Z kidb audit checkpoint row={first.row_id} rows={first.rows} hash={first.row_hash}",
        second.line(),
    ]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_the_chain_verifies_against_checkpoints_after_normal_writes(demo_rt, tmp_path):
    path = tmp_path / "audit-checkpoints"
    for _ in range(3):
        write_checkpoint(demo_rt, path)
        add_rows(demo_rt, 2)
    result = verify(demo_rt, read_checkpoints(path))
    assert (result.rows, result.unsealed, result.checkpoints, result.problem) == (len(audit_ids(demo_rt)) - 2, 2, 3, None)


def test_an_empty_log_checkpoints_as_the_genesis(rt, tmp_path):
    path = tmp_path / "audit-checkpoints"
    assert write_checkpoint(rt, path) == Checkpoint(FROZEN_AT, 0, 0, GENESIS)
    add_rows(rt, 1)
    assert checked(rt, path) is None


def test_a_truncated_tail_is_reported(demo_rt, tmp_path):
    path = tmp_path / "audit-checkpoints"
    ids = audit_ids(demo_rt)
    write_checkpoint(demo_rt, path)
    raw(demo_rt, "DELETE FROM audit_event WHERE id > :id", id=ids[-4])
    assert verify_chain(demo_rt) is None
    assert checked(demo_rt, path) == (
        f"the audit chain ends at row {ids[-4]} ({len(ids) - 3} rows), but the checkpoint of "
        f"2026-11-25T03:00:00Z recorded row {ids[-1]} ({len(ids)} rows): the tail was truncated"
    )


def test_a_truncated_tail_followed_by_new_rows_is_reported(demo_rt, tmp_path):
    path = tmp_path / "audit-checkpoints"
    ids = audit_ids(demo_rt)
    write_checkpoint(demo_rt, path)
    raw(demo_rt, "DELETE FROM audit_event WHERE id > :id", id=ids[-4])
    add_rows(demo_rt, 5)
    assert verify_chain(demo_rt) is None
    assert checked(demo_rt, path).endswith("the tail was truncated")
    seal_pending(demo_rt)
    assert checked(demo_rt, path) in (
        f"audit row {ids[-1]} differs from the checkpoint of 2026-11-25T03:00:00Z: the chain was rewritten",
        f"audit row {ids[-1]}, recorded by the checkpoint of 2026-11-25T03:00:00Z, is missing: "
        "rows were deleted or the chain rewritten",
    )


def test_a_log_with_every_row_deleted_is_reported(demo_rt, tmp_path):
    path = tmp_path / "audit-checkpoints"
    ids = audit_ids(demo_rt)
    write_checkpoint(demo_rt, path)
    raw(demo_rt, "DELETE FROM audit_event")
    assert verify_chain(demo_rt) is None
    assert checked(demo_rt, path) == (
        f"the audit log is empty, but the checkpoint of 2026-11-25T03:00:00Z recorded {len(ids)} row(s) "
        f"up to row {ids[-1]}: rows were deleted"
    )


@pytest.mark.parametrize("digest", [legacy_digest, keyed_digest(b"a-guessed-audit-key-0123456789abcdef")],
                         ids=["plain-sha256", "another-key"])
def test_rows_rewritten_and_re_hashed_without_the_key_are_reported(sealed_rt, digest):
    ids = audit_ids(sealed_rt)
    raw(sealed_rt, "UPDATE audit_event SET actor = 'someone.else' WHERE id = :id", id=ids[5])
    rehash_everything(sealed_rt, digest)
    problem = verify_chain(sealed_rt)
    assert (problem.row_id, problem.problem) == (ids[0], "content does not match its hash (the row was edited)")


def test_rows_rewritten_and_re_hashed_with_the_key_are_reported_by_a_checkpoint(demo_rt, tmp_path):
    path = tmp_path / "audit-checkpoints"
    ids = audit_ids(demo_rt)
    write_checkpoint(demo_rt, path)
    raw(demo_rt, "UPDATE audit_event SET actor = 'someone.else' WHERE id = :id", id=ids[5])
    rehash_everything(demo_rt, keyed_digest(AUDIT_KEY))
    assert verify_chain(demo_rt) is None
    assert checked(demo_rt, path) == (
        f"audit row {ids[-1]} differs from the checkpoint of 2026-11-25T03:00:00Z: the chain was rewritten"
    )


def test_a_broken_chain_is_reported_before_the_checkpoints(demo_rt, tmp_path):
    path = tmp_path / "audit-checkpoints"
    ids = audit_ids(demo_rt)
    write_checkpoint(demo_rt, path)
    raw(demo_rt, "UPDATE audit_event SET terminal_id = 'loket-09' WHERE id = :id", id=ids[2])
    assert checked(demo_rt, path) == f"audit row {ids[2]}: content does not match its hash (the row was edited)"


def test_checkpoint_lines_may_carry_a_syslog_prefix_and_other_lines_are_refused(demo_rt):
    line = head(demo_rt).line()
    assert parse_checkpoints([f"Nov 30 10:15:00 kidb-host kidb-serve[812]: {line}", ""], "log") == [
        parse_checkpoints([line], "file")[0]
    ]
    with pytest.raises(CheckpointFileError, match=r"^copy line 2: not an audit checkpoint$"):
        parse_checkpoints([line, line.replace("hash=", "hash=zz")], "copy")


async def test_the_serve_task_checkpoints_now_and_after_every_interval(demo_rt, tmp_path, caplog):
    path = tmp_path / "audit-checkpoints"
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 3:
            raise asyncio.CancelledError
        await asyncio.to_thread(add_rows, demo_rt, 1)

    caplog.set_level(logging.INFO, logger="kidb.audit")
    with pytest.raises(asyncio.CancelledError):
        await checkpoint_every(demo_rt, path, 300, sleep=pause)
    checkpoints = read_checkpoints(path)
    assert pauses == [300, 300, 300]
    assert [c.rows for c in checkpoints] == [len(audit_ids(demo_rt)) - 2, len(audit_ids(demo_rt)) - 1,
                                             len(audit_ids(demo_rt))]
    assert [r.getMessage() for r in caplog.records if r.name == "kidb.audit"] == [c.line() for c in checkpoints]
    assert verify(demo_rt, checkpoints).problem is None


async def test_the_serve_task_logs_a_failed_checkpoint_and_goes_on(demo_rt, tmp_path, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 2:
            raise asyncio.CancelledError
        blocker.unlink()

    caplog.set_level(logging.INFO, logger="kidb.audit")
    with pytest.raises(asyncio.CancelledError):
        await checkpoint_every(demo_rt, blocker / "audit-checkpoints", 60, sleep=pause)
    logged = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "kidb.audit"]
    assert logged[0][0] == "WARNING" and logged[0][1].startswith("audit checkpoint not written: ")
    assert logged[1][0] == "INFO"
    assert len(read_checkpoints(blocker / "audit-checkpoints")) == 1
