"""The back-office services on a real PostgreSQL server: the two-officer race, many threads on
one claim version, money through review, the audit chain under concurrent writers (advisory
lock), concurrent failed officer logins, and the migration that chains older audit rows."""

import pytest
from sqlalchemy import func
from sqlmodel import select

from kidb_tui import migrate
from kidb_tui.db import make_engine
from kidb_tui.models import AuditEvent, ClaimEvent, LoginThrottle, Officer
from kidb_tui.services import auth, counter, demo, officers, reset_codes, review
from kidb_tui.services.audit import verify_chain
from kidb_tui.services.review import ConcurrentChange
from kidb_tui.services.runtime import Runtime
from tests.backoffice_services.helpers import (
    ANI,
    BAMBANG,
    LOWER,
    OLD_ROWS,
    assert_money_invariants,
    audit_rows,
    claim,
    claim_of,
    count,
    file_claim,
    insert_old_rows,
    notifications_of,
    officer,
    participant,
    run_together,
    walk,
)
from tests.conftest import AGUS, BUDI, JOKO, SITI

NOTE = "Dokumen surat dokter belum ada: lampirkan surat keterangan dokter."


@pytest.fixture
def pg_demo(pg_rt):
    demo.seed(pg_rt)
    return pg_rt


def audit_count(rt) -> int:
    with rt.read() as session:
        return session.exec(select(func.count()).select_from(AuditEvent)).one()


def test_the_second_officer_gets_a_concurrent_change(pg_demo):
    ani, bambang = officer(pg_demo, ANI), officer(pg_demo, BAMBANG)
    budi_claim = claim_of(pg_demo, BUDI)
    seen_by_ani, seen_by_bambang = review.detail(pg_demo, budi_claim.id), review.detail(pg_demo, budi_claim.id)
    review.assess(pg_demo, ani, seen_by_ani.claim_id, seen_by_ani.version, 4_000_000, True, difference_reason=LOWER)
    with pytest.raises(ConcurrentChange) as caught:
        review.reject(pg_demo, bambang, seen_by_bambang.claim_id, seen_by_bambang.version, "documents_incomplete", NOTE)
    assert caught.value.key == "review.changed_elsewhere"
    after = claim(pg_demo, budi_claim.id)
    assert (after.stage, after.version, after.rejection_code) == ("penetapan", 2, "")
    assert notifications_of(pg_demo, BUDI, "claim_rejected") == []
    assert audit_rows(pg_demo, "review.ditolak", budi_claim.reference) == []
    assert participant(pg_demo, BUDI).reserved == 4_500_000


def test_many_threads_on_one_version_leave_one_winner(pg_demo):
    ani, bambang = officer(pg_demo, ANI), officer(pg_demo, BAMBANG)
    budi_claim = claim_of(pg_demo, BUDI)
    calls = [
        lambda: review.assess(pg_demo, ani, budi_claim.id, 1, 4_000_000, True, difference_reason=LOWER),
        lambda: review.reject(pg_demo, bambang, budi_claim.id, 1, "documents_incomplete", NOTE),
    ] * 4
    outcomes = run_together(calls)
    assert sum(outcome is None for outcome in outcomes) == 1
    assert all(isinstance(o, ConcurrentChange) for o in outcomes if o is not None), outcomes
    after = claim(pg_demo, budi_claim.id)
    assert after.version == 2
    assert count(pg_demo, ClaimEvent, ClaimEvent.claim_id == budi_claim.id) == 2
    assert participant(pg_demo, BUDI).reserved == {"penetapan": 4_500_000, "ditolak": 0}[after.stage]
    assert len(audit_rows(pg_demo, f"review.{after.stage}", budi_claim.reference)) == 1
    assert verify_chain(pg_demo) is None


def money(rt, person) -> tuple[int, int]:
    row = participant(rt, person)
    return row.balance, row.reserved


def test_payment_and_rejection_move_the_money(pg_demo):
    ani = officer(pg_demo, ANI)
    walk(pg_demo, claim_of(pg_demo, BUDI).id, "selesai", ani, approved=4_000_000)
    assert money(pg_demo, BUDI) == (38_000_000, 0)
    siti_claim = file_claim(pg_demo, SITI, "biaya_medis", "2.000.000", "pg-siti-medis")
    assert money(pg_demo, SITI) == (85_000_000, 2_000_000)
    review.reject(pg_demo, ani, siti_claim.id, siti_claim.version, "other", NOTE)
    assert money(pg_demo, SITI) == (85_000_000, 0)
    assert_money_invariants(pg_demo)


