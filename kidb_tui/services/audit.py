"""Audit rows, written in the caller's transaction and signed with the audit key (no lock, no read
of the chain: a sealer chains them later, see services/audit_seal.py); verification of the chain.

The rows a transaction records (an ORM Session's or a Core connection's) are inserted together,
in one statement, as it commits.
Details must already be masked: no secret, and no full NIK or account number.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from sqlalchemy import Connection, event, insert
from sqlmodel import Session

from kidb_tui.audit_chain import ChainBreak, entry_mac, first_problem, keyed_digest, new_nonce
from kidb_tui.db import Prepared, Unit, at_transaction_end
from kidb_tui.models import AuditEvent, table
from kidb_tui.services.runtime import Runtime

__all__ = ["ChainBreak", "record", "verify_chain"]

_FORBIDDEN_DETAIL_KEYS = frozenset({"secret", "pin", "password", "nik", "account_number", "code"})
_INSERT = Prepared(insert(table(AuditEvent)))
_PENDING = "kidb.audit_rows"
_PENDING_ON_CONNECTION: WeakKeyDictionary[Connection, list[dict[str, object]]] = WeakKeyDictionary()


def _pending(unit: Unit) -> list[dict[str, object]]:
    """The rows waiting for the transaction's commit: in a Session's `info`; for a Core
    connection beside it (its `info` belongs to the pooled DBAPI connection, and reading it
    after the connection broke would try to reconnect)."""
    if isinstance(unit, Session):
        rows: list[dict[str, object]] = unit.info.setdefault(_PENDING, [])
        return rows
    return _PENDING_ON_CONNECTION.setdefault(unit, [])


def record(unit: Unit, rt: Runtime, actor: str, action: str, subject: str = "", **details: object) -> None:
    """Add one signed row to the transaction's audit rows (nothing read, nothing locked); raises
    AuditKeyMissing when the settings carry no audit key."""
    leaked = _FORBIDDEN_DETAIL_KEYS.intersection(details)
    if leaked:
        raise ValueError(f"unmasked fields in audit details: {sorted(leaked)}")
    digest = keyed_digest(rt.settings.audit_key)
    at, nonce, content = rt.now(), new_nonce(), dict(details)
    terminal_id, branch = rt.settings.terminal_id, rt.settings.branch
    _pending(unit).append({
        "at": at, "actor": actor, "action": action, "subject": subject, "details": content,
        "terminal_id": terminal_id, "branch": branch, "prev_hash": "", "row_hash": "", "nonce": nonce,
        "entry_mac": entry_mac(digest, nonce, at, actor, action, subject, content, terminal_id, branch),
    })


@event.listens_for(Session, "before_commit")
def _insert_pending(session: Session) -> None:
    """The transaction's audit rows, in one statement, just before it commits."""
    pending = session.info.pop(_PENDING, None)
    if pending:
        _INSERT.run_many(session.connection(), pending)


@at_transaction_end
def _insert_pending_on_connection(connection: Connection, committing: bool) -> None:
    """The same for a Core write transaction (`Runtime.transaction`): its rows are inserted as it
    commits, dropped as it rolls back."""
    pending = _PENDING_ON_CONNECTION.pop(connection, None)
    if committing and pending:
        _INSERT.run_many(connection, pending)


def verify_chain(rt: Runtime) -> ChainBreak | None:
    """Walk the sealed rows in chain order, then check every unsealed row's signature; None when
    every row holds.

    Rows are read as raw values so that a row edited into malformed content (a date or JSON
    that does not parse) is named like any other edited row instead of stopping the walk.
    """
    digest = keyed_digest(rt.settings.audit_key)
    with rt.read(snapshot=True) as session:
        return first_problem(session.connection(), digest)
