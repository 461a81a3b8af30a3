"""One-time reset codes: an officer issues one (shown once, valid 15 minutes, stored hashed);
the participant redeems it at the kiosk to choose a new PIN. The officer never sees the PIN.
Wrong codes are counted under `reset:NIB` before the code is checked; a blocked card is refused
once the code is proven, as at login."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta

from sqlmodel import Session, col, select

from kidb_tui import validation
from kidb_tui.clock import as_utc
from kidb_tui.errors import AuthError, FormErrors, NotFound, ValidationError
from kidb_tui.masked import SecretStr, masked, reveal
from kidb_tui.models import KioskAccount, Participant, ResetCode, stored_id
from kidb_tui.services import audit, notifications, throttle
from kidb_tui.services.auth import Identity, check_new_secret, refused_after_proof, terminal_wait
from kidb_tui.services.officers import OfficerIdentity
from kidb_tui.services.runtime import Runtime

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
VALID_MINUTES = 15


def _participant(session: Session, nib: str) -> Participant:
    row = session.exec(select(Participant).where(Participant.nib == nib)).first()
    if row is None:
        raise NotFound("counter.participant_not_found")
    return row


def issue(rt: Runtime, officer: OfficerIdentity, nib_text: str, ktp_seen: bool = False) -> str:
    """A fresh code for the participant's account; earlier unused codes stop working. Like an
    unlock, only once the officer confirms they saw the participant's KTP."""
    nib = validation.nib(nib_text)
    if not ktp_seen:
        raise FormErrors([ValidationError("ktp_seen", "ktp_not_seen")])
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    code_hash = rt.hasher.hash(code)
    with rt.write() as session:
        participant = _participant(session, nib)
        if session.exec(select(KioskAccount).where(KioskAccount.participant_id == participant.id)).first() is None:
            raise NotFound("counter.no_account")
        for old in session.exec(
            select(ResetCode).where(ResetCode.participant_id == participant.id, col(ResetCode.used_at).is_(None))
        ):
            old.used_at = rt.now()
            session.add(old)
        session.add(
            ResetCode(
                participant_id=stored_id(participant.id), code_hash=code_hash, issued_by=officer.username,
                created_at=rt.now(), expires_at=rt.now() + timedelta(minutes=VALID_MINUTES),
            )
        )
        audit.record(session, rt, officer.username, "counter.reset_code_issued", nib, ktp_seen=True,
                     valid_minutes=VALID_MINUTES)
        notifications.notify(session, rt, stored_id(participant.id), "reset_code_issued", minutes=VALID_MINUTES)
    return code


def redeem(
    rt: Runtime, nib_text: str, code: str | SecretStr, kind: str, secret: str | SecretStr, confirmation: str | SecretStr
) -> Identity:
    """Set a new secret with a valid, unused, unexpired code; failures count towards a lock."""
    code = masked(reveal(code).strip().upper().replace("-", "").replace(" ", ""))
    secret, confirmation = masked(secret), masked(confirmation)
    nib = validation.nib(nib_text)
    attempt = throttle.reserve(rt, f"reset:{nib}")
    if attempt.waiting:
        raise terminal_wait(attempt)
    with rt.read() as session:
        participant = session.exec(select(Participant).where(Participant.nib == nib)).first()
        candidates: Sequence[ResetCode] = ()
        if participant is not None:
            candidates = session.exec(
                select(ResetCode).where(ResetCode.participant_id == participant.id, col(ResetCode.used_at).is_(None))
            ).all()
    live = [c for c in candidates if as_utc(c.expires_at) > rt.now()] if attempt.may_check else []
    match = next((c for c in live if rt.hasher.verify(c.code_hash, code)), None)
    if match is None or participant is None:
        if not live:
            rt.hasher.verify_dummy(code)
        throttle.failed(rt, attempt, "auth.reset_failed")
        if attempt.wait_minutes:
            raise terminal_wait(attempt)
        raise AuthError("reset.invalid_code", minutes=VALID_MINUTES)
    with rt.write() as session:
        throttle.succeeded(session, rt, attempt)
        proven = session.get(Participant, participant.id)
        account = session.exec(select(KioskAccount).where(KioskAccount.participant_id == participant.id)).first()
        assert proven is not None
        refusal = refused_after_proof(session, rt, proven, account, "reset")
    if refusal is not None:
        raise AuthError(refusal)
    check_new_secret(kind, secret, confirmation, participant)
    secret_hash = rt.hasher.hash(secret)
    with rt.write() as session:
        row = session.exec(select(ResetCode).where(ResetCode.id == match.id).with_for_update()).one()
        if row.used_at is not None:
            raise AuthError("reset.invalid_code", minutes=VALID_MINUTES)
        row.used_at = rt.now()
        account = session.exec(select(KioskAccount).where(KioskAccount.participant_id == participant.id)).one()
        account.secret_hash, account.secret_kind, account.secret_changed_at = secret_hash, kind, rt.now()
        session.add_all([row, account])
        throttle.clear(session, nib)
        audit.record(session, rt, nib, "auth.secret_reset", nib, kind=kind, issued_by=row.issued_by)
        notifications.notify(session, rt, stored_id(participant.id), "password_reset")
        return Identity(stored_id(participant.id), stored_id(account.id), participant.nib, participant.full_name)
