"""`Runtime.transaction()`: a write transaction on a Core connection (the hot paths) keeps the
audit semantics of an ORM Session: its rows are inserted as it commits, and none of them when
it rolls back, not even into the next transaction on the same pooled connection. `db.Prepared`
(the hot paths' statements on the DB-API cursor) reads, writes and fails as SQLAlchemy does."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, event, insert, select, text
from sqlalchemy.exc import IntegrityError

from kidb_tui.db import Prepared
from kidb_tui.models import AuditEvent, Bank, table
from kidb_tui.services import audit
from tests.services.helpers import all_rows


def test_a_core_transaction_inserts_its_audit_rows_as_it_commits(rt):
    with rt.transaction() as connection:
        audit.record(connection, rt, "tester", "test.one", "s1", n=1)
        audit.record(connection, rt, "tester", "test.two", "s2", n=2)
        assert not all_rows(rt, AuditEvent, AuditEvent.action.like("test.%"))
    rows = sorted(all_rows(rt, AuditEvent, AuditEvent.action.like("test.%")), key=lambda row: row.id)
    assert [(row.action, row.subject, row.details) for row in rows] == [("test.one", "s1", {"n": 1}),
                                                                          ("test.two", "s2", {"n": 2})]
    assert audit.verify_chain(rt) is None


def test_a_rolled_back_core_transaction_leaves_no_audit_row_behind(rt):
    with pytest.raises(RuntimeError), rt.transaction() as connection:
        audit.record(connection, rt, "tester", "test.lost", "")
        raise RuntimeError("refused")
    with rt.transaction() as connection:
        audit.record(connection, rt, "tester", "test.kept", "")
    assert [row.action for row in all_rows(rt, AuditEvent, AuditEvent.action.like("test.%"))] == ["test.kept"]


_AUDIT = table(AuditEvent)


def test_a_prepared_statement_gives_the_rows_sqlalchemy_gives(rt):
    with rt.transaction() as connection:
        audit.record(connection, rt, "tester", "test.one", "s1", n=1)
        audit.record(connection, rt, "tester", "test.two", "s2", n=2)
    query = select(_AUDIT).where(_AUDIT.c.action.like("test.%")).order_by(_AUDIT.c.id)
    with rt.query() as connection:
        expected = connection.execute(query).all()
        got = Prepared(query).rows(connection, {})
    assert [tuple(row) for row in got] == [tuple(row) for row in expected]
    assert [(row.action, row.details, type(row.at)) for row in got] == [("test.one", {"n": 1}, datetime),
                                                                         ("test.two", {"n": 2}, datetime)]


def test_a_prepared_statement_is_seen_by_listeners_and_fails_as_sqlalchemy_does(rt):
    seen: list[str] = []
    event.listen(rt.engine, "before_cursor_execute", lambda conn, cursor, sql, *rest: seen.append(sql.split()[0]))
    add_bank = Prepared(insert(table(Bank)))
    with rt.transaction() as connection:
        add_bank.run(connection, {"code": "999", "name": "Bank Uji", "account_length": 10})
    with pytest.raises(IntegrityError), rt.transaction() as connection:
        add_bank.run(connection, {"code": "998", "name": "Bank Dua", "account_length": 10})
        add_bank.run(connection, {"code": "999", "name": "Bank Uji lagi", "account_length": 10})
    with rt.query() as connection:
        names = Prepared(select(table(Bank).c.name).where(table(Bank).c.code >= bindparam("low"))).rows(
            connection, {"low": "998"})
    assert [row.name for row in names] == ["Bank Uji"]
    assert [sql for sql in seen if sql != "BEGIN"] == ["INSERT", "INSERT", "INSERT", "SELECT"]


def test_a_prepared_statement_stores_times_as_sqlalchemy_does(rt):
    """The times a prepared statement binds (SQLite: its own formatting of a datetime) are stored
    as SQLAlchemy's execution stores them: aware or naive, without microseconds, in year 999."""
    table_ = table(AuditEvent)
    add = Prepared(insert(table_))
    moments = [datetime(2026, 12, 1, 3, 4, 5, 60, tzinfo=UTC), datetime(2026, 12, 1, 3, 4, 5),
               datetime(999, 1, 2, 3, 4, 5, 999_999, tzinfo=timezone(timedelta(hours=7)))]
    row = {"actor": "tester", "subject": "", "details": {}, "terminal_id": "", "branch": "", "prev_hash": "",
           "row_hash": "", "entry_mac": ""}
    with rt.transaction() as connection:
        for n, moment in enumerate(moments):
            add.run(connection, {**row, "at": moment, "action": f"test.prepared.{n}", "nonce": f"p{n}"})
            connection.execute(insert(table_), {**row, "at": moment, "action": f"test.core.{n}", "nonce": f"c{n}"})
    with rt.query() as connection:
        stored = dict(connection.execute(text("SELECT action, CAST(at AS TEXT) FROM audit_event"
                                              " WHERE action LIKE 'test.%'")).all())
    assert [stored[f"test.prepared.{n}"] for n in range(3)] == [stored[f"test.core.{n}"] for n in range(3)]
    assert len(set(stored.values())) == 3
