"""Two officers on one claim: optimistic locking by version. The second writer gets
ConcurrentChange and nothing of its action is stored; many threads at once leave exactly one
winner (kidb_tui/services/review.py on SQLite)."""

import pytest

from kidb_tui.models import ClaimEvent
from kidb_tui.services import review
from kidb_tui.services.review import ConcurrentChange
from tests.backoffice_services.helpers import (
    ANI,
    BAMBANG,
    LOWER,
    assert_money_invariants,
    audit_rows,
    claim,
    claim_of,
    count,
    notifications_of,
    officer,
    participant,
    rows,
    run_together,
)
from tests.conftest import BUDI

NOTE = "Dokumen surat dokter belum ada: lampirkan surat keterangan dokter."
SECOND_ACTIONS = {
    "assess": lambda rt, who, shown: review.assess(
        rt, who, shown.claim_id, shown.version, 1_000_000, True, difference_reason=LOWER),
    "reject": lambda rt, who, shown: review.reject(
        rt, who, shown.claim_id, shown.version, "documents_incomplete", NOTE),
}


@pytest.fixture
def officers_pair(demo_rt):
    return officer(demo_rt, ANI), officer(demo_rt, BAMBANG)


@pytest.mark.parametrize("second_action", sorted(SECOND_ACTIONS))
def test_the_second_officer_is_told_and_writes_nothing(demo_rt, officers_pair, second_action):
    ani, bambang = officers_pair
    budi_claim = claim_of(demo_rt, BUDI)
    seen_by_ani = review.detail(demo_rt, budi_claim.id)
    seen_by_bambang = review.detail(demo_rt, budi_claim.id)
    assert seen_by_ani.version == seen_by_bambang.version == 1
    review.assess(demo_rt, ani, seen_by_ani.claim_id, seen_by_ani.version, 4_000_000, True, difference_reason=LOWER)
    events, notices = count(demo_rt, ClaimEvent), len(notifications_of(demo_rt, BUDI, "claim_assessed"))
    with pytest.raises(ConcurrentChange) as caught:
        SECOND_ACTIONS[second_action](demo_rt, bambang, seen_by_bambang)
    assert caught.value.key == "review.changed_elsewhere"
    assert caught.value.params == {"reference": budi_claim.reference}
    after = claim(demo_rt, budi_claim.id)
    assert (after.stage, after.version, after.approved_amount) == ("penetapan", 2, 4_000_000)
    assert after.assessed_by == "ani.petugas"
    assert (after.rejection_code, after.rejection_reason) == ("", "")
    assert count(demo_rt, ClaimEvent) == events
    assert len(notifications_of(demo_rt, BUDI, "claim_assessed")) == notices == 1
    assert notifications_of(demo_rt, BUDI, "claim_rejected") == []
    assert audit_rows(demo_rt, "review.ditolak", budi_claim.reference) == []
    assert [row.actor for row in audit_rows(demo_rt, "review.penetapan", budi_claim.reference)] == ["ani.petugas"]
    assert participant(demo_rt, BUDI).reserved == 4_500_000


def test_after_reloading_the_second_officer_can_act(demo_rt, officers_pair):
    ani, bambang = officers_pair
    budi_claim = claim_of(demo_rt, BUDI)
    review.assess(demo_rt, ani, budi_claim.id, 1, 4_000_000, True, difference_reason=LOWER)
    with pytest.raises(ConcurrentChange):
        review.reject(demo_rt, bambang, budi_claim.id, 1, "documents_incomplete", NOTE)
    reloaded = review.detail(demo_rt, budi_claim.id)
    review.reject(demo_rt, bambang, reloaded.claim_id, reloaded.version, "documents_incomplete", NOTE)
    assert claim(demo_rt, budi_claim.id).stage == "ditolak"


def test_many_threads_assessing_one_version_leave_one_winner(demo_rt, officers_pair):
    ani, _ = officers_pair
    budi_claim = claim_of(demo_rt, BUDI)
    amounts = [4_000_000 + n * 10_000 for n in range(8)]
    outcomes = run_together([
        lambda amount=amount: review.assess(demo_rt, ani, budi_claim.id, 1, amount, True, difference_reason=LOWER)
        for amount in amounts
    ])
    winners = [amount for amount, outcome in zip(amounts, outcomes, strict=True) if outcome is None]
    losers = [outcome for outcome in outcomes if outcome is not None]
    assert len(winners) == 1
    assert all(isinstance(error, ConcurrentChange) for error in losers), losers
    after = claim(demo_rt, budi_claim.id)
    assert (after.stage, after.version, after.approved_amount) == ("penetapan", 2, winners[0])
    assert len(rows(demo_rt, ClaimEvent, ClaimEvent.claim_id == budi_claim.id, ClaimEvent.stage == "penetapan")) == 1
    assert [n.params["amount"] for n in notifications_of(demo_rt, BUDI, "claim_assessed")] == winners
    assert len(audit_rows(demo_rt, "review.penetapan", budi_claim.reference)) == 1


def test_threads_assessing_and_rejecting_at_once_leave_one_consistent_outcome(demo_rt, officers_pair):
    ani, bambang = officers_pair
    budi_claim = claim_of(demo_rt, BUDI)
    calls = [
        lambda: review.assess(demo_rt, ani, budi_claim.id, 1, 4_000_000, True, difference_reason=LOWER),
        lambda: review.reject(demo_rt, bambang, budi_claim.id, 1, "documents_incomplete", NOTE),
    ] * 4
    outcomes = run_together(calls)
    assert sum(outcome is None for outcome in outcomes) == 1
    assert all(isinstance(o, ConcurrentChange) for o in outcomes if o is not None), outcomes
    after = claim(demo_rt, budi_claim.id)
    expected_reserved = {"penetapan": 4_500_000, "ditolak": 0}[after.stage]
    assert participant(demo_rt, BUDI).reserved == expected_reserved
    assert after.version == 2
    assert count(demo_rt, ClaimEvent, ClaimEvent.claim_id == budi_claim.id) == 2
    assert_money_invariants(demo_rt)
