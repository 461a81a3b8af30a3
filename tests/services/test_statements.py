"""The statements a claim and a login send to the database (counted at the driver, BEGIN, COMMIT
and ROLLBACK left out): the round trips bench/throughput.py sets beside the raw driver's 11 per
claim. A PIN attempt that only counts is one statement (services/throttle.py)."""

from contextlib import contextmanager

import pytest
from sqlalchemy import event, text

from kidb_tui.services import auth
from kidb_tui.services.claims import submit_claim
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


def test_a_claim_is_eleven_statements(demo_rt):
    identity = sign_in(demo_rt, SITI)
    form, contact = draft(demo_rt, SITI, "biaya_medis", "1.500.000"), contact_of(demo_rt, SITI)
    with counted(demo_rt) as sent:
        submit_claim(demo_rt, identity, form, contact, SITI.secret, "key-1")
    # the context read; the attempt counted; in the claim's transaction the context locked, the
    # attempt settled (two), the claim inserted and its reference set, the amount reserved, the
    # stage, the notification and the audit rows
    assert sent == ["SELECT", "INSERT", "SELECT", "UPDATE", "DELETE", "INSERT", "UPDATE", "UPDATE", "INSERT",
                    "INSERT", "INSERT"]


def test_a_login_is_seven_statements(demo_rt):
    with counted(demo_rt) as sent:
        assert auth.login(demo_rt, SITI.nib, SITI.secret).ok
    # the attempt counted; the credentials read; in one transaction read again, the attempt
    # settled (two), the login time stored and the audit row
    assert sent == ["INSERT", "SELECT", "SELECT", "UPDATE", "DELETE", "UPDATE", "INSERT"]


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
