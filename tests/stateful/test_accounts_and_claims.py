"""Accounts and claims against a simple model (Hypothesis RuleBasedStateMachine).

Rules: activate (right and wrong birth date), log in with good and bad PINs, lock after five
failures, unlock at the counter or from the CLI, file claims with new, refused-before and
already-used idempotency keys (with good and bad PINs), officer actions (assess, approve, pay,
close, reject, also with a stale version), and the clock moving on. After every step the
database must agree with the model: each participant's claims and their stages, balance and
reserved amount, the failed-login rows and locks, and the audit chain must verify.

Every example starts from a fresh copy of one migrated SQLite template (three participants,
the first with a kiosk account; two officers) with its own frozen clock; the search is
derandomized so the test is deterministic.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlmodel import col, select

from kidb_tui.bootstrap import prepare
from kidb_tui.clock import FrozenClock, as_utc
from kidb_tui.config import Settings
from kidb_tui.errors import AuthError, DomainError, FormErrors, NotFound, RequirementError
from kidb_tui.models import Claim, LoginThrottle, Officer, Participant
from kidb_tui.services import audit, auth, counter, officers, participants, review
from kidb_tui.services.auth import Identity
from kidb_tui.services.claims import ClaimDraft, Receipt, submit_claim
from kidb_tui.services.officers import OfficerIdentity
from kidb_tui.services.profile import get_profile
from kidb_tui.services.runtime import Runtime
from kidb_tui.services.throttle import TERMINAL_PREFIX, is_locked
from tests.conftest import AUDIT_KEY, FAST_ARGON2, FROZEN_AT
from tests.crash import population

WRONG_PIN = "975318"
LOCK_THRESHOLD, LOCK_MINUTES = 5, 30
SUPERVISOR_THRESHOLD = 4_000_000
OPEN_STAGES = ("agenda", "penetapan", "persetujuan", "pembayaran")
RESERVING_STAGES = REJECTABLE = ("agenda", "penetapan", "persetujuan")
ALLOWED = {"assess": ("agenda",), "approve": ("penetapan",), "pay": ("persetujuan",), "close": ("pembayaran",),
           "reject": REJECTABLE}
MOSTLY_GOOD = st.sampled_from((True, True, True, False))


@dataclass(frozen=True)
class ClaimKind:
    code: str
    share_pct: int
    membership_years: int
    full_balance: bool
    one_time: bool


KINDS = (
    ClaimKind("biaya_medis", 30, 1, False, False),
    ClaimKind("biaya_lainnya", 10, 5, False, False),
    ClaimKind("jht_meninggalkan_indonesia", 100, 0, True, True),
)
# (participant number, balance, membership start): the second reaches one year of membership
# 25 days after the frozen start, the third has no kiosk account yet.
PEOPLE = ((1, 20_000_000, date(2015, 1, 1)), (2, 8_000_000, date(2025, 12, 20)), (3, 3_000_000, date(2010, 6, 1)))
PRE_ACTIVATED = (1,)  # and signed in when an example starts

SETTINGS = Settings(
    database_url="sqlite://", pepper=b"stateful-pepper", audit_key=AUDIT_KEY, argon2=FAST_ARGON2, failure_delay_base=0.0,
    failure_delay_max=0.0, lock_threshold=LOCK_THRESHOLD, lock_minutes=LOCK_MINUTES,
    supervisor_threshold=SUPERVISOR_THRESHOLD,
    terminal_failure_limit=10**6,  # terminals have tests of their own: tests/services/test_throttle.py
)


def build_template(folder: Path) -> Path:
    """The migrated database every example starts from."""
    path = folder / "template.sqlite3"
    rt = prepare(SETTINGS.with_(database_url=f"sqlite:///{path}"), FrozenClock(FROZEN_AT))
    rows = [population.row(n, balance, start) for n, balance, start in PEOPLE]
    assert participants.import_text(rt, population.csv_text(rows)).ok
    for n in PRE_ACTIVATED:
        population.activate(rt, n)
    for username, password, role in population.OFFICERS:
        officers.add_officer(rt, username, password, role)
    rt.engine.dispose()
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@dataclass
class ThrottleRow:
    failures: int = 0
    locked_until: datetime | None = None


@dataclass
class ModelClaim:
    key: str
    owner: int
    kind: ClaimKind
    amount: int
    reference: str
    stage: str = "agenda"
    version: int = 1
    approved: int | None = None
    assessed_by: str = ""


@dataclass
class Person:
    n: int
    balance: int
    membership_start: date
    activated: bool
    identity: Identity | None = None
    claims: list[ModelClaim] = field(default_factory=list)

    @property
    def nib(self) -> str:
        return population.nib(self.n)

    @property
    def reserved(self) -> int:
        return sum(claim.amount for claim in self.claims if claim.stage in RESERVING_STAGES)


def expect(call, error_type: type[Exception], key: str | None = None) -> Exception:
    """Run `call`, which must raise `error_type` (with translation key `key` when given)."""
    try:
        result = call()
    except error_type as error:
        if key is not None:
            assert getattr(error, "key", None) == key, (error, key)
        return error
    raise AssertionError(f"expected {error_type.__name__} {key or ''}, got {result!r}")


class AccountsAndClaims(RuleBasedStateMachine):
    def __init__(self, template: Path) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="kidb-stateful-"))
        database = self.folder / "kidb.sqlite3"
        shutil.copyfile(template, database)
        self.clock = FrozenClock(FROZEN_AT)
        self.rt = Runtime.create(SETTINGS.with_(database_url=f"sqlite:///{database}"), self.clock)
        self.people = [Person(n, balance, start, n in PRE_ACTIVATED) for n, balance, start in PEOPLE]
        self.throttle: dict[str, ThrottleRow] = {}
        self.refused_keys: list[tuple[int, str]] = []
        with self.rt.read() as session:
            rows = session.exec(select(Officer).order_by(col(Officer.id))).all()
        self.officers = [OfficerIdentity(o.id, o.username, o.role, o.branch) for o in rows]
        for person in self.people:
            if person.activated:
                person.identity = auth.login(self.rt, person.nib, population.PIN).identity

    def teardown(self) -> None:
        self.rt.engine.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)

    # the model's throttle, mirroring the rules of kidb_tui.services.auth

    def now(self) -> datetime:
        return self.clock.now()

    def locked(self, key: str) -> bool:
        row = self.throttle.get(key)
        return bool(row and row.locked_until and row.locked_until > self.now())

    def fail(self, key: str) -> bool:
        """Count a failure (none while locked: the attempt is refused unchecked); whether the
        key is now at or over the threshold."""
        row = self.throttle.setdefault(key, ThrottleRow())
        if row.locked_until and row.locked_until <= self.now():
            row.failures, row.locked_until = 0, None
        if not self.locked(key):
            row.failures += 1
        over = row.failures >= LOCK_THRESHOLD
        if over and not self.locked(key):
            row.locked_until = self.now() + timedelta(minutes=LOCK_MINUTES)
        return over

    @property
    def all_claims(self) -> list[ModelClaim]:
        return [claim for person in self.people for claim in person.claims]

    def person(self, index: int) -> Person:
        return self.people[index % len(self.people)]

    def owner(self, claim: ModelClaim) -> Person:
        return next(person for person in self.people if person.n == claim.owner)

    def signed_in(self) -> list[Person]:
        return [person for person in self.people if person.identity is not None]

    # accounts

    @rule(index=st.integers(0, 2), right_birth_date=st.booleans())
    def activate(self, index: int, right_birth_date: bool) -> None:
        person = self.person(index)
        born = population.birth_date(person.n) + (timedelta(0) if right_birth_date else timedelta(days=1))

        def call():
            return population.activate(self.rt, person.n, born)

        key = f"act:{person.nib}"
        if self.locked(key) or not right_birth_date:
            self.fail(key)
            expect(call, AuthError, "activation.mismatch")
        elif person.activated:
            self.throttle.pop(key, None)
            expect(call, AuthError, "activation.already_active")
        else:
            self.throttle.pop(key, None)
            assert call().nib == person.nib
            person.activated = True

    @rule(index=st.integers(0, 2), good=st.booleans())
    def log_in(self, index: int, good: bool) -> None:
        person = self.person(index)
        result = auth.login(self.rt, person.nib, population.PIN if good else WRONG_PIN)
        if not (good and person.activated) or self.locked(person.nib):
            self.fail(person.nib)
            assert (result.identity, result.error_key) == (None, "auth.failed")
        else:
            self.throttle.pop(person.nib, None)
            assert result.identity is not None and result.identity.nib == person.nib, result
            person.identity = result.identity

    @rule(index=st.integers(0, 2), attempts=st.integers(2, 6))
    def guess_pins(self, index: int, attempts: int) -> None:
        """Someone tries wrong PINs in a row: the fifth failure locks the NIB for 30 minutes."""
        for _ in range(attempts):
            self.log_in(index, good=False)

    @rule(index=st.integers(0, 2), at_counter=st.booleans())
    def unlock(self, index: int, at_counter: bool) -> None:
        person = self.person(index)
        if at_counter:
            keys = (person.nib, f"act:{person.nib}")
            cleared = counter.unlock_account(self.rt, self.officers[0], person.nib, True)
        else:
            keys = (person.nib,)
            cleared = auth.unlock(self.rt, person.nib, actor="cli")
        assert cleared == any(key in self.throttle for key in keys)
        for key in keys:
            self.throttle.pop(key, None)

    @rule(minutes=st.sampled_from((1, 29, 31, 24 * 60, 10 * 24 * 60)))
    def advance_clock(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)

    # claims

    def max_amount(self, person: Person, kind: ClaimKind) -> int:
        available = person.balance - person.reserved
        if kind.full_balance:
            return max(available, 0)
        return max(available, 0) * kind.share_pct // 100

    def unmet(self, person: Person, kind: ClaimKind) -> str | None:
        """The first requirement not met, in the order kidb_tui.services.requirements checks them."""
        today = self.now().date()
        start = person.membership_start
        if person.balance - person.reserved <= 0:
            return "balance_positive"
        if any(c.kind == kind and c.stage in OPEN_STAGES for c in person.claims):
            return "no_open_claim"
        if kind.membership_years and date(start.year + kind.membership_years, start.month, start.day) > today:
            return "membership_years"
        if kind.one_time and any(c.kind == kind and c.stage != "ditolak" for c in person.claims):
            return "one_time"
        return None

    def draft(self, person: Person, kind: ClaimKind, amount: int) -> ClaimDraft:
        return ClaimDraft(kind.code, str(amount), population.BANK_CODE, population.ACCOUNT_NUMBER,
                          population.full_name(person.n), "Biaya rawat inap", population.DOCUMENTS[kind.code])

    def submit(self, person: Person, kind: ClaimKind, amount: int, good: bool, key: str):
        contact = get_profile(self.rt, person.identity.participant_id).contact
        pin = population.PIN if good else WRONG_PIN
        return lambda: submit_claim(self.rt, person.identity, self.draft(person, kind, amount), contact, pin, key)

    @precondition(lambda self: self.signed_in())
    @rule(index=st.integers(0, 2), kind=st.sampled_from(KINDS), quarter_millions=st.integers(1, 24),
          exact=st.booleans(), good=MOSTLY_GOOD, reuse_refused=st.booleans())
    def file_claim(self, index: int, kind: ClaimKind, quarter_millions: int, exact: bool, good: bool,
                   reuse_refused: bool) -> None:
        person = self.signed_in()[index % len(self.signed_in())]
        ceiling = self.max_amount(person, kind)
        amount = ceiling if exact and ceiling > 0 else quarter_millions * 250_000
        earlier = [key for owner, key in self.refused_keys if owner == person.n]
        key = earlier[0] if reuse_refused and earlier else uuid.uuid4().hex
        call = self.submit(person, kind, amount, good, key)
        if (kind.full_balance and amount != ceiling) or amount > ceiling:
            expect(call, FormErrors)
        elif self.locked(person.nib):
            expect(call, AuthError, "auth.reauth_locked")
        elif not good:
            locked = self.fail(person.nib)
            expect(call, AuthError, "auth.reauth_locked" if locked else "auth.reauth_failed")
        else:
            self.throttle.pop(person.nib, None)
            missing = self.unmet(person, kind)
            if missing is not None:
                expect(call, RequirementError, f"req.{missing}.unmet")
            else:
                receipt = call()
                assert isinstance(receipt, Receipt) and receipt.amount == amount
                person.claims.append(ModelClaim(key, person.n, kind, amount, receipt.reference))
                if (person.n, key) in self.refused_keys:
                    self.refused_keys.remove((person.n, key))
                return
        if (person.n, key) not in self.refused_keys:
            self.refused_keys.append((person.n, key))

    @precondition(lambda self: self.all_claims)
    @rule(pick=st.integers(0, 10**6), good=st.booleans())
    def repeat_claim(self, pick: int, good: bool) -> None:
        """Pressing Simpan again (even with a wrong PIN) returns the first claim and writes nothing."""
        claim = self.all_claims[pick % len(self.all_claims)]
        person = self.owner(claim)
        receipt = self.submit(person, claim.kind, claim.amount, good, claim.key)()
        assert (receipt.reference, receipt.amount) == (claim.reference, claim.amount)

    @precondition(lambda self: self.all_claims and len(self.signed_in()) > 1)
    @rule(pick=st.integers(0, 10**6))
    def reuse_anothers_key(self, pick: int) -> None:
        claim = self.all_claims[pick % len(self.all_claims)]
        other = next(person for person in self.signed_in() if person.n != claim.owner)
        expect(self.submit(other, claim.kind, 250_000, True, claim.key), NotFound, "claim.key_conflict")

    # officers

    def in_stage(self, *stages: str) -> list[ModelClaim]:
        return [claim for claim in self.all_claims if claim.stage in stages]

    def officer(self, supervisor: bool) -> OfficerIdentity:
        return self.officers[1 if supervisor else 0]

    @precondition(lambda self: self.in_stage("agenda"))
    @rule(pick=st.integers(0, 10**6), supervisor=st.booleans(), tenths_approved=st.integers(1, 11))
    def assess(self, pick: int, supervisor: bool, tenths_approved: int) -> None:
        claim = self.pick(self.in_stage("agenda"), pick)
        officer, approved = self.officer(supervisor), claim.amount * tenths_approved // 10
        call = self.action("assess", claim, claim.version, officer, approved)
        if approved > claim.amount:
            expect(call, FormErrors)
            return
        call()
        self.advanced(claim, "penetapan", approved=approved, assessed_by=officer.username)

    @precondition(lambda self: self.in_stage("penetapan"))
    @rule(pick=st.integers(0, 10**6), supervisor=st.booleans())
    def approve(self, pick: int, supervisor: bool) -> None:
        claim = self.pick(self.in_stage("penetapan"), pick)
        officer = self.officer(supervisor)
        call = self.action("approve", claim, claim.version, officer)
        if (claim.approved or claim.amount) > SUPERVISOR_THRESHOLD:
            if not officer.is_supervisor:
                expect(call, DomainError, "review.needs_supervisor")
                return
            if officer.username == claim.assessed_by:
                expect(call, DomainError, "review.four_eyes")
                return
        call()
        self.advanced(claim, "persetujuan")

    @precondition(lambda self: self.in_stage("persetujuan"))
    @rule(pick=st.integers(0, 10**6), supervisor=st.booleans())
    def pay(self, pick: int, supervisor: bool) -> None:
        claim = self.pick(self.in_stage("persetujuan"), pick)
        self.action("pay", claim, claim.version, self.officer(supervisor))()
        self.owner(claim).balance -= claim.approved or claim.amount
        self.advanced(claim, "pembayaran")

    @precondition(lambda self: self.in_stage("pembayaran"))
    @rule(pick=st.integers(0, 10**6), supervisor=st.booleans())
    def close(self, pick: int, supervisor: bool) -> None:
        claim = self.pick(self.in_stage("pembayaran"), pick)
        self.action("close", claim, claim.version, self.officer(supervisor))()
        self.advanced(claim, "selesai")

    @precondition(lambda self: self.in_stage(*REJECTABLE))
    @rule(pick=st.integers(0, 10**6), supervisor=st.booleans())
    def reject(self, pick: int, supervisor: bool) -> None:
        claim = self.pick(self.in_stage(*REJECTABLE), pick)
        self.action("reject", claim, claim.version, self.officer(supervisor))()
        self.advanced(claim, "ditolak")

    @precondition(lambda self: self.all_claims)
    @rule(pick=st.integers(0, 10**6), action=st.integers(0, 4), stale=st.booleans())
    def act_out_of_turn(self, pick: int, action: int, stale: bool) -> None:
        """An action with a stale version, or one the claim's stage does not allow: refused."""
        claim = self.pick(self.all_claims, pick)
        names = [name for name, stages in ALLOWED.items() if stale or claim.stage not in stages]
        name = names[action % len(names)]
        call = self.action(name, claim, claim.version + 1 if stale else claim.version, self.officer(False), 1)
        if stale:
            expect(call, review.ConcurrentChange, "review.changed_elsewhere")
        else:
            expect(call, DomainError, "review.wrong_stage")

    def pick(self, claims: list[ModelClaim], pick: int) -> ModelClaim:
        return claims[pick % len(claims)]

    def action(self, name: str, claim: ModelClaim, version: int, officer: OfficerIdentity, approved: int = 0):
        claim_id = self._id(claim)
        return {
            "assess": lambda: review.assess(self.rt, officer, claim_id, version, approved, True,
                                            difference_reason="Dokumen kurang lengkap"),
            "approve": lambda: review.approve(self.rt, officer, claim_id, version),
            "pay": lambda: review.record_payment(self.rt, officer, claim_id, version, f"TRF-{claim.reference}"),
            "close": lambda: review.close(self.rt, officer, claim_id, version),
            "reject": lambda: review.reject(self.rt, officer, claim_id, version, "other", "Dokumen tidak terbaca"),
        }[name]

    def advanced(self, claim: ModelClaim, stage: str, **changes: object) -> None:
        claim.stage, claim.version = stage, claim.version + 1
        for name, value in changes.items():
            setattr(claim, name, value)

    def _id(self, claim: ModelClaim) -> int:
        with self.rt.read() as session:
            return session.exec(select(Claim.id).where(Claim.idempotency_key == claim.key)).one()

    # invariants

    @invariant()
    def database_agrees_with_the_model(self) -> None:
        with self.rt.read() as session:
            for person in self.people:
                row = session.exec(select(Participant).where(Participant.nib == person.nib)).one()
                stored = session.exec(select(Claim).where(Claim.participant_id == row.id).order_by(col(Claim.id))).all()
                assert [(c.idempotency_key, c.stage, c.amount, c.version) for c in stored] == [
                    (c.key, c.stage, c.amount, c.version) for c in person.claims
                ], person.nib
                assert (row.balance, row.reserved) == (person.balance, person.reserved), person.nib
                assert 0 <= row.reserved <= row.balance, person.nib
            throttle = {
                row.key: (row.failures, as_utc(row.locked_until) if row.locked_until else None)
                for row in session.exec(select(LoginThrottle)).all()
                if not row.key.startswith(TERMINAL_PREFIX)
            }
            for person in self.people:
                assert is_locked(self.rt, session, person.nib) == self.locked(person.nib), person.nib
        assert throttle == {key: (row.failures, row.locked_until) for key, row in self.throttle.items()}

    @invariant()
    def audit_chain_verifies(self) -> None:
        assert audit.verify_chain(self.rt) is None


def test_accounts_and_claims_agree_with_the_model(tmp_path_factory):
    template = build_template(tmp_path_factory.mktemp("stateful-template"))
    run_state_machine_as_test(
        lambda: AccountsAndClaims(template),
        settings=settings(
            max_examples=25, stateful_step_count=30, deadline=None, derandomize=True, database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
