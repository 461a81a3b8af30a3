"""Officers move claims through the stages: assess, approve, record payment, close, or reject.

Each action is one transaction: the claim (checked against the version the officer saw), the
money (reservation released, balance paid out), a stage event, the participant's notification
and an audit row with before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from kidb_tui import validation
from kidb_tui.clock import as_utc
from kidb_tui.errors import DomainError, FormErrors, NotFound, ValidationError
from kidb_tui.models import Bank, Claim, ClaimEvent, ClaimType, KioskAccount, Participant, stored_id
from kidb_tui.services import audit, notifications, requirements
from kidb_tui.services.claims import STAGES, StageEvent
from kidb_tui.services.masking import mask_tail
from kidb_tui.services.officers import OfficerIdentity
from kidb_tui.services.requirements import RESERVING_STAGES, RequirementReport
from kidb_tui.services.runtime import Runtime

REJECTION_CODES = (
    "documents_incomplete",
    "holder_name_mismatch",
    "identity_mismatch",
    "waiting_period",
    "membership_rules",
    "duplicate_claim",
    "other",
)
MAX_NOTE = 500


class ConcurrentChange(DomainError):
    """Someone else changed the claim since the officer loaded it; nothing was written."""


@dataclass(frozen=True)
class QueueItem:
    claim_id: int
    version: int
    reference: str
    stage: str
    type_code: str
    amount: int
    participant_name: str
    branch: str
    created_at: datetime


@dataclass(frozen=True)
class Queue:
    """One page of the claims that match (`items`, oldest first), how many match in all
    (`total`), and the counts per stage under the same branch/type filter."""

    items: tuple[QueueItem, ...]
    counts: dict[str, int]
    total: int = 0


@dataclass(frozen=True)
class ClaimDetail:
    claim_id: int
    version: int
    reference: str
    stage: str
    type_code: str
    amount: int
    approved_amount: int | None
    paid_amount: int | None
    bank_name: str
    account_masked: str
    account_holder: str
    reason: str
    documents: tuple[str, ...]
    documents_seen: bool
    assessed_by: str
    approved_by: str
    payment_reference: str
    rejection_code: str
    rejection_reason: str
    terminal_id: str
    branch: str
    created_at: datetime
    participant_nib: str
    participant_name: str
    nik_masked: str
    balance_amount: int
    reserved_amount: int
    requirements: RequirementReport
    events: tuple[StageEvent, ...]


def queue(
    rt: Runtime, stage: str | None = None, branch: str | None = None, type_code: str | None = None,
    limit: int | None = None, offset: int = 0,
) -> Queue:
    """Claims oldest first, filtered, `limit` of them from `offset`; counts per stage over the
    same branch/type filter."""
    filters = []
    if branch:
        filters.append(col(Claim.branch) == branch)
    if type_code:
        filters.append(col(Claim.claim_type_code) == type_code)
    with rt.read() as session:
        by_stage = session.exec(select(Claim.stage, func.count()).where(*filters).group_by(col(Claim.stage))).all()
        query = (
            select(  # type: ignore[call-overload]  # sqlmodel's select() is typed for at most 4 columns
                Claim.id, Claim.version, Claim.reference, Claim.stage, Claim.claim_type_code, Claim.amount,
                Participant.full_name, Claim.branch, Claim.created_at)
            .join(Participant, col(Participant.id) == col(Claim.participant_id))
            .where(*filters)
        )
        if stage is not None:
            query = query.where(col(Claim.stage) == stage)
        query = query.order_by(col(Claim.created_at), col(Claim.id)).offset(offset)
        rows = session.exec(query if limit is None else query.limit(limit)).all()
    counts = {name: count for name, count in by_stage}
    items = tuple(
        QueueItem(claim_id, version, reference or "", claim_stage, claim_type, amount, name, claim_branch,
                  as_utc(created_at))
        for claim_id, version, reference, claim_stage, claim_type, amount, name, claim_branch, created_at in rows
    )
    total = counts.get(stage, 0) if stage is not None else sum(counts.values())
    return Queue(items, {name: counts.get(name, 0) for name in (*STAGES, "ditolak")}, total)


def branches(rt: Runtime) -> list[str]:
    """The branches claims were filed at, for the queue's filter."""
    with rt.read() as session:
        rows = session.exec(select(Claim.branch).where(col(Claim.branch) != "").distinct()).all()
    return sorted(rows)


