"""Kiosk accounts: activation, login with uniform failures and lockout, re-authentication, PIN change.

argon2 runs outside any database transaction so a slow hash never holds the write lock.
Wrong secret, unknown NIB and locked account are indistinguishable to the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import Session, select

from kidb_tui import validation
from kidb_tui.clock import as_utc
from kidb_tui.errors import AuthError, FormErrors, ValidationError
from kidb_tui.models import KioskAccount, LoginThrottle, Participant
from kidb_tui.services import audit, notifications
from kidb_tui.services.runtime import Runtime
from kidb_tui.services.secret_policy import check_confirmation, check_secret


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

    @property
    def ok(self) -> bool:
        return self.identity is not None


def _throttle(session: Session, key: str) -> LoginThrottle:
    """The throttle row of `key`, created if missing and locked until the transaction ends
    (PostgreSQL; SQLite write transactions are already serialised by `BEGIN IMMEDIATE`)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            pg_insert(LoginThrottle).values(key=key, failures=0).on_conflict_do_nothing(index_elements=["key"])
        )
    row = session.exec(select(LoginThrottle).where(LoginThrottle.key == key).with_for_update()).first()
    if row is None:
        row = LoginThrottle(key=key)
        session.add(row)
    return row


def _lock_active(rt: Runtime, row: LoginThrottle | None) -> bool:
    return bool(row and row.locked_until and as_utc(row.locked_until) > rt.now())


def is_locked(rt: Runtime, session: Session, key: str) -> bool:
    """Whether the throttle key (a typed NIB, `act:NIB`, `officer:NAME`, ...) is locked now."""
    return _lock_active(rt, session.get(LoginThrottle, key))


def clear_failures(session: Session, key: str) -> None:
    row = session.get(LoginThrottle, key)
    if row is not None:
        session.delete(row)


def failure_delay(rt: Runtime, failures: int) -> float:
    """Progressive delay before a failure is reported: base, 2x base, 4x base, ... up to the max."""
    if failures <= 0:
        return 0.0
    return min(rt.settings.failure_delay_base * 2 ** (failures - 1), rt.settings.failure_delay_max)


def record_failure(rt: Runtime, key: str, action: str) -> tuple[int, bool]:
    """Count a failure for the typed NIB; returns (consecutive failures, now locked)."""
    with rt.write() as session:
        row = _throttle(session, key)
        if row.locked_until and as_utc(row.locked_until) <= rt.now():
            row.failures, row.locked_until = 0, None
        row.failures += 1
        row.last_failure_at = rt.now()
        locked = row.failures >= rt.settings.lock_threshold
        if locked and not _lock_active(rt, row):
            row.locked_until = rt.now() + timedelta(minutes=rt.settings.lock_minutes)
            audit.record(session, rt, "kiosk", "auth.locked", key, failures=row.failures)
        audit.record(session, rt, "kiosk", action, key, failures=row.failures)
        return row.failures, locked


def _load(session: Session, nib: str) -> tuple[Participant | None, KioskAccount | None]:
    participant = session.exec(select(Participant).where(Participant.nib == nib)).first()
    if participant is None:
        return None, None
    account = session.exec(select(KioskAccount).where(KioskAccount.participant_id == participant.id)).first()
    return participant, account


def login(rt: Runtime, nib_text: str, secret: str) -> LoginResult:
    """Check NIB + secret. Failures all look alike; blocked cards are named only after a correct secret."""
    try:
        nib = validation.nib(nib_text)
    except ValidationError:
        return LoginResult(None, "auth.nib_format")
    with rt.read() as session:
        participant, account = _load(session, nib)
        locked = is_locked(rt, session, nib)
    if account is None:
        correct = rt.hasher.verify_dummy(secret)
    else:
        correct = rt.hasher.verify(account.secret_hash, secret)
    if not correct or locked:
        failures, _ = record_failure(rt, nib, "auth.login_failed")
        return LoginResult(None, "auth.failed", failure_delay(rt, failures))
    assert participant is not None and account is not None
    old_hash = account.secret_hash
    new_hash = rt.hasher.hash(secret) if rt.hasher.needs_rehash(old_hash) else None
    with rt.write() as session:
        account = session.get(KioskAccount, account.id)
        participant = session.get(Participant, participant.id)
        clear_failures(session, nib)
        if participant.card_status != "active":
            audit.record(session, rt, participant.nib, "auth.refused_card_blocked", participant.nib)
            return LoginResult(None, "auth.card_blocked")
        if account.status != "active":
            audit.record(session, rt, participant.nib, "auth.refused_account_inactive", participant.nib)
            return LoginResult(None, "auth.account_inactive")
        if new_hash is not None and account.secret_hash == old_hash:
            account.secret_hash = new_hash
            audit.record(session, rt, participant.nib, "auth.rehashed", participant.nib)
        account.last_login_at = rt.now()
        session.add(account)
        audit.record(session, rt, participant.nib, "auth.login", participant.nib)
        return LoginResult(Identity(participant.id, account.id, participant.nib, participant.full_name))


