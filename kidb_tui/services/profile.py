"""Personal data the participant keeps current: address, postal code, phone, email."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from sqlmodel import Session

from kidb_tui import validation
from kidb_tui.clock import as_utc
from kidb_tui.db import Unit
from kidb_tui.errors import AuthError, FormErrors, NotFound, ValidationError
from kidb_tui.masked import SecretStr, masked
from kidb_tui.models import Participant
from kidb_tui.services import audit, auth, notifications, outbox, verification
from kidb_tui.services.auth import Identity
from kidb_tui.services.runtime import Runtime

CONTACT_FIELDS = ("address", "postal_code", "phone", "email")
REAUTH_FIELDS = frozenset({"phone", "email"})


@dataclass(frozen=True)
class Contact:
    """Contact data as typed (raw) or as validated (clean): the same four fields."""

    address: str
    postal_code: str
    phone: str
    email: str


@dataclass(frozen=True)
class ProfileView:
    nib: str
    full_name: str
    birth_date: date
    membership_start: date
    contact: Contact
    contact_confirmed_at: datetime | None


def validate_contact(raw: Contact) -> Contact:
    """All four fields checked; raises FormErrors listing every bad one."""
    checks = {
        "address": validation.address,
        "postal_code": validation.postal_code,
        "phone": validation.phone,
        "email": validation.email,
    }
    values: dict[str, str] = {}
    errors: list[ValidationError] = []
    for name, check in checks.items():
        try:
            values[name] = check(getattr(raw, name))
        except ValidationError as error:
            errors.append(error)
    if errors:
        raise FormErrors(errors)
    return Contact(**values)


class Reachable(Protocol):
    """The participant's contact columns: a Participant, or a row joined for it."""

    address: str
    postal_code: str
    phone: str
    email: str


def current_contact(participant: Reachable) -> Contact:
    return Contact(participant.address, participant.postal_code, participant.phone, participant.email)


def changed_fields(participant: Reachable, clean: Contact) -> list[str]:
    before = current_contact(participant)
    return [name for name in CONTACT_FIELDS if getattr(before, name) != getattr(clean, name)]


def apply_contact(session: Session, rt: Runtime, participant: Participant, clean: Contact) -> list[str]:
    """Write the contact data in the caller's transaction and confirm it; then `after_contact`.
    A new email is unverified until its code is typed back."""
    changed = changed_fields(participant, clean)
    old_email = participant.email
    for name in changed:
        setattr(participant, name, getattr(clean, name))
    if "email" in changed:
        participant.email_verified_at = None
    participant.contact_confirmed_at = rt.now()
    participant.updated_at = rt.now()
    session.add(participant)
    after_contact(session, rt, participant, changed, old_email)
    return changed


def after_contact(unit: Unit, rt: Runtime, participant: verification.Holder, changed: list[str], old_email: str) -> None:
    """Once the contact data is written (`participant` holds it as written): a notification of
    each changed field, a new email's code (and word of the change to the old address), and the
    audit row of the confirmation."""
    for name in changed:
        notifications.notify_participant(unit, rt, participant, "contact_changed", field=name)
    if "email" in changed:
        if old_email and rt.settings.mail_configured:
            outbox.add(unit, rt, participant, "email", old_email, "contact_changed", field="email")
        verification.issue_code(unit, rt, participant)
    action = "profile.updated" if changed else "profile.confirmed"
    audit.record(unit, rt, participant.nib, action, participant.nib, fields=changed)


def get_profile(rt: Runtime, participant_id: int) -> ProfileView:
    with rt.read() as session:
        row = session.get(Participant, participant_id)
        if row is None:
            raise NotFound("profile.not_found")
        confirmed = as_utc(row.contact_confirmed_at) if row.contact_confirmed_at else None
        return ProfileView(row.nib, row.full_name, row.birth_date, row.membership_start, current_contact(row), confirmed)


def contact_unchanged(rt: Runtime, participant_id: int, raw: Contact) -> bool:
    """Whether `raw`, once normalised, is exactly the stored contact data and that data is
    valid: the contact step is then only a confirmation (one key), not a form to retype."""
    try:
        clean = validate_contact(raw)
    except FormErrors:
        return False
    with rt.read() as session:
        row = session.get(Participant, participant_id)
        if row is None:
            raise NotFound("profile.not_found")
        return not changed_fields(row, clean)


def needs_reauth(rt: Runtime, participant_id: int, clean: Contact) -> bool:
    """Whether saving `clean` changes the phone or email (which asks for the PIN again)."""
    with rt.read() as session:
        row = session.get(Participant, participant_id)
        assert row is not None
        return bool(REAUTH_FIELDS.intersection(changed_fields(row, clean)))


def update_contact(
    rt: Runtime, identity: Identity, raw: Contact, secret: str | SecretStr | None = None
) -> list[str]:
    """Validate and save contact data; a changed phone or email needs the secret again.

    Returns the names of the fields that changed (empty: data confirmed as it was).
    """
    secret = None if secret is None else masked(secret)
    clean = validate_contact(raw)
    if needs_reauth(rt, identity.participant_id, clean):
        if secret is None:
            raise AuthError("profile.reauth_required")
        auth.reauthenticate(rt, identity, secret)
    with rt.write() as session:
        participant = session.get(Participant, identity.participant_id)
        assert participant is not None
        return apply_contact(session, rt, participant, clean)
