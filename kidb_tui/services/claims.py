"""Claim registration ("Daftar Pencairan"), tracking and balance.

Submitting is idempotent (a key made when the form opens, unique in the table) and reserves
the amount against the available balance in the same transaction that inserts the claim. It
costs one read of the context (one statement), the PIN attempt (one statement when it only
counts), and one write transaction that locks the participant, reads their claims once and
writes each row once (the claim with its reference): 10 statements, 9 on PostgreSQL (whose
attempt settles in one), all on Core connections (`Runtime.query`/`transaction`), without an
ORM Session.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any, Protocol

from sqlalchemy import Connection, String, Text, bindparam, case, cast, func, insert, update
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from kidb_tui import validation
from kidb_tui.clock import as_utc
from kidb_tui.db import Prepared
from kidb_tui.errors import FormErrors, NotFound, RequirementError, SystemBusy, ValidationError
from kidb_tui.masked import SecretStr, masked
from kidb_tui.models import Bank, Claim, ClaimEvent, ClaimType, KioskAccount, Participant, table
from kidb_tui.services import audit, auth, notifications, profile, requirements, tax, throttle
from kidb_tui.services.auth import Identity
from kidb_tui.services.masking import mask_tail
from kidb_tui.services.profile import Contact
from kidb_tui.services.requirements import Holder, RequirementReport
from kidb_tui.services.runtime import Runtime
from kidb_tui.services.tax import PayoutEstimate
from kidb_tui.services.throttle import Attempt

STAGES = ("agenda", "penetapan", "persetujuan", "pembayaran", "selesai")
REJECTED = "ditolak"
SLA_SMALL_DAYS, SLA_LARGE_DAYS = 1, 5
_CLAIM_DEFAULTS = {
    "reference": None, "rejection_reason": "", "rejection_code": "", "approved_amount": None, "paid_amount": None,
    "payment_reference": "", "documents_seen": False, "assessed_by": "", "approved_by": "", "version": 1,
}


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
    contact_changed: tuple[str, ...] = ()
    """The contact fields this claim's "Simpan" changed (none for a claim read back by its key)."""


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


_PARTICIPANT, _ACCOUNT, _TYPE, _BANK, _CLAIM, _EVENT = (
    table(model) for model in (Participant, KioskAccount, ClaimType, Bank, Claim, ClaimEvent)
)
_KEYED = _CLAIM.alias("keyed")
_PARTICIPANT_READ = (
    "id", "nib", "full_name", "birth_date", "email", "phone", "address", "postal_code", "balance", "reserved",
    "card_status", "membership_start", "employment_end", "contact_confirmed_at", "email_verified_at", "language",
)
"""The participant's columns a claim reads (`requirements.Holder`, the form's holder name, the
contact compared and confirmed, the messages' addressee)."""
_TYPE_READ = ("code", "max_share_pct", "min_membership_years", "min_age", "waiting_months", "one_time",
              "one_time_group", "full_balance", "requires_employment_end", "documents")
"""The claim type's columns the requirements (`requirements.Kind`) and the form read."""
_CLAIM_READ = ("id", "reference", "claim_type_code", "amount", "stage")
"""The columns of the participant's claims that the requirements read (`requirements.Filed`)."""
_KEYED_READ = ("id", "participant_id", "reference", "claim_type_code", "amount", "stage", "created_at")
"""The columns of the claim made with the key that its receipt reads (`_Filed`)."""
_CONTEXT = (
    core_select(
        *(_PARTICIPANT.c[name] for name in _PARTICIPANT_READ), _ACCOUNT.c.id.label("account_id"),
        _ACCOUNT.c.status.label("account_status"), _ACCOUNT.c.secret_hash.label("account_secret_hash"),
        *(_TYPE.c[name].label(f"type_{name}") for name in _TYPE_READ),
        *(column.label(f"bank_{column.name}") for column in _BANK.c),
        *(_CLAIM.c[name].label(f"claim_{name}") for name in _CLAIM_READ),
        *(_KEYED.c[name].label(f"keyed_{name}") for name in _KEYED_READ),
    )
    .select_from(
        _PARTICIPANT.outerjoin(_ACCOUNT, _ACCOUNT.c.participant_id == _PARTICIPANT.c.id)
        .outerjoin(_TYPE, _TYPE.c.code == bindparam("type_code"))
        .outerjoin(_BANK, _BANK.c.code == bindparam("bank_code"))
        .outerjoin(_CLAIM, _CLAIM.c.participant_id == _PARTICIPANT.c.id)
        .outerjoin(_KEYED, _KEYED.c.idempotency_key == bindparam("key"))
    )
    .where(_PARTICIPANT.c.id == bindparam("participant_id"))
    .order_by(_CLAIM.c.id)
)
_CONTEXT_READ = Prepared(_CONTEXT)
_CONTEXT_LOCKED = Prepared(_CONTEXT.with_for_update(of=_PARTICIPANT))


