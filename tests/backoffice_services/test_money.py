"""Money through review: a rejection releases exactly the claim's reservation, a payment takes
the approved amount from the balance and releases the whole reservation, and the balance and
reservation stay consistent after every step (kidb_tui/services/review.py)."""

import pytest

from kidb_tui.errors import FormErrors
from kidb_tui.services import claims, review
from tests.backoffice_services.helpers import (
    ANI,
    BAMBANG,
    LOWER,
    STEPS,
    assert_money_invariants,
    claim,
    claim_of,
    file_claim,
    notifications_of,
    officer,
    participant,
    walk,
)
from tests.conftest import BUDI, SITI

BUDI_BALANCE, MEDIS, PENGOBATAN = 42_000_000, 4_500_000, 3_000_000
NOTE = "Nama pemilik rekening berbeda: ajukan lagi dengan rekening atas nama sendiri."


@pytest.fixture
def ani(demo_rt):
    return officer(demo_rt, ANI)


@pytest.fixture
def two_claims(demo_rt):
    """Budi's demo medical claim plus a treatment claim, both reserved."""
    medis = claim_of(demo_rt, BUDI)
    pengobatan = file_claim(demo_rt, BUDI, "biaya_pengobatan", "3.000.000", "budi-pengobatan")
    return medis.id, pengobatan.id


def money(rt, person) -> tuple[int, int]:
    row = participant(rt, person)
    return row.balance, row.reserved


def test_the_demo_reserves_budis_claim(demo_rt, two_claims):
    assert money(demo_rt, BUDI) == (BUDI_BALANCE, MEDIS + PENGOBATAN)
    assert_money_invariants(demo_rt)


@pytest.mark.parametrize("stage", ["agenda", "penetapan", "persetujuan"])
def test_reject_releases_exactly_the_reserved_amount(demo_rt, ani, two_claims, stage):
    medis, _ = two_claims
    row = walk(demo_rt, medis, stage, ani, approved=2_000_000)
    review.reject(demo_rt, ani, row.id, row.version, "documents_incomplete", NOTE)
    assert money(demo_rt, BUDI) == (BUDI_BALANCE, PENGOBATAN)
    assert claim(demo_rt, medis).paid_amount is None
    view = claims.balance_of(demo_rt, participant(demo_rt, BUDI).id)
    assert view.available_amount == BUDI_BALANCE - PENGOBATAN
    assert_money_invariants(demo_rt)


def test_payment_takes_the_approved_amount_and_releases_the_reservation(demo_rt, ani, two_claims):
    medis, _ = two_claims
    walk(demo_rt, medis, "persetujuan", ani, approved=4_000_000)
    assert money(demo_rt, BUDI) == (BUDI_BALANCE, MEDIS + PENGOBATAN)
    walk(demo_rt, medis, "pembayaran", ani)
    assert money(demo_rt, BUDI) == (BUDI_BALANCE - 4_000_000, PENGOBATAN)
    assert claim(demo_rt, medis).paid_amount == 4_000_000
    assert notifications_of(demo_rt, BUDI, "claim_paid")[0].params["amount"] == 4_000_000
    walk(demo_rt, medis, "selesai", ani)
    assert money(demo_rt, BUDI) == (BUDI_BALANCE - 4_000_000, PENGOBATAN)
    assert_money_invariants(demo_rt)


def test_the_invariants_hold_after_every_step(demo_rt, ani, two_claims):
    medis, pengobatan = two_claims
    seen = []
    for claim_id, approved in ((medis, MEDIS), (pengobatan, 1_500_000)):
        current = claim(demo_rt, claim_id)
        while current.stage != "selesai":
            STEPS[current.stage](demo_rt, ani, current, approved)
            assert_money_invariants(demo_rt)
            seen.append(money(demo_rt, BUDI))
            current = claim(demo_rt, claim_id)
    final = BUDI_BALANCE - MEDIS - 1_500_000
    assert seen[-1] == (final, 0)
    assert seen == [
        (BUDI_BALANCE, MEDIS + PENGOBATAN), (BUDI_BALANCE, MEDIS + PENGOBATAN),
        (BUDI_BALANCE - MEDIS, PENGOBATAN), (BUDI_BALANCE - MEDIS, PENGOBATAN),
        (BUDI_BALANCE - MEDIS, PENGOBATAN), (BUDI_BALANCE - MEDIS, PENGOBATAN),
        (final, 0), (final, 0),
    ]


def test_a_full_balance_claim_approved_for_less_pays_the_approved_amount(demo_rt, ani):
    bambang = officer(demo_rt, BAMBANG)
    jht = file_claim(demo_rt, SITI, "jht_mengundurkan_diri", "85.000.000", "siti-jht")
    assert money(demo_rt, SITI) == (85_000_000, 85_000_000)
    review.assess(demo_rt, ani, jht.id, 1, "60.000.000", True, difference_reason=LOWER)
    review.approve(demo_rt, bambang, jht.id, 2)
    review.record_payment(demo_rt, ani, jht.id, 3, "BCA-TRF-9")
    assert money(demo_rt, SITI) == (25_000_000, 0)
    assert (claim(demo_rt, jht.id).approved_amount, claim(demo_rt, jht.id).paid_amount) == (60_000_000, 60_000_000)
    assert claims.balance_of(demo_rt, participant(demo_rt, SITI).id).available_amount == 25_000_000
    assert_money_invariants(demo_rt)


def test_a_refused_action_moves_no_money(demo_rt, ani, two_claims):
    medis, _ = two_claims
    walk(demo_rt, medis, "persetujuan", ani)
    with pytest.raises(review.ConcurrentChange):
        review.record_payment(demo_rt, ani, medis, 1, "BCA-TRF-1")
    with pytest.raises(FormErrors):
        review.reject(demo_rt, ani, medis, 3, "not_a_reason", NOTE)
    assert money(demo_rt, BUDI) == (BUDI_BALANCE, MEDIS + PENGOBATAN)
