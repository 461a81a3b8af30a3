"""Back-office officer accounts: creation with a strong password, login with the same uniform
failures, progressive delay and lockout as participants."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlmodel import select

from kidb_tui.errors import FormErrors, ValidationError
from kidb_tui.models import Officer
from kidb_tui.services import audit
from kidb_tui.services.auth import clear_failures, failure_delay, is_locked, record_failure
from kidb_tui.services.runtime import Runtime
from kidb_tui.services.secret_policy import common_secrets, is_repeated, is_sequential
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


def _throttle_key(username: str) -> str:
    """`officer:NAME`, or for names too long for the 40-character key column a digest of the
    whole name, so that two officers never share a lock."""
    key = f"officer:{username}"
    if len(key) <= 40:
        return key
    return "officer:" + hashlib.sha256(username.encode("utf-8")).hexdigest()[:32]


def check_password(password: str, username: str) -> None:
    """At least 12 characters, not repeated or sequential, not the username, not a common password."""
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


def add_officer(rt: Runtime, username: str, password: str, role: str = "officer", branch: str = "") -> OfficerIdentity:
    name = username.strip().lower()
    if not name or not name.replace(".", "").replace("_", "").replace("-", "").isalnum() or len(name) > 40:
        raise FormErrors([ValidationError("username", "username_format")])
    if role not in ROLES:
        raise FormErrors([ValidationError("role", "role_unknown")])
    try:
        check_password(password, name)
    except ValidationError as error:
        raise FormErrors([error]) from error
    password_hash = rt.hasher.hash(password)
    with rt.write() as session:
        if session.exec(select(Officer).where(Officer.username == name)).first() is not None:
            raise FormErrors([ValidationError("username", "username_taken")])
        officer = Officer(username=name, password_hash=password_hash, role=role, branch=branch, created_at=rt.now())
        session.add(officer)
        session.flush()
        audit.record(session, rt, "cli", "officer.added", name, role=role, branch=branch)
        return OfficerIdentity(officer.id, name, role, branch)


def login(rt: Runtime, username: str, password: str) -> OfficerLogin:
    """Wrong password, unknown officer and locked account all fail alike."""
    name = username.strip().lower()[:40]
    key = _throttle_key(name)
    with rt.read() as session:
        officer = session.exec(select(Officer).where(Officer.username == name)).first()
        locked = is_locked(rt, session, key)
    correct = rt.hasher.verify(officer.password_hash, password) if officer else rt.hasher.verify_dummy(password)
    if not correct or locked or officer is None:
        failures, _ = record_failure(rt, key, "officer.login_failed")
        return OfficerLogin(None, "auth.failed", failure_delay(rt, failures))
    with rt.write() as session:
        clear_failures(session, key)
        row = session.get(Officer, officer.id)
        if row.status != "active":
            audit.record(session, rt, name, "officer.refused_inactive", name)
            return OfficerLogin(None, "auth.account_inactive")
        if rt.hasher.needs_rehash(row.password_hash):
            row.password_hash = rt.hasher.hash(password)
        row.last_login_at = rt.now()
        session.add(row)
        audit.record(session, rt, name, "officer.login", name)
        return OfficerLogin(OfficerIdentity(row.id, row.username, row.role, row.branch))


def logout(rt: Runtime, officer: OfficerIdentity, reason: str = "user") -> None:
    """Record the end of an officer's session (`reason`: user, idle, session_limit, disconnect)."""
    with rt.write() as session:
        audit.record(session, rt, officer.username, "officer.logout", officer.username, reason=reason)
