"""The requirement check before a claim: each rule met, unmet (with what to do and from when),
or to be completed inside the claim flow itself. With a mail server the email must be verified
(a code sent to it); without one a well-formed address will do, shown as unverified.

One limit rule, stated the same on every screen: a claim type's limit is its share of the
*available* balance (the balance less the amounts reserved by claims in progress); a type that
pays the whole balance pays all of the available balance. `ClaimLimit` carries the figures and
the sentence (`text()`) that say so.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol

from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from kidb_tui import validation
from kidb_tui.clock import as_utc
from kidb_tui.db import Unit
from kidb_tui.errors import NotFound, ValidationError
from kidb_tui.models import Claim, ClaimType, KioskAccount, Participant, stored_id
from kidb_tui.services import verification
from kidb_tui.services.runtime import Runtime

OPEN_STAGES = ("agenda", "penetapan", "persetujuan", "pembayaran")
RESERVING_STAGES = ("agenda", "penetapan", "persetujuan")
MET, UNMET, IN_FLOW = "met", "unmet", "in_flow"


class Holder(Protocol):
    """The participant's columns the requirements read: a Participant, or a row joined for it."""

    id: int | None
    card_status: str
    email: str
    email_verified_at: datetime | None
    contact_confirmed_at: datetime | None
    balance: int
    reserved: int
    birth_date: date
    membership_start: date
    employment_end: date | None


class AccountState(Protocol):
    """The kiosk account's column the requirements read."""

    status: str


class Kind(Protocol):
    """The claim type's columns the requirements read."""

    code: str
    max_share_pct: int
    min_membership_years: int
    min_age: int
    waiting_months: int
    one_time: bool
    one_time_group: str
    full_balance: bool
    requires_employment_end: bool


class Filed(Protocol):
    """The columns of a participant's claim the requirements read."""

    id: int | None
    reference: str | None
    claim_type_code: str
    amount: int
    stage: str


@dataclass(frozen=True)
class Requirement:
    """`key` names the rule; its text is `req.<key>.<status>` filled with `params`."""

    key: str
    status: str
    params: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class ClaimLimit:
    """How much of the available balance a claim type may take: `share_pct` of
    `available_amount`, rounded down to whole rupiah (`full_balance`: all of it)."""

    share_pct: int
    full_balance: bool
    available_amount: int
    max_amount: int

    def text(self) -> tuple[str, dict[str, object]]:
        """The translation key and parameters of the sentence that states the limit."""
        if self.full_balance:
            return "claim.limit_rule_full", {"max_amount": self.max_amount}
        return "claim.limit_rule_share", {
            "pct": self.share_pct, "available_amount": self.available_amount, "max_amount": self.max_amount}


@dataclass(frozen=True)
class RequirementReport:
    type_code: str
    items: tuple[Requirement, ...]
    max_amount: int
    available_amount: int
    limit: ClaimLimit

    @property
    def fixed_amount(self) -> int | None:
        """The amount of a type that pays the whole available balance: shown, not asked for."""
        return self.limit.max_amount if self.limit.full_balance else None

    @property
    def can_proceed(self) -> bool:
        return all(item.status != UNMET for item in self.items)

    def first_unmet(self) -> Requirement | None:
        return next((item for item in self.items if item.status == UNMET), None)


