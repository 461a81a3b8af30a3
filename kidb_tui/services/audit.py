"""Audit rows, written in the caller's transaction. Details must already be masked."""

from __future__ import annotations

from sqlmodel import Session

from kidb_tui.models import AuditEvent
from kidb_tui.services.runtime import Runtime

_FORBIDDEN_DETAIL_KEYS = frozenset({"secret", "pin", "password", "nik", "account_number"})


def record(session: Session, rt: Runtime, actor: str, action: str, subject: str = "", **details: object) -> None:
    leaked = _FORBIDDEN_DETAIL_KEYS.intersection(details)
    if leaked:
        raise ValueError(f"unmasked fields in audit details: {sorted(leaked)}")
    session.add(
        AuditEvent(
            at=rt.now(),
            actor=actor,
            action=action,
            subject=subject,
            details=dict(details),
            terminal_id=rt.settings.terminal_id,
            branch=rt.settings.branch,
        )
    )
