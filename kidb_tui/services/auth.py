"""Kiosk accounts: activation, login with uniform failures and lockout, re-authentication, PIN change.

argon2 runs outside any database transaction so a slow hash never holds the write lock. Every
attempt is counted before its secret is checked (services/throttle.py). Wrong secret, unknown NIB
and locked account are indistinguishable to the caller; a blocked card is named only once the
identity is proven, at login, activation and reset alike. Secrets arrive masked (`SecretStr`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Row, bindparam, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from kidb_tui import validation
from kidb_tui.db import Prepared, Unit
from kidb_tui.errors import AuthError, FormErrors, NotFound, ValidationError
from kidb_tui.masked import SecretStr, masked
from kidb_tui.models import KioskAccount, LoginThrottle, Participant, stored_id, table
from kidb_tui.services import audit, notifications, throttle, verification
from kidb_tui.services.runtime import Runtime
from kidb_tui.services.secret_policy import check_confirmation, check_secret
from kidb_tui.services.throttle import Attempt


@dataclass(frozen=True)
class Identity:
    """Who is logged in at the kiosk (plain data, safe to keep in a screen)."""

    participant_id: int
    account_id: int
    nib: str
    full_name: str


@dataclass(frozen=True)
class LoginResult:
    identity: Identity | None
    error_key: str | None = None
    delay: float = 0.0
    wait_minutes: int = 0  # with `auth.terminal_wait`: how long this terminal waits

    @property
    def ok(self) -> bool:
        return self.identity is not None


def terminal_wait(attempt: Attempt) -> AuthError:
    return AuthError("auth.terminal_wait", minutes=attempt.wait_minutes)


def failure_delay(rt: Runtime, failures: int) -> float:
    """Progressive delay before a failure is reported: base, 2x base, 4x base, ... up to the max."""
    if failures <= 0:
        return 0.0
    return float(min(rt.settings.failure_delay_base * 2 ** (failures - 1), rt.settings.failure_delay_max))


def refused_after_proof(
    unit: Unit, rt: Runtime, participant: Participant | Row[*tuple[Any, ...]],
    account: KioskAccount | Row[*tuple[Any, ...]] | None, during: str,
) -> str | None:
    """Once the identity is proven: the key naming why it may still not sign in (a blocked
    card, an inactive account), audited; None when nothing stands in the way. `participant` and
    `account` are models or rows with their `nib`, `card_status` and `status`."""
    if participant.card_status != "active":
        audit.record(unit, rt, participant.nib, "auth.refused_card_blocked", participant.nib, during=during)
        return "auth.card_blocked"
    if account is not None and account.status != "active":
        audit.record(unit, rt, participant.nib, "auth.refused_account_inactive", participant.nib, during=during)
        return "auth.account_inactive"
    return None


def _load(session: Session, condition: ColumnElement[bool]) -> tuple[Participant | None, KioskAccount | None]:
    """The participant matching `condition` and their kiosk account, in one statement."""
    found = session.exec(
        select(Participant, KioskAccount)
        .outerjoin(KioskAccount, col(KioskAccount.participant_id) == col(Participant.id))
        .where(condition)
    ).first()
    return (found[0], found[1]) if found is not None else (None, None)


_PARTICIPANT, _ACCOUNT = table(Participant), table(KioskAccount)
_CREDENTIALS = core_select(
    _PARTICIPANT.c.id.label("participant_id"), _ACCOUNT.c.id.label("account_id"), _PARTICIPANT.c.nib,
    _PARTICIPANT.c.full_name, _PARTICIPANT.c.card_status, _ACCOUNT.c.status, _ACCOUNT.c.secret_hash,
).select_from(_PARTICIPANT.join(_ACCOUNT, _ACCOUNT.c.participant_id == _PARTICIPANT.c.id))
_CREDENTIALS_BY_NIB = Prepared(_CREDENTIALS.where(_PARTICIPANT.c.nib == bindparam("nib")))
_CREDENTIALS_BY_ID = Prepared(_CREDENTIALS.where(_PARTICIPANT.c.id == bindparam("participant_id")))
_SIGNED_IN = Prepared(update(_ACCOUNT).where(_ACCOUNT.c.id == bindparam("b_id")).values(last_login_at=bindparam("b_now")))
_SIGNED_IN_REHASHED = update(_ACCOUNT).where(_ACCOUNT.c.id == bindparam("b_id")).values(
    last_login_at=bindparam("b_now"), secret_hash=bindparam("b_hash"))
_KIOSK_LANGUAGE = update(_PARTICIPANT).where(
    _PARTICIPANT.c.id == bindparam("b_id"), _PARTICIPANT.c.language != bindparam("b_language"),
).values(language=bindparam("b_language"))


def login(rt: Runtime, nib_text: str, secret: str | SecretStr, language: str = "") -> LoginResult:
    """Check NIB + secret. Failures all look alike; blocked cards are named only after a correct secret.

    Costs the attempt's reservation, one read of the credentials, and one write transaction that
    reads them again (a card blocked meanwhile is seen), settles the attempt, stores the login
    time and audits it. `language` (the kiosk's at login) becomes the participant's language for
    the messages sent to them."""
    secret = masked(secret)
    try:
        nib = validation.nib(nib_text)
    except ValidationError:
        return LoginResult(None, "auth.nib_format")
    attempt = throttle.reserve(rt, nib)
    if attempt.waiting:
        return LoginResult(None, "auth.terminal_wait", wait_minutes=attempt.wait_minutes)
    with rt.query() as connection:
        found = _CREDENTIALS_BY_NIB.first(connection, {"nib": nib})
    if found is None or not attempt.may_check:
        correct = rt.hasher.verify_dummy(secret)
    else:
        correct = rt.hasher.verify(found.secret_hash, secret)
    if not correct:
        throttle.failed(rt, attempt, "auth.login_failed")
        delay = failure_delay(rt, attempt.failures)
        if attempt.wait_minutes:
            return LoginResult(None, "auth.terminal_wait", delay, attempt.wait_minutes)
        return LoginResult(None, "auth.failed", delay)
    assert found is not None
    new_hash = rt.hasher.hash(secret) if rt.hasher.needs_rehash(found.secret_hash) else None
    with rt.transaction() as connection:
        current = _CREDENTIALS_BY_ID.one(connection, {"participant_id": found.participant_id})
        throttle.succeeded(connection, rt, attempt)
        refusal = refused_after_proof(connection, rt, current, current, "login")
        if refusal is not None:
            return LoginResult(None, refusal)
        if new_hash is not None and current.secret_hash == found.secret_hash:
            connection.execute(_SIGNED_IN_REHASHED, {"b_id": current.account_id, "b_now": rt.now(), "b_hash": new_hash})
            audit.record(connection, rt, current.nib, "auth.rehashed", current.nib)
        else:
            _SIGNED_IN.run(connection, {"b_id": current.account_id, "b_now": rt.now()})
        if language:
            connection.execute(_KIOSK_LANGUAGE, {"b_id": current.participant_id, "b_language": language})
        audit.record(connection, rt, current.nib, "auth.login", current.nib)
        return LoginResult(Identity(current.participant_id, current.account_id, current.nib, current.full_name))


def reauthenticate(rt: Runtime, identity: Identity, secret: str | SecretStr) -> None:
    """Re-check the secret before money moves or contact data changes.

    Counted like a login, before the secret is checked; raises AuthError (`auth.reauth_failed`
    with the attempts left, `auth.reauth_locked`, or `auth.terminal_wait`).
    """
    secret = masked(secret)
    attempt = prove(rt, identity, secret)
    with rt.transaction() as connection:
        throttle.succeeded(connection, rt, attempt)


_SECRET_HASH = select(_ACCOUNT.c.secret_hash).where(_ACCOUNT.c.id == bindparam("account_id"))


def prove(rt: Runtime, identity: Identity, secret: str | SecretStr, secret_hash: str | None = None) -> Attempt:
    """`reauthenticate` up to the proof: the attempt is reserved and the secret checked (against
    `secret_hash` when the caller has just read it, else the account's); returns the attempt,
    which the caller settles with `throttle.succeeded` in its own write transaction, or raises
    AuthError as `reauthenticate` does."""
    secret = masked(secret)
    attempt = throttle.reserve(rt, identity.nib)
    if attempt.waiting:
        raise terminal_wait(attempt)
    if secret_hash is None:
        with rt.query() as connection:
            secret_hash = connection.execute(_SECRET_HASH, {"account_id": identity.account_id}).scalar()
    if attempt.may_check and secret_hash is not None and rt.hasher.verify(secret_hash, secret):
        return attempt
    throttle.failed(rt, attempt, "auth.reauth_failed")
    if attempt.failures >= rt.settings.lock_threshold:
        raise AuthError("auth.reauth_locked", minutes=rt.settings.lock_minutes)
    if attempt.wait_minutes:
        raise terminal_wait(attempt)
    raise AuthError("auth.reauth_failed", left=rt.settings.lock_threshold - attempt.failures)


def activate(
    rt: Runtime,
    nib_text: str,
    nik_text: str,
    birth_date_text: str,
    secret_kind: str,
    secret: str | SecretStr,
    confirmation: str | SecretStr,
) -> Identity:
    """Create the kiosk account of an imported participant who proves NIB + NIK + birth date.

    A code goes to the email on record to verify it (typed then or later: menu Verifikasi email).
    Raises FormErrors for malformed fields or a weak secret, AuthError when the identity
    does not match (`activation.mismatch`, counted under `act:NIB` before the comparison),
    the card is blocked (`auth.card_blocked`, only once the identity is proven) or the
    account already exists.
    """
    secret, confirmation = masked(secret), masked(confirmation)
    errors: list[ValidationError] = []
    values: dict[str, object] = {}
    for field, check in (
        ("nib", lambda: validation.nib(nib_text)),
        ("nik", lambda: validation.nik(nik_text)),
        ("birth_date", lambda: validation.a_date(birth_date_text, "birth_date", rt.today())),
    ):
        try:
            values[field] = check()
        except ValidationError as error:
            errors.append(error)
    if errors:
        raise FormErrors(errors)
    nib, nik, birth_date = str(values["nib"]), str(values["nik"]), values["birth_date"]
    assert isinstance(birth_date, date)
    attempt = throttle.reserve(rt, f"act:{nib}")
    if attempt.waiting:
        raise terminal_wait(attempt)
    with rt.read() as session:
        participant, account = _load(session, col(Participant.nib) == nib)
    if not attempt.may_check or participant is None or participant.nik != nik or participant.birth_date != birth_date:
        throttle.failed(rt, attempt, "auth.activation_failed")
        if attempt.wait_minutes:
            raise terminal_wait(attempt)
        raise AuthError("activation.mismatch")
    with rt.write() as session:
        throttle.succeeded(session, rt, attempt)
        proven = session.get(Participant, participant.id)
        assert proven is not None
        refusal = refused_after_proof(session, rt, proven, None, "activation")
    if refusal is not None:
        raise AuthError(refusal)
    if account is not None:
        raise AuthError("activation.already_active")
    check_new_secret(secret_kind, secret, confirmation, participant)
    secret_hash = rt.hasher.hash(secret)
    with rt.write() as session:
        participant, account = _load(session, col(Participant.nib) == nib)
        if participant is None:
            raise AuthError("activation.mismatch")
        if account is not None:
            raise AuthError("activation.already_active")
        account = KioskAccount(
            participant_id=stored_id(participant.id),
            secret_hash=secret_hash,
            secret_kind=secret_kind,
            status="active",
            created_at=rt.now(),
            secret_changed_at=rt.now(),
        )
        session.add(account)
        session.flush()
        audit.record(session, rt, nib, "auth.activated", nib, kind=secret_kind)
        notifications.notify(session, rt, stored_id(participant.id), "account_activated")
        if not verification.is_verified(participant):
            verification.issue_code(session, rt, participant)
        return Identity(stored_id(participant.id), stored_id(account.id), participant.nib, participant.full_name)


def check_new_secret(
    kind: str, secret: str | SecretStr, confirmation: str | SecretStr, participant: Participant
) -> None:
    try:
        check_secret(secret, kind, nib=participant.nib, nik=participant.nik, birth_date=participant.birth_date,
                     full_name=participant.full_name)
        check_confirmation(secret, confirmation)
    except ValidationError as error:
        raise FormErrors([error]) from error


def change_secret(
    rt: Runtime,
    identity: Identity,
    current: str | SecretStr,
    new_kind: str,
    new_secret: str | SecretStr,
    confirmation: str | SecretStr,
) -> None:
    """"Ganti PIN": the current secret, then a new one under the same policy."""
    current, new_secret, confirmation = masked(current), masked(new_secret), masked(confirmation)
    reauthenticate(rt, identity, current)
    with rt.read() as session:
        participant = session.get(Participant, identity.participant_id)
    assert participant is not None
    check_new_secret(new_kind, new_secret, confirmation, participant)
    if new_secret == current:
        raise FormErrors([ValidationError("secret", "secret_unchanged")])
    secret_hash = rt.hasher.hash(new_secret)
    with rt.write() as session:
        account = session.get(KioskAccount, identity.account_id)
        assert account is not None
        account.secret_hash = secret_hash
        account.secret_kind = new_kind
        account.secret_changed_at = rt.now()
        session.add(account)
        audit.record(session, rt, identity.nib, "auth.secret_changed", identity.nib, kind=new_kind)
        notifications.notify(session, rt, identity.participant_id, "secret_changed")


def unlock(rt: Runtime, nib_text: str, actor: str) -> bool:
    """Clear the failure count and lock of a participant's NIB (officer or administrator
    action); whether there was one. An NIB that names no participant is NotFound."""
    nib = validation.nib(nib_text)
    with rt.write() as session:
        if session.exec(select(Participant).where(Participant.nib == nib)).first() is None:
            raise NotFound("counter.participant_not_found")
        row = session.get(LoginThrottle, nib)
        if row is None:
            return False
        session.delete(row)
        audit.record(session, rt, actor, "auth.unlocked", nib)
        return True


def logout(rt: Runtime, identity: Identity, reason: str = "user") -> None:
    """Record the end of a participant's kiosk session (`reason`: user, timeout, locked)."""
    with rt.write() as session:
        audit.record(session, rt, identity.nib, "auth.logout", identity.nib, reason=reason)
