"""Help at the counter: unlock a locked account after seeing the KTP, block or unblock a card,
see the terminals that wait after too many failed attempts and end such a wait."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import col, select

from kidb_tui import validation
from kidb_tui.clock import as_utc
from kidb_tui.errors import FormErrors, NotFound, ValidationError
from kidb_tui.models import KioskAccount, LoginThrottle, Participant, stored_id
from kidb_tui.services import audit, notifications, throttle
from kidb_tui.services.masking import mask_tail
from kidb_tui.services.officers import OfficerIdentity
from kidb_tui.services.runtime import Runtime
from kidb_tui.services.throttle import TERMINAL_PREFIX, is_locked

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


@dataclass(frozen=True)
class WaitingTerminal:
    """A terminal made to wait after repeated failed attempts (`terminal_id` "-": the local console)."""

    terminal_id: str
    failures: int
    until: datetime


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
            cleared = throttle.clear(session, key) or cleared
        audit.record(session, rt, officer.username, "counter.unlocked", nib, ktp_seen=True, had_lock=cleared)
        return cleared


def full_nik(rt: Runtime, officer: OfficerIdentity, nib_text: str, ktp_seen: bool) -> str:
    """The whole NIK, to compare digit by digit with the KTP in the officer's hand: only once
    they tick "KTP seen", and audited (the screen masks it everywhere else)."""
    nib = validation.nib(nib_text)
    if not ktp_seen:
        raise FormErrors([ValidationError("ktp_seen", "ktp_not_seen")])
    with rt.write() as session:
        participant = session.exec(select(Participant).where(Participant.nib == nib)).first()
        if participant is None:
            raise NotFound("counter.participant_not_found")
        audit.record(session, rt, officer.username, "counter.nik_shown", nib, ktp_seen=True)
        return participant.nik


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
        notifications.notify(session, rt, stored_id(participant.id), kind, reason=text)
        audit.record(session, rt, officer.username, f"counter.{kind}", nib,
                     before=before, after=participant.card_status, reason=text)


def waiting_terminals(rt: Runtime) -> list[WaitingTerminal]:
    """The terminals waiting now, the longest wait first."""
    with rt.read() as session:
        rows = session.exec(
            select(LoginThrottle).where(col(LoginThrottle.key).startswith(TERMINAL_PREFIX))
        ).all()
    waiting = [
        WaitingTerminal(row.key.removeprefix(TERMINAL_PREFIX), row.failures, as_utc(row.locked_until))
        for row in rows
        if row.locked_until and as_utc(row.locked_until) > rt.now()
    ]
    return sorted(waiting, key=lambda terminal: (-terminal.until.timestamp(), terminal.terminal_id))


def end_terminal_wait(rt: Runtime, officer: OfficerIdentity, terminal_id: str) -> bool:
    """Forget a terminal's failures and end its wait; whether it had any."""
    key = TERMINAL_PREFIX + terminal_id
    with rt.write() as session:
        cleared = throttle.clear(session, key)
        audit.record(session, rt, officer.username, "counter.terminal_cleared", key, had_wait=cleared)
        return cleared
