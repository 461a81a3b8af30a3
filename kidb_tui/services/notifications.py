"""Participant notifications: created with the change that caused them, read at the kiosk and
sent through the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert
from sqlmodel import Session, col, select

from kidb_tui.clock import as_utc
from kidb_tui.db import Prepared, Unit, connection_of
from kidb_tui.errors import NotFound
from kidb_tui.models import Notification, Participant, stored_id, table
from kidb_tui.services import outbox
from kidb_tui.services.runtime import Runtime


@dataclass(frozen=True)
class NotificationView:
    id: int
    kind: str
    params: dict[str, object]
    created_at: datetime
    read: bool


_INSERT = Prepared(insert(table(Notification)))


def notify(session: Session, rt: Runtime, participant_id: int, kind: str, **params: object) -> None:
    """Insert a notification in the caller's transaction (one statement) for the kiosk inbox, and
    queue it in the outbox for delivery; `kind` names its `notif.<kind>.*` texts."""
    participant = session.get(Participant, participant_id)
    if participant is None:
        _insert(session, rt, participant_id, kind, params)
    else:
        notify_participant(session, rt, participant, kind, **params)


def notify_participant(unit: Unit, rt: Runtime, participant: outbox.Addressee, kind: str, **params: object) -> None:
    """`notify` when the caller holds the participant's current contact data (nothing read)."""
    _insert(unit, rt, stored_id(participant.id), kind, params)
    outbox.enqueue(unit, rt, participant, kind, **params)


def _insert(unit: Unit, rt: Runtime, participant_id: int, kind: str, params: dict[str, object]) -> None:
    _INSERT.run(connection_of(unit), {
        "participant_id": participant_id, "kind": kind, "params": dict(params), "created_at": rt.now(), "read_at": None,
    })


def _view(row: Notification) -> NotificationView:
    return NotificationView(stored_id(row.id), row.kind, dict(row.params), as_utc(row.created_at), row.read_at is not None)


def inbox(rt: Runtime, participant_id: int) -> list[NotificationView]:
    """Newest first."""
    with rt.read() as session:
        rows = session.exec(
            select(Notification)
            .where(Notification.participant_id == participant_id)
            .order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
        ).all()
        return [_view(row) for row in rows]


def unread_count(rt: Runtime, participant_id: int) -> int:
    with rt.read() as session:
        return session.exec(
            select(func.count())
            .select_from(Notification)
            .where(Notification.participant_id == participant_id, col(Notification.read_at).is_(None))
        ).one()


def open_notification(rt: Runtime, participant_id: int, notification_id: int) -> NotificationView:
    """Mark one of the participant's notifications read and return it."""
    with rt.write() as session:
        row = session.get(Notification, notification_id)
        if row is None or row.participant_id != participant_id:
            raise NotFound("notif.not_found")
        if row.read_at is None:
            row.read_at = rt.now()
            session.add(row)
        return _view(row)
