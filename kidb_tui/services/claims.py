"""Claim registration ("Daftar Pencairan"), tracking and balance.

Submitting is idempotent (a key made when the form opens, unique in the table) and reserves
the amount against the available balance in the same transaction that inserts the claim.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from kidb_tui import validation
from kidb_tui.clock import as_utc
from kidb_tui.errors import FormErrors, NotFound, RequirementError, ValidationError
from kidb_tui.masked import SecretStr, masked
from kidb_tui.models import Bank, Claim, ClaimEvent, ClaimType, Participant
from kidb_tui.services import audit, auth, notifications, profile, requirements, tax
from kidb_tui.services.auth import Identity
from kidb_tui.services.masking import mask_tail
from kidb_tui.services.profile import Contact
from kidb_tui.services.runtime import Runtime
from kidb_tui.services.tax import PayoutEstimate

STAGES = ("agenda", "penetapan", "persetujuan", "pembayaran", "selesai")
REJECTED = "ditolak"
SLA_SMALL_DAYS, SLA_LARGE_DAYS = 1, 5


@dataclass(frozen=True)
class ClaimDraft:
    """What the participant typed in the claim form."""

    type_code: str
    amount: str
    bank_code: str
    account_number: str
    account_holder: str
    reason: str
    documents: tuple[str, ...] = ()


@dataclass(frozen=True)
class CleanClaim:
    """A claim form that passed every rule, with the estimated payout after tax."""

    type_code: str
    amount: int
    bank_code: str
    bank_name: str
    account_number: str
    account_holder: str
    reason: str
    documents: tuple[str, ...]
    payout: PayoutEstimate


@dataclass(frozen=True)
class Receipt:
    reference: str
    type_code: str
    amount: int
    stage: str
    next_stage: str
    service_days: int
    expected_by: date
    created_at: datetime


@dataclass(frozen=True)
class StageEvent:
    stage: str
    at: datetime
    note: str
    actor: str = ""


@dataclass(frozen=True)
class ClaimView:
    """One claim as its participant follows it. `amount` is what they asked for; the officer
    may approve less (`approved_amount`, with `difference_reason`), and `paid_amount` is what
    was transferred. `current_amount` is the figure that now holds."""

    reference: str
    type_code: str
    amount: int
    bank_name: str
    account_masked: str
    stage: str
    rejection_reason: str
    created_at: datetime
    events: tuple[StageEvent, ...]
    approved_amount: int | None = None
    paid_amount: int | None = None
    difference_reason: str = ""

    @property
    def current_amount(self) -> int:
        for figure in (self.paid_amount, self.approved_amount):
            if figure is not None:
                return figure
        return self.amount

    @property
    def amount_changed(self) -> bool:
        """Whether the approved or paid amount differs from the requested one."""
        return self.current_amount != self.amount


@dataclass(frozen=True)
class BalanceView:
    balance_amount: int
    reserved_amount: int
    available_amount: int


@dataclass(frozen=True)
class ClaimPrefill:
    """What the claim form starts with, so fewer keys are typed: the holder is the participant's
    own name (editable for the bank's spelling), and the bank account is the one of their last
    claim that was not rejected ("" when there is none)."""

    account_holder: str
    bank_code: str = ""
    account_number: str = ""


def prefill(rt: Runtime, identity: Identity) -> ClaimPrefill:
    """The claim form's starting values for the signed-in participant."""
    with rt.read() as session:
        participant = session.get(Participant, identity.participant_id)
        if participant is None:
            raise NotFound("profile.not_found")
        last = session.exec(
            select(Claim)
            .where(Claim.participant_id == participant.id, col(Claim.stage) != REJECTED)
            .order_by(col(Claim.id).desc())
        ).first()
        if last is None or session.get(Bank, last.bank_code) is None:
            return ClaimPrefill(participant.full_name)
        return ClaimPrefill(participant.full_name, last.bank_code, last.account_number)


def new_idempotency_key() -> str:
    """Made when the claim form opens; the same key can only ever create one claim."""
    return uuid.uuid4().hex


def next_stage(stage: str) -> str:
    return STAGES[STAGES.index(stage) + 1] if stage in STAGES[:-1] else ""


def add_working_days(start: date, days: int) -> date:
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def _validate_draft(session: Session, participant: Participant, draft: ClaimDraft, report, today: date) -> CleanClaim:
    """The form checked against every rule. A type that pays the whole balance has a fixed
    amount (`report.fixed_amount`): the form shows it, and an empty amount means that one."""
    claim_type = session.get(ClaimType, draft.type_code)
    bank = session.get(Bank, draft.bank_code) if draft.bank_code else None
    errors: list[ValidationError] = []
    values: dict[str, object] = {}

    def attempt(name: str, check) -> None:
        try:
            values[name] = check()
        except ValidationError as error:
            errors.append(error)

    if claim_type is None:
        errors.append(ValidationError("claim_type", "required"))
    if claim_type is not None and claim_type.full_balance and not draft.amount.strip():
        values["amount"] = report.max_amount
    else:
        attempt("amount", lambda: validation.amount(draft.amount))
    amount = values.get("amount")
    if isinstance(amount, int) and claim_type is not None:
        if claim_type.full_balance and amount != report.max_amount:
            errors.append(ValidationError("amount", "amount_full_balance", max_amount=report.max_amount))
        elif amount > report.max_amount:
            errors.append(ValidationError("amount", "amount_max", max_amount=report.max_amount))
    if bank is None:
        errors.append(ValidationError("bank", "required"))
    else:
        attempt("account_number", lambda: validation.account_number(draft.account_number, bank.name, bank.account_length))
    attempt("account_holder", lambda: validation.account_holder(draft.account_holder, participant.full_name))
    attempt("reason", lambda: validation.reason(draft.reason))
    if claim_type is not None:
        missing = [doc for doc in claim_type.documents if doc not in draft.documents]
        if missing:
            errors.append(ValidationError("documents", "documents_missing", count=len(missing)))
    if errors:
        raise FormErrors(errors)
    assert claim_type is not None and bank is not None
    amount = int(values["amount"])
    return CleanClaim(
        claim_type.code, amount, bank.code, bank.name, str(values["account_number"]),
        str(values["account_holder"]), str(values["reason"]), tuple(claim_type.documents),
        tax.estimate(claim_type.code, amount, today),
    )


def validate_draft(rt: Runtime, identity: Identity, draft: ClaimDraft) -> CleanClaim:
    """Check every field of the form against its rule; raises FormErrors naming each bad field."""
    with rt.read() as session:
        participant, account, claim_type = requirements.load_context(session, identity.participant_id, draft.type_code)
        report = requirements.evaluate(session, rt, participant, account, claim_type)
        return _validate_draft(session, participant, draft, report, rt.today())


def _service_days(rt: Runtime, participant: Participant) -> int:
    return SLA_SMALL_DAYS if participant.balance <= rt.settings.small_balance_limit else SLA_LARGE_DAYS


def _receipt(rt: Runtime, claim: Claim, participant: Participant) -> Receipt:
    created = as_utc(claim.created_at)
    days = _service_days(rt, participant)
    local_day = created.astimezone(rt.settings.zone).date()
    return Receipt(
        claim.reference or "", claim.claim_type_code, claim.amount, claim.stage, next_stage(claim.stage),
        days, add_working_days(local_day, days), created,
    )


def _existing(session: Session, identity: Identity, key: str) -> Claim | None:
    claim = session.exec(select(Claim).where(Claim.idempotency_key == key)).first()
    if claim is not None and claim.participant_id != identity.participant_id:
        raise NotFound("claim.key_conflict")
    return claim


def receipt_for_key(rt: Runtime, identity: Identity, key: str) -> Receipt | None:
    """The receipt of the claim already made with `key`, if any."""
    with rt.read() as session:
        claim = _existing(session, identity, key)
        if claim is None:
            return None
        return _receipt(rt, claim, session.get(Participant, claim.participant_id))


def submit_claim(
    rt: Runtime, identity: Identity, draft: ClaimDraft, contact: Contact, secret: str | SecretStr, key: str
) -> Receipt:
    """"Simpan": re-authenticate, then in one transaction confirm the contact data, insert the
    claim, reserve its amount, record its first stage, notify and audit.

    Calling again with the same key returns the first claim's receipt and creates nothing.
    """
    secret = masked(secret)
    earlier = receipt_for_key(rt, identity, key)
    if earlier is not None:
        return earlier
    clean_contact = profile.validate_contact(contact)
    validate_draft(rt, identity, draft)
    auth.reauthenticate(rt, identity, secret)
    try:
        return _insert(rt, identity, draft, clean_contact, key)
    except IntegrityError:
        earlier = receipt_for_key(rt, identity, key)
        if earlier is None:
            raise
        return earlier


def _insert(rt: Runtime, identity: Identity, draft: ClaimDraft, contact: Contact, key: str) -> Receipt:
    with rt.write() as session:
        participant = session.exec(
            select(Participant).where(Participant.id == identity.participant_id).with_for_update()
        ).one()
        claim = _existing(session, identity, key)
        if claim is not None:
            return _receipt(rt, claim, participant)
        _, account, claim_type = requirements.load_context(session, participant.id, draft.type_code)
        profile.apply_contact(session, rt, participant, contact)
        report = requirements.evaluate(session, rt, participant, account, claim_type)
        unmet = report.first_unmet()
        if unmet is not None:
            raise RequirementError(f"req.{unmet.key}.unmet", **unmet.params)
        clean = _validate_draft(session, participant, draft, report, rt.today())
        now = rt.now()
        claim = Claim(
            idempotency_key=key, participant_id=participant.id, claim_type_code=clean.type_code,
            amount=clean.amount, bank_code=clean.bank_code, account_number=clean.account_number,
            account_holder=clean.account_holder, reason=clean.reason, documents=list(clean.documents),
            stage="agenda", terminal_id=rt.settings.terminal_id, branch=rt.settings.branch,
            created_at=now, updated_at=now,
        )
        session.add(claim)
        session.flush()
        claim.reference = f"KIDB-{now.astimezone(rt.settings.zone).year}-{claim.id:06d}"
        participant.reserved += clean.amount
        participant.updated_at = now
        session.add_all([claim, participant])
        session.add(ClaimEvent(claim_id=claim.id, stage="agenda", actor=identity.nib, at=now))
        notifications.notify(session, rt, participant.id, "claim_received", reference=claim.reference, amount=clean.amount)
        audit.record(
            session, rt, identity.nib, "claim.submitted", claim.reference, type=clean.type_code,
            amount=clean.amount, bank=clean.bank_code, account=mask_tail(clean.account_number),
        )
        session.flush()
        return _receipt(rt, claim, participant)


def claims_of(rt: Runtime, participant_id: int) -> list[ClaimView]:
    """The participant's claims, newest first, each with its stage history."""
    with rt.read() as session:
        rows = session.exec(
            select(Claim).where(Claim.participant_id == participant_id).order_by(col(Claim.id).desc())
        ).all()
        views = []
        for claim in rows:
            events = session.exec(
                select(ClaimEvent).where(ClaimEvent.claim_id == claim.id).order_by(col(ClaimEvent.id))
            ).all()
            bank = session.get(Bank, claim.bank_code)
            assessed = next((e.note for e in events if e.stage == "penetapan"), "")
            views.append(
                ClaimView(
                    claim.reference or "", claim.claim_type_code, claim.amount, bank.name if bank else claim.bank_code,
                    mask_tail(claim.account_number), claim.stage, claim.rejection_reason, as_utc(claim.created_at),
                    tuple(StageEvent(e.stage, as_utc(e.at), e.note) for e in events),
                    claim.approved_amount, claim.paid_amount, assessed,
                )
            )
        return views


def balance_of(rt: Runtime, participant_id: int) -> BalanceView:
    with rt.read() as session:
        row = session.get(Participant, participant_id)
        if row is None:
            raise NotFound("profile.not_found")
        return BalanceView(row.balance, row.reserved, max(row.balance - row.reserved, 0))
