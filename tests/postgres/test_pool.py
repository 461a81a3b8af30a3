"""Connections of one process on PostgreSQL: a small pool that closes its connections once the
process has used none for a while, a ping only for a connection that has idled, reads without
BEGIN/ROLLBACK (or in one snapshot when asked), and `prepare_threshold` taken from the URL
(kidb_tui/db.py, kidb_tui/services/runtime.py)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from sqlalchemy import text

from kidb_tui import db
from kidb_tui.db import make_engine
from kidb_tui.errors import SystemBusy
from kidb_tui.services.runtime import Runtime

WAIT = 15.0


def backends(rt) -> int:
    """Connections to this test's database other than the one asking."""
    with rt.engine.connect() as connection:
        return connection.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )).scalar_one()


def terminate(runtime, pid: int) -> None:
    """End a server process from another engine (as a restart or an administrator would)."""
    other = make_engine(runtime.settings.database_url)
    try:
        with other.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        other.dispose()


def until(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"still not {what} after {WAIT} s"
        time.sleep(0.05)


@pytest.fixture
def runtime(pg_settings, clock):
    made = Runtime.create(pg_settings, clock, make_engine(pg_settings.database_url, idle_seconds=0.5))
    yield made
    made.engine.dispose()


def test_the_pool_is_small_and_closes_idle_connections(runtime):
    engine = runtime.engine
    assert (engine.pool.size(), engine.pool._max_overflow) == (db.POOL_SIZE, db.POOL_OVERFLOW)
    with runtime.read() as first, runtime.read() as second:
        first.execute(text("SELECT 1"))
        second.execute(text("SELECT 1"))
    assert engine.pool.checkedin() == 2
    observer = Runtime.create(runtime.settings, runtime.clock)
    try:
        assert backends(observer) == 2
        until(lambda: engine.pool.checkedin() == 0, "closed")
        until(lambda: backends(observer) == 0, "gone from the server")
        with runtime.write() as session:
            assert session.execute(text("SELECT 1")).scalar() == 1
    finally:
        observer.engine.dispose()


REAPER_LIFE = """
import sys, threading, time
from sqlalchemy import text
from kidb_tui.db import make_engine

def reaping():
    return any(thread.name == "kidb-idle-connections" for thread in threading.enumerate())

engine = make_engine(sys.argv[1], idle_seconds=0.3)
seen = [reaping()]
with engine.connect() as connection:
    connection.execute(text("SELECT 1"))
seen.append(reaping())
deadline = time.monotonic() + 15
while reaping() and time.monotonic() < deadline:
    time.sleep(0.05)
print(seen + [reaping(), engine.pool.checkedin()])
"""


def test_the_thread_that_closes_idle_connections_runs_only_while_one_is_pooled(pg_settings):
    """In a process of its own, so that no other engine keeps the thread alive."""
    done = subprocess.run([sys.executable, "-c", REAPER_LIFE, pg_settings.database_url],
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["[False,", "True,", "False,", "0]"], done.stderr


def test_a_connection_that_idled_is_pinged_and_replaced_when_the_server_dropped_it(runtime, monkeypatch):
    monkeypatch.setattr(db, "PING_AFTER_SECONDS", 0.0)
    with runtime.read() as session:
        dropped = session.execute(text("SELECT pg_backend_pid()")).scalar()
    terminate(runtime, dropped)
    with runtime.read() as session:
        assert session.execute(text("SELECT pg_backend_pid()")).scalar() != dropped


def test_a_connection_dropped_without_idling_costs_one_busy_answer_then_the_pool_is_renewed(runtime, monkeypatch):
    monkeypatch.setattr(db, "PING_AFTER_SECONDS", 3600.0)
    with runtime.read() as session:
        dropped = session.execute(text("SELECT pg_backend_pid()")).scalar()
    terminate(runtime, dropped)
    with pytest.raises(SystemBusy), runtime.read() as session:
        session.execute(text("SELECT 1"))
    with runtime.read() as session:
        assert session.execute(text("SELECT pg_backend_pid()")).scalar() != dropped


def test_reads_run_each_statement_on_its_own_unless_a_snapshot_is_asked_for(runtime):
    def two_clocks(snapshot: bool) -> tuple:
        with runtime.read(snapshot=snapshot) as session:
            first = session.execute(text("SELECT clock_timestamp(), now(), current_setting('transaction_isolation')"))
            first = first.one()
            time.sleep(0.01)
            return first, session.execute(text("SELECT now()")).scalar()

    (_, started, _), later = two_clocks(snapshot=False)
    assert later > started
    (_, started, isolation), later = two_clocks(snapshot=True)
    assert (later, isolation) == (started, "repeatable read")


def test_prepare_threshold_comes_from_the_url(pg_settings):
    off = make_engine(pg_settings.database_url + "?prepare_threshold=none")
    five = make_engine(pg_settings.database_url)
    try:
        for engine, expected in ((off, None), (five, 5)):
            with engine.connect() as connection:
                assert connection.connection.driver_connection.prepare_threshold == expected
        assert "prepare_threshold" not in off.url.query
    finally:
        off.dispose()
        five.dispose()
