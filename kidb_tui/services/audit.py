"""Audit rows, written in the caller's transaction and chained by HMAC with the audit key;
verification of the chain.

Details must already be masked: no secret, and no full NIK or account number.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session, col, select

from kidb_tui.audit_chain import GENESIS, ChainBreak, first_break, keyed_digest, row_hash
from kidb_tui.models import AuditEvent, stored_id
from kidb_tui.services.runtime import Runtime

__all__ = ["ChainBreak", "record", "verify_chain"]

_FORBIDDEN_DETAIL_KEYS = frozenset({"secret", "pin", "password", "nik", "account_number", "code"})
_PG_AUDIT_LOCK = 0x4B494441


def record(session: Session, rt: Runtime, actor: str, action: str, subject: str = "", **details: object) -> None:
    """Append one row; raises AuditKeyMissing when the settings carry no audit key."""
    leaked = _FORBIDDEN_DETAIL_KEYS.intersection(details)
    if leaked:
        raise ValueError(f"unmasked fields in audit details: {sorted(leaked)}")
    digest = keyed_digest(rt.settings.audit_key)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_AUDIT_LOCK})
    session.flush()
    previous = session.exec(select(AuditEvent.row_hash).order_by(col(AuditEvent.id).desc()).limit(1)).first()
    event = AuditEvent(
        at=rt.now(), actor=actor, action=action, subject=subject, details=dict(details),
        terminal_id=rt.settings.terminal_id, branch=rt.settings.branch, prev_hash=previous or GENESIS,
    )
    session.add(event)
    session.flush()
    event.row_hash = row_hash(
        digest, stored_id(event.id), event.at, event.actor, event.action, event.subject, dict(event.details),
        event.terminal_id, event.branch, event.prev_hash,
    )
    session.add(event)


def verify_chain(rt: Runtime) -> ChainBreak | None:
    """Walk the audit log in id order; None when every row matches.

    Rows are read as raw values so that a row edited into malformed content (a date or JSON
    that does not parse) is named like any other edited row instead of stopping the walk.
    """
    digest = keyed_digest(rt.settings.audit_key)
    with rt.read() as session:
        return first_break(session.connection(), digest)