def _insert_claim(next_id: Any, six_digits: Callable[[Any], Any]) -> Prepared:
    """The claim inserted with its reference in one statement: its id taken first (a CTE that
    runs once) and given to both columns; the reference's year comes as `reference_prefix`."""
    taken = core_select(next_id.label("id")).cte("next_claim")
    claim_id = core_select(taken.c.id).scalar_subquery()
    return Prepared(insert(_CLAIM).add_cte(taken).values(
        id=claim_id, reference=bindparam("reference_prefix", type_=String) + six_digits(claim_id),
    ).returning(_CLAIM.c.id))


_INSERT_CLAIM = {
    # the id the column's own default would give: the sequence's next value
    "postgresql": _insert_claim(func.nextval(func.pg_get_serial_sequence("claim", "id")), lambda claim_id: func.lpad(
        cast(claim_id, Text), func.greatest(6, func.length(cast(claim_id, Text))), "0")),
    # the rowid SQLite would choose (one more than the largest; no AUTOINCREMENT), under the write lock
    "sqlite": _insert_claim(core_select(func.coalesce(func.max(_CLAIM.c.id), 0) + 1).scalar_subquery(),
                            lambda claim_id: func.printf("%06d", claim_id)),
}
_RESERVE = Prepared(update(_PARTICIPANT).where(_PARTICIPANT.c.id == bindparam("b_id")).values(
    reserved=_PARTICIPANT.c.reserved + bindparam("b_amount"), address=bindparam("b_address"),
    postal_code=bindparam("b_postal_code"), phone=bindparam("b_phone"), email=bindparam("b_email"),
    contact_confirmed_at=bindparam("b_now"), updated_at=bindparam("b_now"),
    email_verified_at=case((_PARTICIPANT.c.email == bindparam("b_email"), _PARTICIPANT.c.email_verified_at), else_=None),
))
_INSERT_EVENT = Prepared(insert(_EVENT))


_NAMES = list(_CONTEXT.selected_columns.keys())
_COLUMNS = {
    prefix: [(index, name.removeprefix(prefix)) for index, name in enumerate(_NAMES) if name.startswith(prefix)]
    for prefix in ("account_", "type_", "bank_", "keyed_")
}
_KEYS = {prefix: _NAMES.index(prefix + key) for prefix, key in (
    ("account_", "id"), ("type_", "code"), ("bank_", "code"), ("keyed_", "id"))}
"""Each joined table's primary key, None exactly when the outer join found no row."""
_CLAIM_COLUMNS = [_NAMES.index(f"claim_{name}") for name in _CLAIM_READ]
"""The participant's claims' columns in each row (the first one its id, None when they have none)."""


@dataclass(frozen=True)
class _Context:
    """Everything a claim is checked against, read in one statement (one row per claim joined):
    the participant with their account, the claim type and the bank chosen (None when there is
    no such one); their claims, and the claim already made with the idempotency key (anyone's;
    joined on its own, each join an index search: one join on either condition was a full scan
    of the claims on PostgreSQL)."""

    participant: Any
    account: SimpleNamespace | None
    claim_type: SimpleNamespace | None
    bank: SimpleNamespace | None
    claims: list[SimpleNamespace]
    keyed: SimpleNamespace | None
    raw: list[Any]
    """The rows as the driver gave them: a later read that gives the same ones found the same."""


def _part(row: Any, prefix: str) -> SimpleNamespace | None:
    """The columns of one joined table, by their names; None when the join found no row."""
    if row[_KEYS[prefix]] is None:
        return None
    return SimpleNamespace(**{name: row[index] for index, name in _COLUMNS[prefix]})


def _context(connection: Connection, participant_id: int, type_code: str, bank_code: str, key: str | None,
             lock: bool = False, earlier: _Context | None = None) -> _Context:
    """`lock`: the participant row stays locked until the transaction ends (PostgreSQL).
    `earlier`: a context read before, returned as it is when the rows read now are the same.
    Only the first row is converted whole (the others differ only in their claim's columns)."""
    fetched = (_CONTEXT_LOCKED if lock else _CONTEXT_READ).fetch(connection, {
        "participant_id": participant_id, "type_code": type_code, "bank_code": bank_code, "key": key or "",
    })
    if earlier is not None and fetched.raw == earlier.raw:
        return earlier
    found = fetched.first()
    if found is None:
        raise NotFound("profile.not_found")
    claims = [SimpleNamespace(**dict(zip(_CLAIM_READ, values, strict=True)))
              for values in fetched.columns(_CLAIM_COLUMNS) if values[0] is not None]
    return _Context(
        found, _part(found, "account_"), _part(found, "type_"), _part(found, "bank_"), claims,
        _part(found, "keyed_") if key else None, fetched.raw,
    )


