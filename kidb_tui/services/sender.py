"""Delivers the outbox. A sender claims a batch of due rows in one short transaction (`FOR
UPDATE SKIP LOCKED` on PostgreSQL, so senders on several servers take different rows; SQLite has
one writer at a time) by setting `claimed_by` and a lease, sends them with no transaction open,
then marks each sent, or failed with a back-off (base x 2^(tries-1), at most an hour), or dead
after `notify_max_attempts` tries or a refusal. A sender that dies between sending and marking
leaves its lease to expire; the row is sent again with the same Message-ID, which a
well-behaved server uses to drop the duplicate. Officers list dead letters and retry them."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import col, select

from kidb_tui.clock import as_utc
from kidb_tui.errors import DomainError, NotFound, SystemBusy
from kidb_tui.models import OutboxMessage, stored_id
from kidb_tui.services import audit
from kidb_tui.services.mail_render import render
from kidb_tui.services.officers import OfficerIdentity
from kidb_tui.services.outbox import CODE_KIND
from kidb_tui.services.runtime import Runtime
from kidb_tui.services.transports import Refused, Transport

log = logging.getLogger(__name__)

POLL_SECONDS = 5.0
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


def deliver(rt: Runtime, transports: dict[str, Transport], row: OutboxMessage, worker: str) -> str:
    """Send one claimed row and record the outcome: sent, pending (to retry) or dead."""
    try:
        transports[row.channel].send(row, render(row, rt.settings.timezone))
    except Refused as error:
        log.warning("outbox message %s refused: %s", row.id, error)
        return mark_failed(rt, row, worker, str(error), refused=True)
    except Exception as error:  # noqa: BLE001 - any other failure is worth another try
        log.warning("outbox message %s not sent: %s", row.id, type(error).__name__)
        return mark_failed(rt, row, worker, f"{type(error).__name__}: {error}")
    mark_sent(rt, row, worker)
    return "sent"


def run_once(rt: Runtime, transports: dict[str, Transport], worker: str | None = None) -> Outcome:
    """Deliver every row due now (batch after batch); what happened to them."""
    worker = worker or worker_name()
    counts = {"sent": 0, "pending": 0, "dead": 0}
    while transports:
        rows = claim(rt, worker, sorted(transports))
        if not rows:
            break
        for row in rows:
            counts[deliver(rt, transports, row, worker)] += 1
        if counts["pending"]:
            break
    return Outcome(counts["sent"], counts["pending"], counts["dead"])


async def send_every(
    rt: Runtime, transports: dict[str, Transport], seconds: float = POLL_SECONDS,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Deliver what is due, then again every `seconds`, until cancelled (the `kidb serve` task);
    the work runs in a thread, and a busy database is logged and tried again next time."""
    worker = worker_name()
    while True:
        try:
            outcome = await asyncio.to_thread(run_once, rt, transports, worker)
            if outcome != Outcome():
                log.info("outbox: %d sent, %d to retry, %d dead", outcome.sent, outcome.retried, outcome.dead)
        except SystemBusy as error:
            log.warning("outbox not delivered: %s", error)
        await sleep(seconds)


def run_until(rt: Runtime, transports: dict[str, Transport], stop: threading.Event,
              seconds: float = POLL_SECONDS) -> None:
    """The same as `send_every`, in a thread of its own until `stop` is set (the demo's sender)."""
    worker = worker_name()
    while not stop.is_set():
        try:
            run_once(rt, transports, worker)
        except SystemBusy as error:
            log.warning("outbox not delivered: %s", error)
        stop.wait(seconds)


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
