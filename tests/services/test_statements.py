"""The statements a claim and a login send to the database (counted at the driver, BEGIN, COMMIT
and ROLLBACK left out): the round trips bench/throughput.py sets beside the raw driver's 11 per
claim. A PIN attempt that only counts is one statement (services/throttle.py)."""

from contextlib import contextmanager
from dataclasses import replace

import pytest
from sqlalchemy import bindparam, event, insert, select, text
from sqlalchemy.exc import IntegrityError, InternalError

from kidb_tui.db import Prepared
from kidb_tui.models import Bank, table
from kidb_tui.services import auth
from kidb_tui.services.claims import receipt_for_key, submit_claim
from tests.conftest import SITI, sign_in
from tests.services.helpers import contact_of, draft


@contextmanager
def counted(rt):
    sent: list[str] = []

    def _count(connection, cursor, statement, *args) -> None:
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            sent.append(statement.split()[0])

    event.listen(rt.engine, "before_cursor_execute", _count)
    try:
        yield sent
    finally:
        event.remove(rt.engine, "before_cursor_execute", _count)


def test_a_claim_is_ten_statements_nine_on_postgresql(demo_rt):
    identity = sign_in(demo_rt, SITI)
    form, contact = draft(demo_rt, SITI, "biaya_medis", "1.500.000"), contact_of(demo_rt, SITI)
    with counted(demo_rt) as sent:
        submit_claim(demo_rt, identity, form, contact, SITI.secret, "key-1")
    # the context read; the attempt counted; in the claim's transaction the context locked, the
    # attempt settled (SQLite: two statements; PostgreSQL: one, a WITH), the claim inserted with
    # its reference (WITH: its id taken first), the amount reserved, the stage, the notification
    # and the audit rows
    settled = ["UPDATE", "DELETE"] if demo_rt.engine.dialect.name == "sqlite" else ["WITH"]
    assert sent == ["SELECT", "INSERT", "SELECT", *settled, "WITH", "UPDATE", "INSERT", "INSERT", "INSERT"]


def test_a_login_is_seven_statements_six_on_postgresql(demo_rt):
    with counted(demo_rt) as sent:
        assert auth.login(demo_rt, SITI.nib, SITI.secret).ok
    # the attempt counted; the credentials read; in one transaction read again, the attempt
    # settled (SQLite: two statements; PostgreSQL: one), the login time stored and the audit row
    settled = ["UPDATE", "DELETE"] if demo_rt.engine.dialect.name == "sqlite" else ["WITH"]
    assert sent == ["INSERT", "SELECT", "SELECT", *settled, "UPDATE", "INSERT"]


def test_a_claim_checks_out_one_connection(demo_rt):
    identity = sign_in(demo_rt, SITI)
    form, contact = draft(demo_rt, SITI, "biaya_medis", "1.500.000"), contact_of(demo_rt, SITI)
    checkouts: list[int] = []
    begun: list[str] = []

    def _checkout(*args) -> None:
        checkouts.append(1)

    def _begin(connection, cursor, statement, *args) -> None:
        if statement.startswith("BEGIN"):
            begun.append(statement)

    event.listen(demo_rt.engine, "checkout", _checkout)
    event.listen(demo_rt.engine, "before_cursor_execute", _begin)
    try:
        receipt = submit_claim(demo_rt, identity, form, contact, SITI.secret, "key-1")
    finally:
        event.remove(demo_rt.engine, "checkout", _checkout)
        event.remove(demo_rt.engine, "before_cursor_execute", _begin)
    assert receipt.reference.startswith("KIDB-")
    if demo_rt.engine.dialect.name == "sqlite":
        # the context read, then the attempt's and the claim's write transactions, on one connection
        assert (len(checkouts), begun) == (1, ["BEGIN", "BEGIN IMMEDIATE", "BEGIN IMMEDIATE"])
    else:
        # the context read in autocommit, then the two write transactions, on one connection
        assert len(checkouts) == 1


def test_a_held_connection_writes_in_a_transaction_after_a_read_and_leaves_out_of_autocommit(demo_rt):
    """One connection for a read and then a write (`Runtime.one_connection`): the write after
    the read is still one transaction (a failure undoes all of it), and the connection goes back
    to the pool as it came (PostgreSQL: out of the autocommit its reads ran in)."""
    before = demo_rt.engine.pool.checkedout()
    with demo_rt.one_connection():
        with demo_rt.query() as connection:
            assert connection.execute(text("SELECT count(*) FROM bank WHERE code = 'XYZ'")).scalar() == 0
        with pytest.raises(RuntimeError), demo_rt.transaction() as connection:
            connection.execute(text("INSERT INTO bank (code, name, account_length) VALUES ('XYZ', 'Bank XYZ', 10)"))
            raise RuntimeError("undo")
        with demo_rt.query() as connection:
            assert connection.execute(text("SELECT count(*) FROM bank WHERE code = 'XYZ'")).scalar() == 0
    assert demo_rt.engine.pool.checkedout() == before
    with demo_rt.engine.connect() as connection:
        dbapi_connection = connection.connection.dbapi_connection
        assert getattr(dbapi_connection, "autocommit", False) is False