def _report(rt: Runtime, connection: Connection, context: _Context) -> RequirementReport:
    if context.claim_type is None:
        raise NotFound("claim.type_not_found")
    return requirements.evaluate(connection, rt, context.participant, context.account, context.claim_type,
                                 claims=context.claims)


def _validate_draft(context: _Context, draft: ClaimDraft, report: RequirementReport, today: date) -> CleanClaim:
    """The form checked against every rule. A type that pays the whole balance has a fixed
    amount (`report.fixed_amount`): the form shows it, and an empty amount means that one."""
    participant, claim_type, bank = context.participant, context.claim_type, context.bank
    errors: list[ValidationError] = []
    values: dict[str, object] = {}

    def attempt(name: str, check: Callable[[], object]) -> None:
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
        if draft.account_number.strip():  # its length waits for the bank; its characters need not
            attempt("account_number", lambda: validation.account_digits(draft.account_number))
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
    assert claim_type is not None and bank is not None and isinstance(amount, int)
    return CleanClaim(
        claim_type.code, amount, bank.code, bank.name, str(values["account_number"]),
        str(values["account_holder"]), str(values["reason"]), tuple(claim_type.documents),
        tax.estimate(claim_type.code, amount, today),
    )


def validate_draft(rt: Runtime, identity: Identity, draft: ClaimDraft) -> CleanClaim:
    """Check every field of the form against its rule; raises FormErrors naming each bad field."""
    with rt.query() as connection:
        context = _context(connection, identity.participant_id, draft.type_code, draft.bank_code, None)
        return _validate_draft(context, draft, _report(rt, connection, context), rt.today())


class _Filed(Protocol):
    """The columns of a claim its receipt shows: a Claim, a claim joined into the context, or
    the values just inserted."""

    participant_id: int
    reference: str | None
    claim_type_code: str
    amount: int
    stage: str
    created_at: datetime


def _service_days(rt: Runtime, participant: Holder) -> int:
    return SLA_SMALL_DAYS if participant.balance <= rt.settings.small_balance_limit else SLA_LARGE_DAYS


def _receipt(rt: Runtime, claim: _Filed, participant: Holder, contact_changed: tuple[str, ...] = ()) -> Receipt:
    created = as_utc(claim.created_at)
    days = _service_days(rt, participant)
    local_day = created.astimezone(rt.settings.zone).date()
    return Receipt(
        claim.reference or "", claim.claim_type_code, claim.amount, claim.stage, next_stage(claim.stage),
        days, add_working_days(local_day, days), created, contact_changed,
    )


def _existing(session: Session, identity: Identity, key: str) -> _Filed | None:
    return _mine(identity, session.exec(select(Claim).where(Claim.idempotency_key == key)).first())


def _mine(identity: Identity, claim: _Filed | None) -> _Filed | None:
    """The claim made with a key, which must be the participant's own."""
    if claim is not None and claim.participant_id != identity.participant_id:
        raise NotFound("claim.key_conflict")
    return claim


def receipt_for_key(rt: Runtime, identity: Identity, key: str) -> Receipt | None:
    """The receipt of the claim already made with `key`, if any."""
    with rt.read() as session:
        claim = _existing(session, identity, key)
        if claim is None:
            return None
        participant = session.get(Participant, claim.participant_id)
        assert participant is not None, "a claim's participant (foreign key)"
        return _receipt(rt, claim, participant)


def submit_claim(
    rt: Runtime, identity: Identity, draft: ClaimDraft, contact: Contact, secret: str | SecretStr, key: str
) -> Receipt:
    """"Simpan": check the form, re-authenticate, then in one transaction check the requirements
    against the locked participant, confirm the contact data, insert the claim, reserve its
    amount, record its first stage, notify and audit.

    Calling again with the same key returns the first claim's receipt and creates nothing, before
    any PIN check. A form that does not hold is refused before the PIN is checked. Its units
    of work (the context read, the PIN attempt, the claim's transaction) share one pooled
    connection (`db.one_connection`), held across the PIN's check as well.
    """
    secret = masked(secret)
    with rt.one_connection():
        return _submit(rt, identity, draft, contact, secret, key)