def add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def claim_limit(claim_type: Kind, participant: Holder, held_back: int = 0) -> ClaimLimit:
    """The limit of `claim_type` for `participant`; `held_back` is a reserved amount to count
    as available again (the claim being re-checked)."""
    available = max(participant.balance - participant.reserved + held_back, 0)
    if claim_type.full_balance:
        return ClaimLimit(100, True, available, available)
    return ClaimLimit(claim_type.max_share_pct, False, available, available * claim_type.max_share_pct // 100)


def max_amount(claim_type: Kind, participant: Holder, held_back: int = 0) -> int:
    return claim_limit(claim_type, participant, held_back).max_amount


def _email_ok(address: str) -> bool:
    try:
        validation.email(address)
    except ValidationError:
        return False
    return True


def _claims_of(unit: Unit, participant_id: int) -> Sequence[Filed]:
    """Their claims' columns the requirements read (an ORM statement: a Session flushes first)."""
    return unit.execute(
        core_select(col(Claim.id), col(Claim.reference), col(Claim.claim_type_code), col(Claim.amount), col(Claim.stage))
        .where(col(Claim.participant_id) == participant_id).order_by(col(Claim.id))
    ).all()


def evaluate(
    unit: Unit, rt: Runtime, participant: Holder, account: AccountState | None, claim_type: Kind,
    ignore_claim_id: int | None = None, claims: Sequence[Filed] | None = None,
) -> RequirementReport:
    """Every requirement for `claim_type`; `ignore_claim_id` re-checks an existing claim as if
    it had not been filed yet (the back office's view); `claims`: the participant's claims when
    the caller has already read them."""
    today = rt.now().astimezone(rt.settings.zone).date()
    items: list[Requirement] = []

    def add(key: str, ok: bool, fallback: str = UNMET, /, **params: object) -> None:
        items.append(Requirement(key, MET if ok else fallback, params))

    add("card_active", participant.card_status == "active")
    add("account_active", account is not None and account.status == "active")
    if rt.settings.mail_configured:
        add("email_verified", verification.is_verified(participant) and _email_ok(participant.email))
    else:
        add("email_valid", _email_ok(participant.email), IN_FLOW)
    confirmed = participant.contact_confirmed_at
    fresh = confirmed is not None and as_utc(confirmed) >= rt.now() - timedelta(days=rt.settings.contact_max_age_days)
    local = as_utc(confirmed).astimezone(rt.settings.zone) if confirmed else None  # as the contact step shows it
    add("contact_recent", fresh, IN_FLOW, **({"confirmed_date": local.date()} if local else {}))
    claims = _claims_of(unit, stored_id(participant.id)) if claims is None else claims
    ignored = next((c for c in claims if c.id == ignore_claim_id), None)
    claims = [c for c in claims if c is not ignored]
    held_back = ignored.amount if ignored is not None and ignored.stage in RESERVING_STAGES else 0
    available = participant.balance - participant.reserved + held_back
    add("balance_positive", available > 0, available_amount=available)
    open_same = next((c for c in claims if c.claim_type_code == claim_type.code and c.stage in OPEN_STAGES), None)
    add("no_open_claim", open_same is None, **({"reference": open_same.reference} if open_same else {}))
    if claim_type.min_membership_years:
        eligible = add_months(participant.membership_start, 12 * claim_type.min_membership_years)
        add("membership_years", eligible <= today, years=claim_type.min_membership_years, eligible_date=eligible)
    if claim_type.min_age:
        eligible = add_months(participant.birth_date, 12 * claim_type.min_age)
        add("min_age", eligible <= today, age=claim_type.min_age, eligible_date=eligible)
    if claim_type.requires_employment_end or claim_type.waiting_months:
        end = participant.employment_end
        if end is None or end > today:
            add("employment_ended", False)
        elif claim_type.waiting_months:
            eligible = add_months(end, claim_type.waiting_months)
            add("waiting_period", eligible <= today, months=claim_type.waiting_months, end_date=end, eligible_date=eligible)
        else:
            add("employment_ended", True, end_date=end)
    if claim_type.one_time:
        codes = {claim_type.code}
        if claim_type.one_time_group:
            group = select(ClaimType.code).where(ClaimType.one_time_group == claim_type.one_time_group)
            codes.update(unit.execute(group).scalars())
        earlier = next((c for c in claims if c.stage != "ditolak" and c.claim_type_code in codes), None)
        add("one_time", earlier is None, **({"reference": earlier.reference} if earlier else {}))
    limit = claim_limit(claim_type, participant, held_back)
    return RequirementReport(claim_type.code, tuple(items), limit.max_amount, limit.available_amount, limit)


def load_context(session: Session, participant_id: int, type_code: str) -> tuple[Participant, KioskAccount | None, ClaimType]:
    participant = session.get(Participant, participant_id)
    claim_type = session.get(ClaimType, type_code)
    if participant is None or claim_type is None:
        raise NotFound("claim.type_not_found")
    account = session.exec(select(KioskAccount).where(KioskAccount.participant_id == participant_id)).first()
    return participant, account, claim_type


def check(rt: Runtime, participant_id: int, type_code: str) -> RequirementReport:
    """The requirement report for one participant and claim type, computed now."""
    with rt.read() as session:
        return evaluate(session, rt, *load_context(session, participant_id, type_code))
