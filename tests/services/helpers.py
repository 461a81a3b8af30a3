"""Helpers shared by the service tests: reading rows back and building claim input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import func
from sqlmodel import select

from kidb_tui.bootstrap import prepare
from kidb_tui.models import AuditEvent, KioskAccount, Participant
from kidb_tui.services.claims import ClaimDraft
from kidb_tui.services.profile import Contact, get_profile
from kidb_tui.services.reference import claim_types

BCA, BCA_ACCOUNT = "014", "1234567890"


def participant_row(rt, person) -> Participant:
    with rt.read() as session:
        return session.exec(select(Participant).where(Participant.nib == person.nib)).one()


def account_row(rt, person) -> KioskAccount | None:
    participant = participant_row(rt, person)
    with rt.read() as session:
        return session.exec(select(KioskAccount).where(KioskAccount.participant_id == participant.id)).first()


def all_rows(rt, model, *conditions) -> list:
    with rt.read() as session:
        return list(session.exec(select(model).where(*conditions)).all())


def count(rt, model, *conditions) -> int:
    with rt.read() as session:
        return session.exec(select(func.count()).select_from(model).where(*conditions)).one()


def update_participant(rt, person, **values: object) -> None:
    with rt.write() as session:
        row = session.exec(select(Participant).where(Participant.nib == person.nib)).one()
        for name, value in values.items():
            setattr(row, name, value)
        session.add(row)


def audit_dump(rt) -> list[str]:
    """Every audit row as one string: actor, action, subject and the details JSON."""
    return [
        " ".join((row.actor, row.action, row.subject, json.dumps(row.details, ensure_ascii=False)))
        for row in all_rows(rt, AuditEvent)
    ]


def contact_of(rt, person) -> Contact:
    return get_profile(rt, participant_row(rt, person).id).contact


def documents_of(rt, type_code: str) -> tuple[str, ...]:
    return next(info.documents for info in claim_types(rt) if info.code == type_code)


def draft(rt, person, type_code: str, amount: str, **changes: object) -> ClaimDraft:
    """A claim form filled correctly for `person`; `changes` override single fields."""
    values = {
        "type_code": type_code,
        "amount": amount,
        "bank_code": BCA,
        "account_number": BCA_ACCOUNT,
        "account_holder": person.name,
        "reason": "Biaya rawat inap",
        "documents": documents_of(rt, type_code),
    }
    values.update(changes)
    return ClaimDraft(**values)


@contextmanager
def runtime_with(settings, clock, **changes: object) -> Iterator:
    """A second runtime on the same database with some settings changed."""
    rt = prepare(settings.with_(**changes), clock)
    try:
        yield rt
    finally:
        rt.engine.dispose()