def detail(rt: Runtime, claim_id: int) -> ClaimDetail:
    """Everything an officer needs to decide, with the requirement checks recomputed now."""
    with rt.read() as session:
        claim = session.get(Claim, claim_id)
        if claim is None:
            raise NotFound("review.claim_not_found")
        participant = session.get(Participant, claim.participant_id)
        claim_type = session.get(ClaimType, claim.claim_type_code)
        assert participant is not None and claim_type is not None, "a claim's participant and type (foreign keys)"
        account = session.exec(select(KioskAccount).where(KioskAccount.participant_id == participant.id)).first()
        report = requirements.evaluate(session, rt, participant, account, claim_type, ignore_claim_id=claim.id)
        bank = session.get(Bank, claim.bank_code)
        events = session.exec(select(ClaimEvent).where(ClaimEvent.claim_id == claim.id).order_by(col(ClaimEvent.id))).all()
        return ClaimDetail(
            stored_id(claim.id), claim.version, claim.reference or "", claim.stage, claim.claim_type_code, claim.amount,
            claim.approved_amount, claim.paid_amount, bank.name if bank else claim.bank_code,
            mask_tail(claim.account_number), claim.account_holder, claim.reason, tuple(claim.documents),
            claim.documents_seen, claim.assessed_by, claim.approved_by, claim.payment_reference,
            claim.rejection_code, claim.rejection_reason, claim.terminal_id, claim.branch, as_utc(claim.created_at),
            participant.nib, participant.full_name, mask_tail(participant.nik), participant.balance,
            participant.reserved, report, tuple(StageEvent(e.stage, as_utc(e.at), e.note, e.actor) for e in events),
        )


def payment_account(rt: Runtime, officer: OfficerIdentity, claim_id: int) -> str:
    """The whole account number the paying officer must transfer to: only for a claim
    approved and waiting for payment (persetujuan), and audited; masked everywhere else."""
    with rt.write() as session:
        claim = session.get(Claim, claim_id)
        if claim is None:
            raise NotFound("review.claim_not_found")
        if claim.stage != "persetujuan":
            raise DomainError("review.wrong_stage", reference=claim.reference, stage=claim.stage)
        audit.record(session, rt, officer.username, "review.account_shown", claim.reference or "")
        return claim.account_number


def _load(session: Session, claim_id: int, version: int, allowed: tuple[str, ...]) -> tuple[Claim, Participant]:
    claim = session.exec(select(Claim).where(Claim.id == claim_id).with_for_update()).first()
    if claim is None:
        raise NotFound("review.claim_not_found")
    if claim.version != version:
        raise ConcurrentChange("review.changed_elsewhere", reference=claim.reference)
    if claim.stage not in allowed:
        raise DomainError("review.wrong_stage", reference=claim.reference, stage=claim.stage)
    participant = session.exec(select(Participant).where(Participant.id == claim.participant_id).with_for_update()).one()
    return claim, participant


def _advance(
    session: Session, rt: Runtime, officer: OfficerIdentity, claim: Claim, stage: str, kind: str,
    note: str = "", **params: object,
) -> None:
    before = claim.stage
    claim.stage = stage
    claim.version += 1
    claim.updated_at = rt.now()
    session.add(claim)
    session.add(ClaimEvent(claim_id=stored_id(claim.id), stage=stage, note=note, actor=officer.username, at=rt.now()))
    notifications.notify(session, rt, claim.participant_id, kind, reference=claim.reference, **params)
    audit.record(
        session, rt, officer.username, f"review.{stage}", claim.reference or "",
        before=before, after=stage, role=officer.role, **{k: v for k, v in params.items() if k != "reason"},
    )


def assess(
    rt: Runtime, officer: OfficerIdentity, claim_id: int, version: int, approved: str | int, documents_seen: bool,
    difference_reason: str = "",
) -> None:
    """Penetapan: the approved amount (at most the requested one), with the documents seen and,
    when it is less than requested, the reason the participant reads on Status (required then,
    kept as the note of the penetapan stage; ignored when the whole amount is approved)."""
    errors = []
    try:
        amount = validation.amount(approved)
    except ValidationError as error:
        errors.append(ValidationError("approved_amount", error.rule, **error.params))
        amount = 0
    note: str | None
    try:
        note = validation.clean_text(difference_reason, "difference_reason", MAX_NOTE, required=False)
    except ValidationError as error:
        errors.append(error)
        note = None
    if not documents_seen:
        errors.append(ValidationError("documents_seen", "documents_not_seen"))
    with rt.write() as session:
        claim, _ = _load(session, claim_id, version, ("agenda",))
        if amount > claim.amount:
            errors.append(ValidationError("approved_amount", "approved_above_requested", max_amount=claim.amount))
        elif 0 < amount < claim.amount and note == "":
            errors.append(ValidationError("difference_reason", "difference_reason_required",
                                          requested_amount=claim.amount))
        if errors:
            raise FormErrors(errors)
        claim.approved_amount, claim.documents_seen, claim.assessed_by = amount, True, officer.username
        kept = (note or "") if amount < claim.amount else ""
        _advance(session, rt, officer, claim, "penetapan", "claim_assessed", note=kept, amount=amount)


