"""Engine and sessions: SQLite pragmas on every connection, `BEGIN IMMEDIATE` for write
transactions only, commit/rollback, foreign keys enforced (kidb_tui/db.py)."""

import sqlite3
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError

from kidb_tui.db import is_sqlite, make_engine, read_session, write_session
from kidb_tui.models import Bank, KioskAccount


@pytest.fixture
def statements(rt) -> list[str]:
    seen: list[str] = []
    event.listen(rt.engine, "before_cursor_execute", lambda conn, cursor, sql, *rest: seen.append(sql))
    return seen


def other_writer(rt) -> sqlite3.Connection:
    """A second connection to the same file that gives up on a lock after 50 ms."""
    return sqlite3.connect(rt.engine.url.database, timeout=0.05, isolation_level=None)


@pytest.mark.parametrize("pragma, expected", [
    ("journal_mode", "wal"), ("foreign_keys", 1), ("synchronous", 2), ("busy_timeout", 10_000),
])
def test_pragmas_on_every_new_connection(rt, pragma, expected):
    rt.engine.dispose()
    with rt.engine.connect() as connection:
        assert connection.exec_driver_sql(f"PRAGMA {pragma}").scalar() == expected


def test_write_session_begins_immediate(rt, statements):
    with write_session(rt.engine) as session:
        session.execute(text("SELECT 1"))
    assert statements[:2] == ["BEGIN IMMEDIATE", "SELECT 1"]


def test_read_session_begins_deferred(rt, statements):
    with read_session(rt.engine) as session:
        session.execute(text("SELECT 1"))
    assert statements[:2] == ["BEGIN", "SELECT 1"]


def test_open_write_transaction_holds_the_write_lock(rt):
    writer = other_writer(rt)
    with write_session(rt.engine) as session:
        session.execute(text("SELECT 1"))
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            writer.execute("BEGIN IMMEDIATE")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("ROLLBACK")
    writer.close()


def test_open_read_transaction_lets_writers_in(rt):
    writer = other_writer(rt)
    with read_session(rt.engine) as session:
        session.execute(text("SELECT count(*) FROM bank"))
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO bank (code, name, account_length) VALUES ('999', 'Uji', 10)")
        writer.execute("COMMIT")
    writer.close()
    with read_session(rt.engine) as session:
        assert session.get(Bank, "999").name == "Uji"


def test_write_session_commits_or_rolls_back(rt):
    with write_session(rt.engine) as session:
        session.add(Bank(code="998", name="Satu", account_length=10))
    with pytest.raises(RuntimeError), write_session(rt.engine) as session:
        session.add(Bank(code="997", name="Dua", account_length=10))
        session.flush()
        raise RuntimeError("refused")
    with read_session(rt.engine) as session:
        assert session.get(Bank, "998") is not None
        assert session.get(Bank, "997") is None


def test_foreign_keys_are_enforced(rt):
    now = datetime(2026, 11, 25, tzinfo=UTC)
    with pytest.raises(IntegrityError), write_session(rt.engine) as session:
        session.add(KioskAccount(participant_id=424242, secret_hash="x", secret_kind="pin",
                                 created_at=now, secret_changed_at=now))
    with read_session(rt.engine) as session:
        assert session.get(KioskAccount, 1) is None


def test_make_engine_creates_the_folder_of_a_sqlite_file(tmp_path):
    path = tmp_path / "deep" / "er" / "kidb.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
    engine.dispose()
    assert path.exists() and is_sqlite(engine)


def test_postgresql_url_gives_a_postgresql_engine():
    engine = make_engine("postgresql+psycopg://kidb:secret@localhost:5432/kidb")
    assert engine.dialect.name == "postgresql" and not is_sqlite(engine)
