"""Proving an email address is the participant's: a 6-digit code sent to it (through the
outbox), typed back at the kiosk. Codes are stored as an HMAC keyed with the pepper, expire
after 10 minutes, allow 5 attempts, and a new one can be asked for after 60 seconds; a new code
ends the earlier ones. Without a mail server nothing is sent and the address stays unverified
(the requirement then falls back to a well-formed address)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, col, select

from kidb_tui.clock import as_utc
from kidb_tui.db import Unit, connection_of
from kidb_tui.errors import AuthError, DomainError, NotFound
from kidb_tui.masked import SecretStr, masked, reveal
from kidb_tui.models import EmailCode, Participant, stored_id, table
from kidb_tui.services import audit, outbox
from kidb_tui.services.runtime import Runtime

CODE_DIGITS = 6
VALID_MINUTES = 10
MAX_ATTEMPTS = 5
RESEND_SECONDS = 60


@dataclass(frozen=True)
class EmailStatus:
    """What the kiosk shows about the address on record."""

    email: str
    verified: bool
    mail_configured: bool
    code_pending: bool


def _hash(rt: Runtime, code_id_salt: str, code: str) -> str:
    key = rt.settings.pepper.get_secret_value()
    return hmac.new(key, f"{code_id_salt}:{code}".encode(), hashlib.sha256).hexdigest()


def _live(session: Session, rt: Runtime, participant_id: int) -> EmailCode | None:
    row = session.exec(
        select(EmailCode).where(EmailCode.participant_id == participant_id, col(EmailCode.used_at).is_(None))
        .order_by(col(EmailCode.id).desc())
    ).first()
    return row if row is not None and as_utc(row.expires_at) > rt.now() else None


class Holder(outbox.Addressee, Protocol):
    """The participant's columns a code needs: a Participant, or the values just written."""

    @property
    def nib(self) -> str: ...


_CODES = table(EmailCode)
_END_CODES = update(_CODES).where(_CODES.c.participant_id == bindparam("b_participant"),
                                  _CODES.c.used_at.is_(None)).values(used_at=bindparam("b_now"))
_INSERT_CODE = insert(_CODES)


def issue_code(unit: Unit, rt: Runtime, participant: Holder) -> None:
    """In the caller's transaction: end earlier codes and queue a new one to the address on
    record. Nothing happens without a mail server or an address."""
    if not rt.settings.mail_configured or not participant.email:
        return
    connection = connection_of(unit)
    connection.execute(_END_CODES, {"b_participant": participant.id, "b_now": rt.now()})
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    salt = participant.email
    connection.execute(_INSERT_CODE, {
        "participant_id": stored_id(participant.id), "email": participant.email, "code_hash": _hash(rt, salt, code),
        "attempts": 0, "created_at": rt.now(), "expires_at": rt.now() + timedelta(minutes=VALID_MINUTES), "used_at": None,
    })
    outbox.add(unit, rt, participant, "email", participant.email, outbox.CODE_KIND,
               code=code, minutes=VALID_MINUTES)
    audit.record(unit, rt, participant.nib, "verify.code_sent", participant.nib)


def send_code(rt: Runtime, participant_id: int, language: str | None = None) -> None:
    """A code to the address on record, at most one a minute; `language` (the kiosk's) is
    remembered as the participant's for every later message."""
    if not rt.settings.mail_configured:
        raise DomainError("verify.no_mail")
    with rt.write() as session:
        participant = session.get(Participant, participant_id)
        if participant is None:
            raise NotFound("profile.not_found")
        if not participant.email:
            raise DomainError("verify.no_email")
        latest = session.exec(
            select(EmailCode).where(EmailCode.participant_id == participant_id).order_by(col(EmailCode.id).desc())
        ).first()
        if latest is not None:
            ready = as_utc(latest.created_at) + timedelta(seconds=RESEND_SECONDS)
            if ready > rt.now():
                raise DomainError("verify.resend_wait", seconds=int((ready - rt.now()).total_seconds()) + 1)
        if language in ("id", "en"):
            participant.language = language
            session.add(participant)
        issue_code(session, rt, participant)


def verify(rt: Runtime, participant_id: int, code: str | SecretStr) -> None:
    """Mark the address verified with the live code sent to it; each wrong code counts, the
    fifth ends the code (AuthError names what to do)."""
    typed = reveal(masked(code)).strip().replace(" ", "")
    with rt.write() as session:
        participant = session.get(Participant, participant_id)
        if participant is None:
            raise NotFound("profile.not_found")
        row = _live(session, rt, participant_id)
        if row is None or row.email != participant.email:
            raise AuthError("verify.no_live_code", minutes=VALID_MINUTES)
        if not hmac.compare_digest(row.code_hash, _hash(rt, row.email, typed)):
            row.attempts += 1
            left = MAX_ATTEMPTS - row.attempts
            if left <= 0:
                row.used_at = rt.now()
            session.add(row)
            audit.record(session, rt, participant.nib, "verify.code_wrong", participant.nib, attempts=row.attempts)
            raise_after = AuthError("verify.too_many_attempts") if left <= 0 else AuthError("verify.wrong_code", left=left)
        else:
            row.used_at = rt.now()
            participant.email_verified_at = rt.now()
            session.add_all([row, participant])
            audit.record(session, rt, participant.nib, "verify.email_verified", participant.nib)
            return
    raise raise_after


def status(rt: Runtime, participant_id: int) -> EmailStatus:
    with rt.read() as session:
        participant = session.get(Participant, participant_id)
        if participant is None:
            raise NotFound("profile.not_found")
        return EmailStatus(
            participant.email, is_verified(participant), rt.settings.mail_configured,
            _live(session, rt, participant_id) is not None,
        )


class Verifiable(Protocol):
    """The participant's columns that say whether their email is verified."""

    email: str
    email_verified_at: datetime | None


def is_verified(participant: Verifiable) -> bool:
    return participant.email_verified_at is not None and bool(participant.email)
