"""Back-office officer accounts: creation with a strong password, login with the same uniform
failures, progressive delay and lockout as participants."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from kidb_tui.errors import FormErrors, ValidationError
from kidb_tui.masked import SecretStr, masked, reveal
from kidb_tui.models import Officer, stored_id
from kidb_tui.services import audit, throttle
from kidb_tui.services.auth import failure_delay
from kidb_tui.services.runtime import Runtime
from kidb_tui.services.secret_policy import (
    OFFICER_SCORE,
    check_strength,
    common_secrets,
    is_repeated,
    is_sequential,
    name_inputs,
)
from kidb_tui.validation import has_forbidden_characters

ROLES = ("officer", "supervisor")
PASSWORD_MIN = 12
PASSWORD_MAX = 128


@dataclass(frozen=True)
class OfficerIdentity:
    id: int
    username: str
    role: str
    branch: str

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"


@dataclass(frozen=True)
class OfficerLogin:
    officer: OfficerIdentity | None
    error_key: str | None = None
    delay: float = 0.0
    wait_minutes: int = 0  # with `auth.terminal_wait`: how long this terminal waits


def _throttle_key(username: str) -> str:
    """`officer:NAME` of an existing officer (names are at most 40 characters, keys 80)."""
    return f"officer:{username}"


def check_password(password: str | SecretStr, username: str, branch: str = "") -> None:
    """At least 12 characters, not repeated or sequential, not the username, not a common
    password, and zxcvbn score 4 with the username and branch as the officer's own data."""
    password = reveal(password)
    if has_forbidden_characters(password):
        raise ValidationError("password", "control_characters")
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise ValidationError("password", "password_length", min=PASSWORD_MIN, max=PASSWORD_MAX)
    lowered = password.lower()
    if is_repeated(lowered):
        raise ValidationError("password", "secret_repeated")
    if is_sequential(lowered):
        raise ValidationError("password", "secret_sequential")
    if username.lower() in lowered:
        raise ValidationError("password", "password_contains_username")
    if lowered in common_secrets():
        raise ValidationError("password", "secret_common")
    check_strength(password, [*name_inputs(username), *name_inputs(branch)], OFFICER_SCORE, "password")


def add_officer(
    rt: Runtime, username: str, password: str | SecretStr, role: str = "officer", branch: str = "", actor: str = "cli",
) -> OfficerIdentity:
    """Create an officer; `actor` names who did it in the audit log (the CLI passes `cli:<os user>`)."""
    name = username.strip().lower()
    if not name or not name.replace(".", "").replace("_", "").replace("-", "").isalnum() or len(name) > 40:
        raise FormErrors([ValidationError("username", "username_format")])
    if role not in ROLES:
        raise FormErrors([ValidationError("role", "role_unknown")])
    try:
        check_password(password, name, branch)
    except ValidationError as error:
        raise FormErrors([error]) from error
    password_hash = rt.hasher.hash(password)
    with rt.write() as session:
        if session.exec(select(Officer).where(Officer.username == name)).first() is not None:
            raise FormErrors([ValidationError("username", "username_taken")])
        officer = Officer(username=name, password_hash=password_hash, role=role, branch=branch, created_at=rt.now())
        session.add(officer)
        session.flush()
        audit.record(session, rt, actor, "officer.added", name, role=role, branch=branch)
        return OfficerIdentity(stored_id(officer.id), name, role, branch)


def login(rt: Runtime, username: str, password: str | SecretStr) -> OfficerLogin:
    """Wrong password, unknown officer and locked account all fail alike, with a delay that
    grows with the terminal's failures. A typed name that is no officer's is never stored: the
    attempt counts against the terminal only and is audited without it."""
    password = masked(password)
    name = username.strip().lower()
    with rt.read() as session:
        officer = session.exec(select(Officer).where(Officer.username == name)).first()
    attempt = throttle.reserve(rt, _throttle_key(name) if officer is not None else None)
    if attempt.waiting:
        return OfficerLogin(None, "auth.terminal_wait", wait_minutes=attempt.wait_minutes)
    if officer is not None and attempt.may_check:
        correct = rt.hasher.verify(officer.password_hash, password)
    else:
        correct = rt.hasher.verify_dummy(password)
    if not correct or officer is None:
        throttle.failed(rt, attempt, "officer.login_failed", actor="backoffice")
        delay = failure_delay(rt, attempt.terminal_failures)
        if attempt.wait_minutes:
            return OfficerLogin(None, "auth.terminal_wait", delay, attempt.wait_minutes)
        return OfficerLogin(None, "auth.failed", delay)
    new_hash = rt.hasher.hash(password) if rt.hasher.needs_rehash(officer.password_hash) else None
    with rt.write() as session:
        throttle.succeeded(session, rt, attempt)
        row = session.get(Officer, officer.id)
        assert row is not None
        if row.status != "active":
            audit.record(session, rt, name, "officer.refused_inactive", name)
            return OfficerLogin(None, "auth.account_inactive")
        if new_hash is not None and row.password_hash == officer.password_hash:
            row.password_hash = new_hash
        row.last_login_at = rt.now()
        session.add(row)
        audit.record(session, rt, name, "officer.login", name)
        return OfficerLogin(OfficerIdentity(stored_id(row.id), row.username, row.role, row.branch))


def logout(rt: Runtime, officer: OfficerIdentity, reason: str = "user") -> None:
    """Record the end of an officer's session (`reason`: user, idle, session_limit, disconnect)."""
    with rt.write() as session:
        audit.record(session, rt, officer.username, "officer.logout", officer.username, reason=reason)
