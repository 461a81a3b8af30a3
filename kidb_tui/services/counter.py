"""Help at the counter: unlock a locked account after seeing the KTP, block or unblock a card."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import select

from kidb_tui import validation
from kidb_tui.errors import FormErrors, NotFound, ValidationError
from kidb_tui.models import KioskAccount, LoginThrottle, Participant
from kidb_tui.services import audit, notifications
from kidb_tui.services.auth import is_locked
from kidb_tui.services.masking import mask_tail
from kidb_tui.services.officers import OfficerIdentity
from kidb_tui.services.runtime import Runtime

MAX_REASON = 300


@dataclass(frozen=True)
class ParticipantCard:
    """What the officer checks against the KTP before acting: masked identity and account state."""

    nib: str
    full_name: str
    nik_masked: str
    birth_date: date
    card_status: str
    has_account: bool
    locked: bool


def lookup(rt: Runtime, nib_text: str) -> ParticipantCard:
    nib = validation.nib(nib_text)
    with rt.read() as session:
        participant = session.exec(select(Participant).where(Participant.nib == nib)).first()
        if participant is None:
            raise NotFound("counter.participant_not_found")
        account = session.exec(select(KioskAccount).where(KioskAccount.participant_id == participant.id)).first()
        locked = any(is_locked(rt, session, key) for key in (nib, f"act:{nib}", f"reset:{nib}"))
        return ParticipantCard(
            nib, participant.full_name, mask_tail(participant.nik), participant.birth_date,
            participant.card_status, account is not None, locked,
        )


def unlock_account(rt: Runtime, officer: OfficerIdentity, nib_text: str, ktp_seen: bool) -> bool:
    """Clear the failed-login lock of an NIB; the officer confirms they saw the KTP."""
    nib = validation.nib(nib_text)
    if not ktp_seen:
        raise FormErrors([ValidationError("ktp_seen", "ktp_not_seen")])
    with rt.write() as session:
        if session.exec(select(Participant).where(Participant.nib == nib)).first() is None:
            raise NotFound("counter.participant_not_found")
        cleared = False
        for key in (nib, f"act:{nib}", f"reset:{nib}"):
            row = session.get(LoginThrottle, key)
            if row is not None:
                session.delete(row)
                cleared = True
        audit.record(session, rt, officer.username, "counter.unlocked", nib, ktp_seen=True, had_lock=cleared)
        return cleared


def set_card_status(rt: Runtime, officer: OfficerIdentity, nib_text: str, blocked: bool, reason: str) -> None:
    """Block or unblock a participant's card, with the reason recorded and sent to them."""
    nib = validation.nib(nib_text)
    text = validation.clean_text(reason, "reason", MAX_REASON)
    with rt.write() as session:
        participant = session.exec(select(Participant).where(Participant.nib == nib)).first()
        if participant is None:
            raise NotFound("counter.participant_not_found")
        before = participant.card_status
        participant.card_status = "blocked" if blocked else "active"
        participant.updated_at = rt.now()
        session.add(participant)
        kind = "card_blocked" if blocked else "card_unblocked"
        notifications.notify(session, rt, participant.id, kind, reason=text)
        audit.record(session, rt, officer.username, f"counter.{kind}", nib, before=before, after=participant.card_status, reason=text)