def _submit(rt: Runtime, identity: Identity, draft: ClaimDraft, contact: Contact, secret: SecretStr,
            key: str) -> Receipt:
    """`submit_claim` on the connection it holds."""
    with rt.query() as connection:
        context = _context(connection, identity.participant_id, draft.type_code, draft.bank_code, key)
        earlier = _mine(identity, context.keyed)
        if earlier is not None:
            return _receipt(rt, earlier, context.participant)
        clean_contact = profile.validate_contact(contact)
        today = rt.today()
        report = _report(rt, connection, context)
        checked = _Checked(context, today, report, _validate_draft(context, draft, report, today))
    account = context.account
    attempt = auth.prove(rt, identity, secret, account.secret_hash if account is not None else None)
    try:
        return _insert(rt, identity, draft, clean_contact, key, attempt, checked)
    except IntegrityError:
        _settle(rt, attempt)
        receipt = receipt_for_key(rt, identity, key)
        if receipt is None:
            raise
        return receipt
    except Exception:
        _settle(rt, attempt)
        raise


def _settle(rt: Runtime, attempt: Attempt) -> None:
    """The PIN was right but the claim's transaction did not commit: settle the attempt on its own
    (a busy database leaves it counted, as a session killed at that moment would)."""
    with suppress(SystemBusy), rt.transaction() as connection:
        throttle.succeeded(connection, rt, attempt)


@dataclass(frozen=True)
class _Written:
    """The participant as the claim's transaction leaves them: who they are and the contact data
    just confirmed (the messages and the audit rows it writes are addressed with it)."""

    id: int
    nib: str
    language: str
    email: str
    phone: str


@dataclass(frozen=True)
class _Checked:
    """The form as checked before the PIN: against this context, on this day."""

    context: _Context
    today: date
    report: RequirementReport
    clean: CleanClaim


def _insert(rt: Runtime, identity: Identity, draft: ClaimDraft, contact: Contact, key: str, attempt: Attempt,
            checked: _Checked) -> Receipt:
    """The claim's transaction, on a Core connection: every row written once with a prepared
    statement, nothing read back. The requirements and the form are checked again against the
    locked participant, unless the rows locked are those they were checked against before the
    PIN, on the same day (the checks would give the same answers). The receipt is made after
    the commit (on SQLite the write lock is held no longer than the writes need)."""
    with rt.transaction() as connection:
        context = _context(connection, identity.participant_id, draft.type_code, draft.bank_code, key, lock=True,
                           earlier=checked.context)
        throttle.succeeded(connection, rt, attempt)
        participant = context.participant
        claim = _mine(identity, context.keyed)
        if claim is not None:
            return _receipt(rt, claim, participant)
        today = rt.today()
        unchanged = context is checked.context and today == checked.today
        report = checked.report if unchanged else _report(rt, connection, context)
        unmet = report.first_unmet()
        if unmet is not None:
            raise RequirementError(f"req.{unmet.key}.unmet", **unmet.params)
        clean = checked.clean if unchanged else _validate_draft(context, draft, report, today)
        now = rt.now()
        changed = profile.changed_fields(participant, contact)
        values = {
            "idempotency_key": key, "participant_id": participant.id, "claim_type_code": clean.type_code,
            "amount": clean.amount, "bank_code": clean.bank_code, "account_number": clean.account_number,
            "account_holder": clean.account_holder, "reason": clean.reason, "documents": list(clean.documents),
            "stage": "agenda", "terminal_id": rt.settings.terminal_id, "branch": rt.settings.branch,
            "created_at": now, "updated_at": now, **_CLAIM_DEFAULTS,
        }
        prefix = f"KIDB-{now.astimezone(rt.settings.zone).year}-"
        (claim_id,) = _INSERT_CLAIM[connection.dialect.name].rows(connection, {**values, "reference_prefix": prefix})[0]
        reference = f"{prefix}{claim_id:06d}"
        _RESERVE.run(connection, {
            "b_id": participant.id, "b_amount": clean.amount, "b_address": contact.address,
            "b_postal_code": contact.postal_code, "b_phone": contact.phone, "b_email": contact.email, "b_now": now,
        })
        _INSERT_EVENT.run(connection, {"claim_id": claim_id, "stage": "agenda", "note": "", "actor": identity.nib,
                                           "at": now})
        written = _Written(participant.id, participant.nib, participant.language, contact.email, contact.phone)
        profile.after_contact(connection, rt, written, changed, participant.email)
        notifications.notify_participant(connection, rt, written, "claim_received", reference=reference,
                                         amount=clean.amount)
        audit.record(
            connection, rt, identity.nib, "claim.submitted", reference, type=clean.type_code,
            amount=clean.amount, bank=clean.bank_code, account=mask_tail(clean.account_number),
        )
    filed = SimpleNamespace(reference=reference, claim_type_code=clean.type_code, amount=clean.amount, stage="agenda",
                            created_at=now)
    return _receipt(rt, filed, participant, tuple(changed))


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
