"""`Runtime.transaction()`: a write transaction on a Core connection (the hot paths) keeps the
audit semantics of an ORM Session: its rows are inserted as it commits, and none of them when
it rolls back, not even into the next transaction on the same pooled connection."""

import pytest

from kidb_tui.models import AuditEvent
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
