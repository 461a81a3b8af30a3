"""The outbox: messages to send, written in the transaction of the change they report, so a
rolled-back change sends nothing and a committed one is never lost. A sender
(services/sender.py) delivers them later, outside any kiosk transaction.

One row per channel and recipient: `email` when mail is configured and the participant has an
address, `webhook` (an SMS/WhatsApp gateway) when a webhook is configured and they have a phone.
Rows keep the kind and parameters; the text is rendered in the participant's language when sent."""

from __future__ import annotations

import uuid
from typing import Protocol

from sqlalchemy import insert

from kidb_tui.db import Unit, connection_of
from kidb_tui.models import OutboxMessage, table
from kidb_tui.services.runtime import Runtime

CODE_KIND = "email_code"
SECRET_PARAMS = frozenset({"code", "pin", "password", "secret"})


def _message_id(rt: Runtime) -> str:
    domain = rt.settings.mail_from.rpartition("@")[2] or "kidb.invalid"
    return f"<{uuid.uuid4().hex}@{domain}>"


def _checked(kind: str, params: dict[str, object]) -> dict[str, object]:
    """Only the code message may carry a secret; an account number never leaves unmasked."""
    leaked = SECRET_PARAMS.intersection(params) - ({"code"} if kind == CODE_KIND else set())
    if leaked:
        raise ValueError(f"outbox message {kind} must not carry {sorted(leaked)}")
    return {name: f"****{str(value)[-4:]}" if name == "account_number" else value for name, value in params.items()}


class Addressee(Protocol):
    """The participant's columns a message needs: a Participant, or the values just written."""

    @property
    def id(self) -> int | None: ...
    @property
    def language(self) -> str: ...
    @property
    def email(self) -> str: ...
    @property
    def phone(self) -> str: ...


_INSERT = insert(table(OutboxMessage))


def add(unit: Unit, rt: Runtime, participant: Addressee, channel: str, recipient: str, kind: str,
        **params: object) -> OutboxMessage:
    """One message to `recipient` in the caller's transaction (one statement); returns its values."""
    row = OutboxMessage(
        participant_id=participant.id, channel=channel, recipient=recipient, language=participant.language or "id",
        kind=kind, params=_checked(kind, dict(params)), message_id=_message_id(rt),
        next_attempt_at=rt.now(), created_at=rt.now(),
    )
    connection_of(unit).execute(_INSERT, row.model_dump(exclude={"id"}))
    return row


def enqueue(unit: Unit, rt: Runtime, participant: Addressee, kind: str, **params: object) -> None:
    """The participant's message on every configured channel they can be reached on."""
    if rt.settings.mail_configured and participant.email:
        add(unit, rt, participant, "email", participant.email, kind, **params)
    if rt.settings.webhook_url and participant.phone:
        add(unit, rt, participant, "webhook", participant.phone, kind, **params)