def test_the_audit_chain_holds_under_concurrent_writers(pg_demo):
    ani = officer(pg_demo, ANI)
    budi_claim = claim_of(pg_demo, BUDI)
    before = audit_count(pg_demo)

    def failed_officer_logins(name: str):
        """From a terminal of its own: one terminal's 12 failures would make it wait."""
        rt = Runtime.create(pg_demo.settings.with_(terminal_id=f"BO-{name}"), pg_demo.clock)
        try:
            return [officers.login(rt, name, "Wrong-Password-123").error_key for _ in range(4)]
        finally:
            rt.engine.dispose()

    def card_changes(person):
        for blocked in (True, False, True, False):
            counter.set_card_status(pg_demo, ani, person.nib, blocked=blocked, reason="Pemeriksaan kartu di loket")

    def participant_logins():
        return [auth.login(pg_demo, SITI.nib, SITI.secret).ok for _ in range(4)]

    calls = [
        lambda: failed_officer_logins("nobody.one"),
        lambda: failed_officer_logins("nobody.two"),
        lambda: failed_officer_logins("nobody.three"),
        lambda: card_changes(JOKO),
        lambda: card_changes(AGUS),
        participant_logins,
        lambda: review.assess(pg_demo, ani, budi_claim.id, 1, 4_000_000, True, difference_reason=LOWER),
        lambda: review.assess(pg_demo, ani, budi_claim.id, 1, 4_100_000, True, difference_reason=LOWER),
    ]
    outcomes = run_together(calls)
    assert outcomes[:3] == [["auth.failed"] * 4] * 3
    assert outcomes[5] == [True] * 4
    assert sorted(type(o).__name__ for o in outcomes[6:]) == ["ConcurrentChange", "NoneType"]
    assert audit_count(pg_demo) == before + 3 * 4 + 2 * 4 + 4 + 1
    assert verify_chain(pg_demo) is None


def test_concurrent_wrong_passwords_never_get_more_than_the_limit(pg_demo, monkeypatch):
    checked = []
    real_verify = pg_demo.hasher.verify
    monkeypatch.setattr(pg_demo.hasher, "verify", lambda h, s: checked.append(h) or real_verify(h, s))
    outcomes = run_together([
        lambda: officers.login(pg_demo, "ani.petugas", "Wrong-Password-123") for _ in range(8)
    ])
    assert [getattr(o, "error_key", o) for o in outcomes] == ["auth.failed"] * 8
    with pg_demo.read() as session:
        ani_hash = session.exec(select(Officer.password_hash).where(Officer.username == "ani.petugas")).one()
        assert session.get(LoginThrottle, "officer:ani.petugas").failures == pg_demo.settings.lock_threshold
    assert checked.count(ani_hash) == pg_demo.settings.lock_threshold
    assert officers.login(pg_demo, "ani.petugas", ANI[1]).error_key == "auth.failed"
    assert checked.count(ani_hash) == pg_demo.settings.lock_threshold


def test_one_reset_code_redeemed_from_many_threads_sets_one_pin(pg_demo):
    code = reset_codes.issue(pg_demo, officer(pg_demo, ANI), SITI.nib, ktp_seen=True)
    pins = ["483920", "604172", "729305", "815064"]
    outcomes = run_together([
        lambda pin=pin: reset_codes.redeem(pg_demo, SITI.nib, code, "pin", pin, pin) for pin in pins
    ])
    winners = [pin for pin, outcome in zip(pins, outcomes, strict=True) if not isinstance(outcome, Exception)]
    assert len(winners) == 1, outcomes
    assert all(getattr(o, "key", None) == "reset.invalid_code" for o in outcomes if isinstance(o, Exception)), outcomes
    assert len(notifications_of(pg_demo, SITI, "password_reset")) == 1


def test_the_migration_chains_older_rows(pg_settings, clock):
    engine = make_engine(pg_settings.database_url)
    try:
        migrate.upgrade(engine, "0001")
        insert_old_rows(engine)
        migrate.upgrade(engine, audit_key=pg_settings.audit_key)
        rt = Runtime.create(pg_settings, clock, engine)
        assert audit_count(rt) == len(OLD_ROWS)
        assert verify_chain(rt) is None
    finally:
        engine.dispose()