def test_a_claims_statements_reuse_one_cursor_on_postgresql(demo_rt):
    """psycopg's cursors cost about 10 µs to make: a claim's prepared statements run on the one
    cursor kept for their connection (SQLite's cost nothing and stay one per statement)."""
    identity = sign_in(demo_rt, SITI)
    form, contact = draft(demo_rt, SITI, "biaya_medis", "1.500.000"), contact_of(demo_rt, SITI)
    cursors: list[object] = []

    def _cursor(connection, cursor, statement, *args) -> None:
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            cursors.append(cursor)

    event.listen(demo_rt.engine, "before_cursor_execute", _cursor)
    try:
        submit_claim(demo_rt, identity, form, contact, SITI.secret, "key-1")
    finally:
        event.remove(demo_rt.engine, "before_cursor_execute", _cursor)
    assert len(cursors) == (10 if demo_rt.engine.dialect.name == "sqlite" else 9)
    if demo_rt.engine.dialect.name == "postgresql":
        assert len({id(cursor) for cursor in cursors}) == 1
        assert not cursors[0].closed


def test_a_prepared_statement_that_fails_leaves_the_next_one_working(demo_rt):
    """A driver error closes the cursor it happened on (SQLAlchemy's handling); the next prepared
    statement on that connection gets a working one, and the failed transaction wrote nothing."""
    bank = table(Bank)
    add_bank = Prepared(insert(bank))
    names = Prepared(select(bank.c.name).where(bank.c.code == bindparam("code")))
    with demo_rt.one_connection():
        with demo_rt.transaction() as connection:
            add_bank.run(connection, {"code": "XYZ", "name": "Bank XYZ", "account_length": 10})
        with pytest.raises(IntegrityError), demo_rt.transaction() as connection:
            add_bank.run(connection, {"code": "XY2", "name": "Bank XY2", "account_length": 10})
            add_bank.run(connection, {"code": "XYZ", "name": "Bank XYZ again", "account_length": 10})
        with demo_rt.query() as connection:
            assert [row.name for row in names.rows(connection, {"code": "XYZ"})] == ["Bank XYZ"]
            assert names.rows(connection, {"code": "XY2"}) == []


def test_a_claims_units_of_work_begin_and_end_on_the_driver(demo_rt):
    """A claim's three units of work (the context read, the attempt, the claim's transaction)
    begin and end on the DB-API connection: SQLAlchemy's Connection begins, commits and rolls
    back none of them (its begin and commit cost about 15 µs a unit), and the claim is there."""
    identity = sign_in(demo_rt, SITI)
    form, contact = draft(demo_rt, SITI, "biaya_medis", "1.500.000"), contact_of(demo_rt, SITI)
    ended: list[str] = []
    listeners = {name: (lambda connection, name=name: ended.append(name)) for name in ("begin", "commit", "rollback")}
    for name, listener in listeners.items():
        event.listen(demo_rt.engine, name, listener)
    try:
        receipt = submit_claim(demo_rt, identity, form, contact, SITI.secret, "key-1")
    finally:
        for name, listener in listeners.items():
            event.remove(demo_rt.engine, name, listener)
    assert ended == []
    assert receipt_for_key(demo_rt, identity, "key-1") == replace(receipt, contact_changed=())


def test_a_failed_statement_caught_inside_a_transaction_leaves_it_whole(demo_rt):
    """A driver error inside a unit of work begun on the driver does not end its transaction
    (SQLAlchemy's handling would roll back a connection it believes outside one): on SQLite the
    statements after it are still part of it, and a rollback undoes them all, before the error
    and after; PostgreSQL refuses them in the failed transaction."""
    bank = table(Bank)
    add_bank = Prepared(insert(bank))
    codes = Prepared(select(bank.c.code).where(bank.c.code >= bindparam("low"), bank.c.code <= bindparam("high"))
                     .order_by(bank.c.code))
    with demo_rt.one_connection():
        with demo_rt.transaction() as connection:
            add_bank.run(connection, {"code": "XY1", "name": "Bank XY1", "account_length": 10})
        with pytest.raises(RuntimeError), demo_rt.transaction() as connection:
            add_bank.run(connection, {"code": "XY2", "name": "Bank XY2", "account_length": 10})
            with pytest.raises(IntegrityError):
                add_bank.run(connection, {"code": "XY1", "name": "Bank XY1 again", "account_length": 10})
            if demo_rt.engine.dialect.name == "sqlite":
                add_bank.run(connection, {"code": "XY3", "name": "Bank XY3", "account_length": 10})
                connection.execute(text("UPDATE bank SET name = 'renamed' WHERE code = 'XY1'"))
            else:  # PostgreSQL refuses anything more in the failed transaction: it was not ended
                with pytest.raises(InternalError, match="current transaction is aborted"):
                    add_bank.run(connection, {"code": "XY3", "name": "Bank XY3", "account_length": 10})
            raise RuntimeError("undo")
        with demo_rt.query() as connection:
            assert [row.code for row in codes.rows(connection, {"low": "XY1", "high": "XY3"})] == ["XY1"]
            assert connection.execute(text("SELECT name FROM bank WHERE code = 'XY1'")).scalar() == "Bank XY1"
