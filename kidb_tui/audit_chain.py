"""The audit log's hash chain: each row's SHA-256 covers its canonical content and the previous
row's hash, so an edited, deleted or inserted row breaks the chain from that point on."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import Connection, text

from kidb_tui.clock import as_utc

GENESIS = "0" * 64


def row_hash(
    row_id: int, at: datetime, actor: str, action: str, subject: str, details: dict,
    terminal_id: str, branch: str, prev_hash: str,
) -> str:
    canonical = json.dumps(
        [row_id, as_utc(at).isoformat(), actor, action, subject, details, terminal_id, branch, prev_hash],
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_at(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def parse_details(value) -> dict:
    return value if isinstance(value, dict) else json.loads(value or "{}")


def rechain_audit_rows(connection: Connection) -> None:
    """Compute the chain over rows written before it existed (used by the migration)."""
    rows = connection.execute(
        text("SELECT id, at, actor, action, subject, details, terminal_id, branch FROM audit_event ORDER BY id")
    ).all()
    previous = GENESIS
    for row in rows:
        current = row_hash(
            row.id, parse_at(row.at), row.actor, row.action, row.subject, parse_details(row.details),
            row.terminal_id, row.branch, previous,
        )
        connection.execute(
            text("UPDATE audit_event SET prev_hash = :prev, row_hash = :hash WHERE id = :id"),
            {"prev": previous, "hash": current, "id": row.id},
        )
        previous = current
