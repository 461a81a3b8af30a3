"""Audit rows, written in the caller's transaction and chained by hash; verification of the chain.

Details must already be masked: no secret, and no full NIK or account number.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session, col, select

from kidb_tui.audit_chain import GENESIS, row_hash
from kidb_tui.models import AuditEvent
from kidb_tui.services.runtime import Runtime

_FORBIDDEN_DETAIL_KEYS = frozenset({"secret", "pin", "password", "nik", "account_number", "code"})
_PG_AUDIT_LOCK = 0x4B494441


def record(session: Session, rt: Runtime, actor: str, action: str, subject: str = "", **details: object) -> None:
    leaked = _FORBIDDEN_DETAIL_KEYS.intersection(details)
    if leaked:
        raise ValueError(f"unmasked fields in audit details: {sorted(leaked)}")
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
    event.row_hash = _hash_of(event, event.prev_hash)
    session.add(event)


def _hash_of(event: AuditEvent, prev_hash: str) -> str:
    return row_hash(
        event.id, event.at, event.actor, event.action, event.subject, dict(event.details),
        event.terminal_id, event.branch, prev_hash,
    )


@dataclass(frozen=True)
class ChainBreak:
    """The first row where the chain does not hold, and how."""

    row_id: int
    problem: str

    def __str__(self) -> str:
        return f"audit row {self.row_id}: {self.problem}"


def verify_chain(rt: Runtime) -> ChainBreak | None:
    """Walk the audit log in id order; None when every row matches."""
    previous = GENESIS
    with rt.read() as session:
        for event in session.exec(select(AuditEvent).order_by(col(AuditEvent.id))):
            if event.prev_hash != previous:
                return ChainBreak(event.id, "does not follow the row before it (a row was deleted or inserted)")
            if event.row_hash != _hash_of(event, previous):
                return ChainBreak(event.id, "content does not match its hash (the row was edited)")
            previous = event.row_hash
    return None
