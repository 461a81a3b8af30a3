"""Audit rows, written in the caller's transaction and chained by hash; verification of the chain.

Details must already be masked: no secret, and no full NIK or account number.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session, col, select

from kidb_tui.audit_chain import GENESIS, parse_at, parse_details, row_hash
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


def _expected_hash(row, prev_hash: str) -> str | None:
    """The hash a row should carry, or None when its stored content cannot even be parsed."""
    try:
        return row_hash(
            row.id, parse_at(row.at), row.actor, row.action, row.subject, parse_details(row.details),
            row.terminal_id, row.branch, prev_hash,
        )
    except (TypeError, ValueError):
        return None


def verify_chain(rt: Runtime) -> ChainBreak | None:
    """Walk the audit log in id order; None when every row matches.

    Rows are read as raw values so that a row edited into malformed content (a date or JSON
    that does not parse) is named like any other edited row instead of stopping the walk.
    """
    previous = GENESIS
    with rt.read() as session:
        rows = session.execute(text(
            "SELECT id, at, actor, action, subject, details, terminal_id, branch, prev_hash, row_hash"
            " FROM audit_event ORDER BY id"
        ))
        for row in rows:
            if row.prev_hash != previous:
                return ChainBreak(row.id, "does not follow the row before it (a row was deleted or inserted)")
            if row.row_hash != _expected_hash(row, previous):
                return ChainBreak(row.id, "content does not match its hash (the row was edited)")
            previous = row.row_hash
    return None
