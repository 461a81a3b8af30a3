"""Audit rows without a global lock: a writer inserts one signed row and reads nothing of the chain,
writers never wait for each other, the sealer chains rows in the order they commit and records
each batch, several sealers (even racing without their lock) never fork the chain, a sealer
killed mid-batch leaves nothing sealed, rows left unsealed for over a minute are a fault, and the
migration turns the id-ordered chain into the sealed one and back
(kidb_tui/services/audit.py, audit_seal.py, audit_checkpoint.py, migration 0006)."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from kidb_tui import migrate
from kidb_tui.audit_chain import first_break, keyed_digest
from kidb_tui.db import make_engine
from kidb_tui.errors import SystemBusy
from kidb_tui.models import AuditEvent, AuditSeal
from kidb_tui.services import audit, audit_seal
from kidb_tui.services.audit import verify_chain
from kidb_tui.services.audit_checkpoint import Verification, parse_checkpoints, verify
from kidb_tui.services.audit_seal import seal, seal_every, seal_pending
from kidb_tui.services.runtime import Runtime
from tests.backoffice_services.helpers import insert_old_rows
from tests.conftest import AUDIT_KEY

WAIT = 20


def add_rows(rt, count: int, action: str = "test.row") -> None:
    for number in range(count):
        with rt.write() as session:
            audit.record(session, rt, "cli", action, str(number))


def chain(rt) -> list[AuditEvent]:
    with rt.read() as session:
        return list(session.exec(select(AuditEvent).order_by(col(AuditEvent.seq).is_(None), col(AuditEvent.seq),
                                                             col(AuditEvent.id))).all())


def seals(rt) -> list[tuple[int, int]]:
    with rt.read() as session:
        return [(row.first_seq, row.last_seq) for row in session.exec(select(AuditSeal).order_by(col(AuditSeal.id)))]


def postgres_only(rt) -> None:
    if rt.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time")


def test_a_transactions_rows_are_one_insert_with_no_lock_and_no_read_of_the_chain(rt):
    statements: list[tuple[str, bool]] = []

    def seen(connection, cursor, statement, parameters, context, executemany) -> None:
        statements.append((" ".join(statement.split()[:3]), executemany))

    try:
        with rt.write() as session:
            session.connection()
            event.listen(rt.engine, "before_cursor_execute", seen)
            audit.record(session, rt, "cli", "test.row", "one", count=1)
            audit.record(session, rt, "cli", "test.row", "two", count=2)
            assert statements == []
    finally:
        event.remove(rt.engine, "before_cursor_execute", seen)
    assert statements == [("INSERT INTO audit_event", True)]
    assert [(row.subject, row.details) for row in chain(rt)] == [("one", {"count": 1}), ("two", {"count": 2})]


def test_writers_do_not_wait_for_each_other(rt):
    postgres_only(rt)
    finished = threading.Event()

    def second_writer() -> None:
        with rt.write() as session:
            audit.record(session, rt, "cli", "test.second")
        finished.set()

    with rt.write() as session:
        audit.record(session, rt, "cli", "test.first")
        other = threading.Thread(target=second_writer)
        other.start()
        assert finished.wait(WAIT), "the second writer waited for the first one's transaction"
    other.join(WAIT)
    assert sorted(row.action for row in chain(rt)) == ["test.first", "test.second"]


def test_rows_are_chained_in_the_order_they_commit(rt):
    postgres_only(rt)
    with rt.write() as session:
        audit.record(session, rt, "cli", "test.committed_last")
        audit._insert_pending(session)  # the row takes its id now; its transaction commits after the next one
        add_rows(rt, 1, "test.committed_first")
        first = seal_pending(rt)
    assert (first.rows, first.first_seq, first.last_seq) == (1, 1, 1)
    second = seal_pending(rt)
    assert (second.rows, second.first_seq, second.last_seq) == (1, 2, 2)
    rows = chain(rt)
    assert [(row.action, row.seq) for row in rows] == [("test.committed_first", 1), ("test.committed_last", 2)]
    assert rows[0].id > rows[1].id
    assert rows[1].prev_hash == rows[0].row_hash
    assert verify_chain(rt) is None


def test_each_batch_is_sealed_and_recorded(rt, clock):
    add_rows(rt, 3)
    assert [row.seq for row in chain(rt)] == [None] * 3
    done = seal(rt)
    assert (done.rows, done.first_seq, done.last_seq, done.busy) == (3, 1, 3, False)
    add_rows(rt, 5)
    assert seal_pending(rt, batch=2).rows == 5
    rows = chain(rt)
    assert [row.seq for row in rows] == list(range(1, 9))
    assert seals(rt) == [(1, 3), (4, 5), (6, 7), (8, 8)]
    with rt.read() as session:
        heads = session.exec(select(AuditSeal.head_hash).order_by(col(AuditSeal.id))).all()
    assert heads == [rows[2].row_hash, rows[4].row_hash, rows[6].row_hash, rows[7].row_hash]
    assert seal(rt).rows == 0
    assert verify_chain(rt) is None


def test_several_sealers_at_once_never_fork_the_chain(rt):
    writing = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            add_rows(rt, 15)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    def sealer() -> None:
        try:
            while writing.is_set():
                seal_pending(rt, batch=4)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    writing.set()
    sealers = [threading.Thread(target=sealer) for _ in range(3)]
    writers = [threading.Thread(target=writer) for _ in range(3)]
    for thread in sealers + writers:
        thread.start()
    for thread in writers:
        thread.join(WAIT * 3)
    writing.clear()
    for thread in sealers:
        thread.join(WAIT)
    assert errors == []
    seal_pending(rt)
    rows = chain(rt)
    assert len(rows) == 45
    assert [row.seq for row in rows] == list(range(1, 46))
    ranges = seals(rt)
    assert [first for first, _ in ranges] == [1] + [last + 1 for _, last in ranges[:-1]]
    assert ranges[-1][1] == 45
    assert verify_chain(rt) is None


def test_sealers_racing_without_their_lock_still_do_not_fork_the_chain(rt, monkeypatch):
    postgres_only(rt)
    add_rows(rt, 4)
    both_read = threading.Barrier(2, timeout=WAIT)
    read_head = audit_seal._head

    def head_then_wait(connection):
        found = read_head(connection)
        both_read.wait()
        return found

    monkeypatch.setattr(audit_seal, "_take_turn", lambda connection: True)
    monkeypatch.setattr(audit_seal, "_head", head_then_wait)
    outcomes: list[object] = []

    def racer() -> None:
        try:
            outcomes.append(seal(rt))
        except IntegrityError as error:
            outcomes.append(error)

    racers = [threading.Thread(target=racer) for _ in range(2)]
    for thread in racers:
        thread.start()
    for thread in racers:
        thread.join(WAIT * 2)
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["IntegrityError", "Seal"]
    assert [row.seq for row in chain(rt)] == [1, 2, 3, 4]
    assert seals(rt) == [(1, 4)]
    assert verify_chain(rt) is None


def test_a_second_sealer_leaves_the_work_to_the_one_at_it(rt):
    postgres_only(rt)
    add_rows(rt, 2)
    with rt.write() as session:
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": audit_seal._PG_SEAL_LOCK})
        assert seal_pending(rt) == audit_seal.Seal(busy=True)
    assert seal_pending(rt).rows == 2


def _seal_and_hang(settings, marker: str) -> None:
    """A sealer that stops for good once its batch is chained, before the batch commits."""

    def hang(*args) -> None:
        Path(marker).write_text("chained")
        time.sleep(600)

    audit_seal._record_seal = hang
    seal(Runtime.create(settings))


def test_a_sealer_killed_mid_batch_leaves_nothing_sealed(rt, tmp_path):
    add_rows(rt, 6)
    marker = tmp_path / "marker"
    settings = rt.settings
    process = multiprocessing.get_context("spawn").Process(target=_seal_and_hang, args=(settings, str(marker)))
    process.start()
    deadline = time.monotonic() + WAIT * 3
    while not marker.exists() and process.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "the sealer never chained its batch"
    os.kill(process.pid, signal.SIGKILL)
    process.join(WAIT)
    assert process.exitcode == -signal.SIGKILL
    rt.engine.dispose()
    assert [row.seq for row in chain(rt)] == [None] * 6
    assert [row.row_hash for row in chain(rt)] == [""] * 6
    assert seals(rt) == []
    assert seal_pending(rt).rows == 6
    assert verify_chain(rt) is None


def test_rows_unsealed_for_more_than_a_minute_are_a_fault(demo_rt, clock):
    pending = len(chain(demo_rt))
    clock.advance(seconds=59)
    young = verify(demo_rt, [])
    assert (young.problem, young.rows, young.unsealed) == (None, 0, pending)
    clock.advance(seconds=2)
    old = verify(demo_rt, []).problem
    first = chain(demo_rt)[0]
    assert old == (f"{pending} audit row(s) not sealed, the oldest (row {first.id}) written at 2026-11-25T03:00:00Z, "
                   "more than a minute ago: is a sealer running (kidb serve, kidb audit seal)?")
    seal_pending(demo_rt)
    assert verify(demo_rt, []) == Verification(pending, 0, None, 0)


def test_a_truncated_sealed_tail_is_named_by_its_seal_record(demo_rt):
    seal_pending(demo_rt)
    rows = chain(demo_rt)
    with demo_rt.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_event WHERE seq > :seq"), {"seq": len(rows) - 2})
    assert verify_chain(demo_rt) is None
    assert verify(demo_rt, []).problem == (
        f"the audit chain has {len(rows) - 2} sealed rows, but seal 1 sealed up to place {len(rows)}: "
        "the tail was truncated"
    )


async def test_the_serve_task_seals_after_every_interval(rt, caplog):
    pauses: list[float] = []
    add_rows(rt, 2)

    async def pause(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 3:
            raise asyncio.CancelledError
        await asyncio.to_thread(add_rows, rt, 1)

    with pytest.raises(asyncio.CancelledError):
        await seal_every(rt, 5, sleep=pause)
    assert pauses == [5, 5, 5]
    assert seals(rt) == [(1, 3), (4, 4)]


async def test_the_serve_task_logs_a_busy_database_and_goes_on(rt, monkeypatch, caplog):
    calls: list[int] = []

    def flaky(runtime):
        calls.append(1)
        if len(calls) == 1:
            raise SystemBusy()
        return audit_seal.Seal()

    async def pause(seconds: float) -> None:
        if len(calls) == 2:
            raise asyncio.CancelledError

    monkeypatch.setattr(audit_seal, "seal_pending", flaky)
    caplog.set_level(logging.INFO, logger="kidb.audit")
    with pytest.raises(asyncio.CancelledError):
        await seal_every(rt, 5, sleep=pause)
    assert [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "kidb.audit"] == [
        ("WARNING", "audit rows not sealed this time: SystemBusy")]


def test_the_upgrade_turns_the_id_ordered_chain_into_the_first_seal(settings, clock):
    engine = make_engine(settings.database_url)
    try:
        migrate.upgrade(engine, "0001")
        insert_old_rows(engine)
        migrate.upgrade(engine, "0005", audit_key=settings.audit_key)
        with engine.connect() as connection:
            old_head = connection.execute(text("SELECT id, row_hash FROM audit_event ORDER BY id DESC LIMIT 1")).one()
        migrate.upgrade(engine, audit_key=settings.audit_key)
        rt = Runtime.create(settings, clock, engine)
        rows = chain(rt)
        assert [row.seq for row in rows] == [1, 2, 3]
        assert [row.id for row in rows] == sorted(row.id for row in rows)
        assert seals(rt) == [(1, 3)]
        assert verify_chain(rt) is None
        checkpoint = f"2026-11-24T03:00:00Z kidb audit checkpoint row={old_head.id} rows=3 hash={old_head.row_hash}"
        assert verify(rt, parse_checkpoints([checkpoint], "test")).problem is None
        add_rows(rt, 1)
        seal_pending(rt)
        assert verify_chain(rt) is None
    finally:
        engine.dispose()


def test_the_downgrade_chains_rows_sealed_out_of_id_order_in_id_order(rt):
    add_rows(rt, 3)
    seal_pending(rt)
    add_rows(rt, 1)
    with rt.engine.begin() as connection:
        connection.execute(text("UPDATE audit_event SET id = 0 WHERE seq IS NULL"))
    seal_pending(rt)
    ids = [row.id for row in chain(rt)]
    assert ids[-1] == 0 and ids[:-1] == sorted(ids[:-1])
    assert verify_chain(rt) is None
    migrate.downgrade(rt.engine, "0005", audit_key=rt.settings.audit_key)
    with rt.engine.connect() as connection:
        assert first_break(connection, keyed_digest(AUDIT_KEY)) is None
    migrate.upgrade(rt.engine, audit_key=rt.settings.audit_key)
    assert [row.id for row in chain(rt)] == sorted(row.id for row in chain(rt))
    assert verify_chain(rt) is None


def unsealed(rt) -> int:
    with rt.read() as session:
        return len(session.exec(select(AuditEvent.id).where(col(AuditEvent.seq).is_(None))).all())


def test_an_app_run_on_its_own_seals_its_rows_every_interval_and_when_it_stops(rt):
    sealer = audit_seal.SealerThread(rt, 0.05).start()
    try:
        add_rows(rt, 2)
        deadline = time.monotonic() + WAIT
        while unsealed(rt) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (unsealed(rt), seals(rt)) == (0, [(1, 2)])
    finally:
        sealer.stop()
    slow = audit_seal.SealerThread(rt, 3600).start()
    add_rows(rt, 3)
    assert unsealed(rt) == 3
    slow.stop()
    assert (unsealed(rt), seals(rt)[-1]) == (0, (3, 5))


def test_only_an_app_outside_kidb_serve_runs_a_sealer(rt, monkeypatch):
    monkeypatch.setenv(audit_seal.SERVER_SEALS_ENV, "1")
    assert audit_seal.app_sealer(rt) is None
    monkeypatch.delenv(audit_seal.SERVER_SEALS_ENV)
    sealer = audit_seal.app_sealer(rt)
    assert isinstance(sealer, audit_seal.SealerThread)
    add_rows(rt, 1)
    sealer.stop()
    assert unsealed(rt) == 0


def test_nothing_to_seal_takes_no_lock_and_writes_nothing(rt):
    add_rows(rt, 1)
    seal_pending(rt)
    statements: list[str] = []

    def seen(connection, cursor, statement, *args) -> None:
        statements.append(statement)

    event.listen(rt.engine, "before_cursor_execute", seen)
    try:
        assert seal_pending(rt) == audit_seal.Seal()
    finally:
        event.remove(rt.engine, "before_cursor_execute", seen)
    assert statements and not [s for s in statements if any(
        word in s.upper() for word in ("INSERT", "UPDATE", "ADVISORY", "IMMEDIATE"))]
