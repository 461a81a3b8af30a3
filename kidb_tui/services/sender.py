"""The outbox queue's side of delivery (kidb_tui/delivery/runner.py does the sending). A
sender claims a batch of due rows in one short transaction (`FOR UPDATE SKIP LOCKED` on
PostgreSQL, so senders on several servers take different rows; SQLite has one writer at a time)
by setting `claimed_by` and a lease, sends them with no transaction open, then marks each sent,
or failed with a back-off (base x 2^(tries-1), at most an hour), or dead after
`notify_max_attempts` tries or a refusal. A sender that dies between sending and marking leaves
its lease to expire; the row is sent again with the same Message-ID, which a well-behaved server
uses to drop the duplicate. Officers list dead letters and retry them."""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import col, select

from kidb_tui.clock import as_utc
from kidb_tui.errors import DomainError, NotFound
from kidb_tui.models import OutboxMessage, stored_id
from kidb_tui.services import audit
from kidb_tui.services.officers import OfficerIdentity
from kidb_tui.services.outbox import CODE_KIND
from kidb_tui.services.runtime import Runtime

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=1)
BATCH = 10
"""Rows claimed at once: at most BATCH x the transports' 20 s timeout (200 s) inside the lease."""


@dataclass(frozen=True)
class Outcome:
    sent: int = 0
    retried: int = 0
    dead: int = 0


@dataclass(frozen=True)
class DeadLetter:
    id: int
    channel: str
    recipient: str
    kind: str
    attempts: int
    last_error: str
    created_at: datetime


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def backoff(rt: Runtime, attempts: int) -> timedelta:
    return min(timedelta(seconds=rt.settings.notify_retry_seconds * 2 ** (attempts - 1)), MAX_BACKOFF)


def claim(rt: Runtime, worker: str, channels: list[str], limit: int = BATCH) -> list[OutboxMessage]:
    """Take up to `limit` due rows of `channels` for `worker` until the lease ends. A read
    first: with nothing due no write transaction is begun (SQLite's one writer stays free)."""
    now = rt.now()
    due = (select(OutboxMessage)
           .where(OutboxMessage.status == "pending", col(OutboxMessage.channel).in_(channels),
                  OutboxMessage.next_attempt_at <= now,
                  or_(col(OutboxMessage.claimed_until).is_(None), col(OutboxMessage.claimed_until) < now))
           .order_by(col(OutboxMessage.id)).limit(limit))
    with rt.read() as session:
        if session.scalars(due.with_only_columns(col(OutboxMessage.id))).first() is None:
            return []
    with rt.write() as session:
        rows = session.exec(due.with_for_update(skip_locked=True)).all()
        for row in rows:
            row.claimed_by, row.claimed_until = worker, now + LEASE
            session.add(row)
        return list(rows)


def _finish(rt: Runtime, row: OutboxMessage, worker: str, **values: object) -> bool:
    """Write `values` to the row while `worker` still holds it; whether it did."""
    with rt.write() as session:
        result = session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == row.id, col(OutboxMessage.claimed_by) == worker,
                   col(OutboxMessage.status) == "pending")
            .values(claimed_by="", claimed_until=None, **values)
        )
        return bool(result.rowcount)


def _without_code(row: OutboxMessage) -> dict[str, object]:
    """The parameters to keep once a code message is done with: the code goes."""
    return {name: value for name, value in row.params.items() if name != "code"}


def mark_sent(rt: Runtime, row: OutboxMessage, worker: str) -> bool:
    return _finish(rt, row, worker, status="sent", sent_at=rt.now(), attempts=row.attempts + 1,
                   params=_without_code(row), last_error="")


def mark_failed(rt: Runtime, row: OutboxMessage, worker: str, error: str, refused: bool = False) -> str:
    """Retry later, or a dead letter after the last try or a refusal; the new status."""
    attempts = row.attempts + 1
    dead = refused or attempts >= rt.settings.notify_max_attempts
    values: dict[str, object] = {"attempts": attempts, "last_error": error[:300]}
    if dead:
        values.update(status="dead", params=_without_code(row))
    else:
        values["next_attempt_at"] = rt.now() + backoff(rt, attempts)
    _finish(rt, row, worker, **values)
    return "dead" if dead else "pending"


def dead_letters(rt: Runtime, limit: int = 100) -> list[DeadLetter]:
    """The dead letters, newest first (recipient and error only: no message text)."""
    with rt.read() as session:
        rows = session.exec(
            select(OutboxMessage).where(OutboxMessage.status == "dead").order_by(col(OutboxMessage.id).desc()).limit(limit)
        ).all()
        return [DeadLetter(stored_id(r.id), r.channel, r.recipient, r.kind, r.attempts, r.last_error, as_utc(r.created_at))
                for r in rows]


def retry(rt: Runtime, officer: OfficerIdentity, message_id: int) -> None:
    """Put a dead letter back in the queue, due now, with its tries counted afresh; not a code
    message (its code is gone: the participant asks for a new one)."""
    with rt.write() as session:
        row = session.get(OutboxMessage, message_id)
        if row is None or row.status != "dead":
            raise NotFound("outbox.not_found")
        if row.kind == CODE_KIND:
            raise DomainError("outbox.code_not_resent")
        row.status, row.attempts, row.next_attempt_at = "pending", 0, rt.now()
        session.add(row)
        audit.record(session, rt, officer.username, "outbox.retried", str(row.id), channel=row.channel, kind=row.kind)