def _approval_refusal(rt: Runtime, officer: OfficerIdentity, claim: Claim) -> DomainError | None:
    """Why `officer` may not approve `claim`'s amount, or None: above the threshold only a
    supervisor who did not assess it may approve."""
    amount = claim.approved_amount or claim.amount
    if amount > rt.settings.supervisor_threshold:
        if not officer.is_supervisor:
            return DomainError("review.needs_supervisor", threshold_amount=rt.settings.supervisor_threshold)
        if officer.username == claim.assessed_by:
            return DomainError("review.four_eyes")
    return None


def may_approve(rt: Runtime, officer: OfficerIdentity, claim_id: int) -> DomainError | None:
    """Asked before offering Setujui: None when `officer` may approve the claim's amount, else
    the refusal (its key and parameters say why) that `approve` would raise."""
    with rt.read() as session:
        claim = session.get(Claim, claim_id)
        if claim is None:
            raise NotFound("review.claim_not_found")
        if claim.stage != "penetapan":
            return DomainError("review.wrong_stage", reference=claim.reference, stage=claim.stage)
        return _approval_refusal(rt, officer, claim)


def approve(rt: Runtime, officer: OfficerIdentity, claim_id: int, version: int) -> None:
    """Persetujuan. Above the threshold only a supervisor who did not assess it may approve."""
    with rt.write() as session:
        claim, _ = _load(session, claim_id, version, ("penetapan",))
        refusal = _approval_refusal(rt, officer, claim)
        if refusal is not None:
            raise refusal
        amount = claim.approved_amount or claim.amount
        claim.approved_by = officer.username
        _advance(session, rt, officer, claim, "persetujuan", "claim_approved", amount=amount)


def record_payment(rt: Runtime, officer: OfficerIdentity, claim_id: int, version: int, transfer_reference: str) -> None:
    """Pembayaran: the paid amount leaves the balance and the reservation is released."""
    reference = validation.clean_text(transfer_reference, "payment_reference", 60)
    with rt.write() as session:
        claim, participant = _load(session, claim_id, version, ("persetujuan",))
        paid = claim.approved_amount or claim.amount
        if paid > participant.balance:
            raise DomainError("review.balance_too_low", balance_amount=participant.balance)
        participant.balance -= paid
        participant.reserved -= claim.amount
        participant.updated_at = rt.now()
        claim.paid_amount, claim.payment_reference = paid, reference
        session.add(participant)
        _advance(session, rt, officer, claim, "pembayaran", "claim_paid", amount=paid)


def close(rt: Runtime, officer: OfficerIdentity, claim_id: int, version: int) -> None:
    """Selesai."""
    with rt.write() as session:
        claim, _ = _load(session, claim_id, version, ("pembayaran",))
        _advance(session, rt, officer, claim, "selesai", "claim_closed", amount=claim.paid_amount or 0)


def reject(rt: Runtime, officer: OfficerIdentity, claim_id: int, version: int, code: str, note: str) -> None:
    """Ditolak at any open stage before payment, with a reason from the list and a note the
    participant reads; the reserved amount is released."""
    errors = []
    if code not in REJECTION_CODES:
        errors.append(ValidationError("rejection_code", "rejection_code_unknown"))
    try:
        text = validation.clean_text(note, "note", MAX_NOTE)
    except ValidationError as error:
        errors.append(error)
        text = ""
    if errors:
        raise FormErrors(errors)
    with rt.write() as session:
        claim, participant = _load(session, claim_id, version, RESERVING_STAGES)
        participant.reserved -= claim.amount
        participant.updated_at = rt.now()
        claim.rejection_code, claim.rejection_reason = code, text
        session.add(participant)
        _advance(session, rt, officer, claim, "ditolak", "claim_rejected", note=text, reason=text, reason_code=code)
