"""Shared by the back-office service tests: the demo officers signed in, claims filed, walked
through the stages and read back, the money invariants, threads started together, and audit
rows as the schema before the hash chain stored them."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import JSON, DateTime, bindparam, func, text
from sqlmodel import col, select

from kidb_tui.bootstrap import prepare
from kidb_tui.errors import FormErrors
from kidb_tui.models import AuditEvent, Claim, Notification, Participant
from kidb_tui.services import claims, demo, officers, profile, review
from kidb_tui.services.officers import OfficerIdentity
from kidb_tui.services.reference import claim_types
from tests.conftest import FROZEN_AT, sign_in

ANI, BAMBANG = demo.OFFICERS
BCA, ACCOUNT = "014", "1234567890"
TRANSFER = "BCA-TRF-20261125-0001"
LOWER = "Satu kuitansi tidak dapat diganti."
"""The reason given with an assessed amount (required when it is lower than requested)."""
JOIN_TIMEOUT = 30


def officer(rt, entry) -> OfficerIdentity:
    """Sign a demo officer in (`entry` is a row of demo.OFFICERS)."""
    result = officers.login(rt, entry[0], entry[1])
    assert result.officer is not None, result.error_key
    return result.officer


def rows(rt, model, *conditions) -> list:
    with rt.read() as session:
        return list(session.exec(select(model).where(*conditions)).all())


def count(rt, model, *conditions) -> int:
    with rt.read() as session:
        return session.exec(select(func.count()).select_from(model).where(*conditions)).one()


def participant(rt, person) -> Participant:
    with rt.read() as session:
        return session.exec(select(Participant).where(Participant.nib == person.nib)).one()


def claim(rt, claim_id: int) -> Claim:
    with rt.read() as session:
        return session.get(Claim, claim_id)


def claim_of(rt, person) -> Claim:
    """The participant's newest claim."""
    with rt.read() as session:
        owner = session.exec(select(Participant).where(Participant.nib == person.nib)).one()
        return session.exec(
            select(Claim).where(Claim.participant_id == owner.id).order_by(col(Claim.id).desc())
        ).first()


def notifications_of(rt, person, kind: str) -> list[Notification]:
    return rows(rt, Notification, Notification.participant_id == participant(rt, person).id, Notification.kind == kind)


def audit_rows(rt, action: str, subject: str | None = None) -> list[AuditEvent]:
    conditions = [AuditEvent.action == action]
    if subject is not None:
        conditions.append(AuditEvent.subject == subject)
    return rows(rt, AuditEvent, *conditions)


def file_claim(rt, person, type_code: str, amount: str, key: str) -> Claim:
    """Submit a correctly filled claim form as `person` at the kiosk."""
    identity = sign_in(rt, person)
    contact = profile.get_profile(rt, identity.participant_id).contact
    documents = next(info.documents for info in claim_types(rt) if info.code == type_code)
    draft = claims.ClaimDraft(type_code, amount, BCA, ACCOUNT, person.name, "Biaya rawat inap", documents)
    receipt = claims.submit_claim(rt, identity, draft, contact, person.secret, key)
    with rt.read() as session:
        return session.exec(select(Claim).where(Claim.reference == receipt.reference)).one()


OLD_ROWS = [
    {"at": FROZEN_AT - timedelta(days=3, microseconds=250), "actor": "demo", "action": "participants.imported",
     "subject": "", "details": {"created": 6, "updated": 0}, "terminal_id": "", "branch": ""},
    {"at": FROZEN_AT - timedelta(days=2), "actor": "26010000001", "action": "auth.login", "subject": "26010000001",
     "details": {}, "terminal_id": "kiosk-07", "branch": "Jakarta Pusat"},
    {"at": FROZEN_AT - timedelta(days=1), "actor": "26010000002", "action": "claim.submitted",
     "subject": "KIDB-2026-000001",
     "details": {"amount": 4500000, "account": "******7890", "note": "rawat inap – RS Ümmi"},
     "terminal_id": "kiosk-07", "branch": "Bandung"},
]


def insert_old_rows(engine) -> None:
    """Audit rows as the 0001 schema stored them, before the hash chain existed."""
    insert = text(
        "INSERT INTO audit_event (at, actor, action, subject, details, terminal_id, branch) "
        "VALUES (:at, :actor, :action, :subject, :details, :terminal_id, :branch)"
    ).bindparams(bindparam("at", type_=DateTime(timezone=True)), bindparam("details", type_=JSON))
    with engine.begin() as connection:
        for values in OLD_ROWS:
            connection.execute(insert, values)


STEPS: dict[str, Callable] = {
    "agenda": lambda rt, who, row, approved: review.assess(
        rt, who, row.id, row.version, row.amount if approved is None else approved, True, difference_reason=LOWER),
    "penetapan": lambda rt, who, row, approved: review.approve(rt, who, row.id, row.version),
    "persetujuan": lambda rt, who, row, approved: review.record_payment(rt, who, row.id, row.version, TRANSFER),
    "pembayaran": lambda rt, who, row, approved: review.close(rt, who, row.id, row.version),
}


def walk(rt, claim_id: int, target: str, who: OfficerIdentity, approved: int | None = None) -> Claim:
    """Move a claim forward, one officer doing every step, until it is in `target`."""
    row = claim(rt, claim_id)
    while row.stage != target:
        STEPS[row.stage](rt, who, row, approved)
        row = claim(rt, claim_id)
    return row


def form_errors(call) -> dict[str, str]:
    """The field -> rule map of the FormErrors that `call` raises."""
    with pytest.raises(FormErrors) as caught:
        call()
    return {error.field: error.rule for error in caught.value.errors}


def assert_money_invariants(rt) -> None:
    for row in rows(rt, Participant):
        assert row.balance >= 0, row.nib
        assert 0 <= row.reserved <= row.balance, row.nib


def run_together(calls: list[Callable]) -> list:
    """Start every call at the same moment in its own thread; each outcome is the value
    returned or the exception raised."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def worker(index: int, call: Callable) -> None:
        barrier.wait(JOIN_TIMEOUT)
        try:
            outcomes[index] = call()
        except Exception as error:  # noqa: BLE001 - the test inspects every outcome
            outcomes[index] = error

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


@contextmanager
def runtime_with(settings, clock, **changes: object) -> Iterator:
    """A second runtime on the same database with some settings changed."""
    rt = prepare(settings.with_(**changes), clock)
    try:
        yield rt
    finally:
        rt.engine.dispose()