def reauthenticate(rt: Runtime, identity: Identity, secret: str) -> None:
    """Re-check the secret before money moves or contact data changes.

    A wrong secret counts towards the lock like a failed login; raises AuthError
    (`auth.reauth_failed` with the attempts left, or `auth.reauth_locked`).
    """
    with rt.read() as session:
        account = session.get(KioskAccount, identity.account_id)
        locked = is_locked(rt, session, identity.nib)
    if locked:
        raise AuthError("auth.reauth_locked", minutes=rt.settings.lock_minutes)
    if account is not None and rt.hasher.verify(account.secret_hash, secret):
        with rt.write() as session:
            clear_failures(session, identity.nib)
        return
    failures, locked = record_failure(rt, identity.nib, "auth.reauth_failed")
    if locked:
        raise AuthError("auth.reauth_locked", minutes=rt.settings.lock_minutes)
    raise AuthError("auth.reauth_failed", left=rt.settings.lock_threshold - failures)


def activate(
    rt: Runtime,
    nib_text: str,
    nik_text: str,
    birth_date_text: str,
    secret_kind: str,
    secret: str,
    confirmation: str,
) -> Identity:
    """Create the kiosk account of an imported participant who proves NIB + NIK + birth date.

    Raises FormErrors for malformed fields or a weak secret, AuthError when the identity
    does not match (`activation.mismatch`) or the account already exists.
    """
    errors: list[ValidationError] = []
    values: dict[str, object] = {}
    for field, check in (
        ("nib", lambda: validation.nib(nib_text)),
        ("nik", lambda: validation.nik(nik_text)),
        ("birth_date", lambda: validation.a_date(birth_date_text, "birth_date", rt.now().date())),
    ):
        try:
            values[field] = check()
        except ValidationError as error:
            errors.append(error)
    if errors:
        raise FormErrors(errors)
    nib, nik, birth_date = str(values["nib"]), str(values["nik"]), values["birth_date"]
    assert isinstance(birth_date, date)
    with rt.read() as session:
        locked = is_locked(rt, session, f"act:{nib}")
        participant, account = _load(session, nib)
    if locked or participant is None or participant.nik != nik or participant.birth_date != birth_date:
        record_failure(rt, f"act:{nib}", "auth.activation_failed")
        raise AuthError("activation.mismatch")
    if account is not None:
        raise AuthError("activation.already_active")
    check_new_secret(secret_kind, secret, confirmation, participant)
    secret_hash = rt.hasher.hash(secret)
    with rt.write() as session:
        participant, account = _load(session, nib)
        if participant is None:
            raise AuthError("activation.mismatch")
        if account is not None:
            raise AuthError("activation.already_active")
        account = KioskAccount(
            participant_id=participant.id,
            secret_hash=secret_hash,
            secret_kind=secret_kind,
            status="active",
            created_at=rt.now(),
            secret_changed_at=rt.now(),
        )
        session.add(account)
        session.flush()
        audit.record(session, rt, nib, "auth.activated", nib, kind=secret_kind)
        notifications.notify(session, rt, participant.id, "account_activated")
        return Identity(participant.id, account.id, participant.nib, participant.full_name)


def check_new_secret(kind: str, secret: str, confirmation: str, participant: Participant) -> None:
    try:
        check_secret(secret, kind, nib=participant.nib, nik=participant.nik, birth_date=participant.birth_date)
        check_confirmation(secret, confirmation)
    except ValidationError as error:
        raise FormErrors([error]) from error


def change_secret(
    rt: Runtime, identity: Identity, current: str, new_kind: str, new_secret: str, confirmation: str
) -> None:
    """"Ganti PIN": the current secret, then a new one under the same policy."""
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
    """Clear the failure count and lock of an NIB (officer or administrator action)."""
    nib = validation.nib(nib_text)
    with rt.write() as session:
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
