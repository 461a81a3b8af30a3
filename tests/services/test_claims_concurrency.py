"""Claims submitted from several threads at once on SQLite: the reservation never exceeds the
balance, every receipt is one stored claim, and one key never makes two claims."""

import threading

from kidb_tui.errors import FormErrors, RequirementError
from kidb_tui.models import Claim
from kidb_tui.services import audit, claims
from kidb_tui.services.claims import submit_claim
from tests.conftest import SITI, sign_in
from tests.services.helpers import all_rows, contact_of, draft, participant_row

FULL_BALANCE_TYPES = ("jht_habis_kontrak", "jht_mengundurkan_diri", "jht_phk", "jht_meninggalkan_indonesia",
                      "jht_cacat_total", "jht_meninggal")
JOIN_TIMEOUT = 60


def run_together(calls) -> list:
    """Start every call at the same moment; each outcome is a Receipt or the exception raised."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def worker(index, call):
        barrier.wait()
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


def siti_calls(rt) -> list:
    identity, contact = sign_in(rt, SITI), contact_of(rt, SITI)
    wanted = [(code, "85.000.000") for code in FULL_BALANCE_TYPES]
    wanted += [("biaya_medis", "25.500.000"), ("biaya_pengobatan", "25.500.000")]
    return [
        (lambda code=code, amount=amount, n=n: submit_claim(
            rt, identity, draft(rt, SITI, code, amount), contact, SITI.secret, f"race-{n}"))
        for n, (code, amount) in enumerate(wanted)
    ]


def assert_consistent(rt, outcomes) -> None:
    receipts = [o for o in outcomes if isinstance(o, claims.Receipt)]
    errors = [o for o in outcomes if not isinstance(o, claims.Receipt)]
    assert all(isinstance(e, FormErrors | RequirementError) for e in errors), errors
    assert receipts
    siti = participant_row(rt, SITI)
    stored = all_rows(rt, Claim, Claim.participant_id == siti.id)
    assert sorted(c.reference for c in stored) == sorted(r.reference for r in receipts)
    assert siti.reserved == sum(c.amount for c in stored) <= siti.balance
    assert audit.verify_chain(rt) is None


def test_concurrent_claims_never_reserve_more_than_the_balance(demo_rt):
    assert_consistent(demo_rt, run_together(siti_calls(demo_rt)))


def test_concurrent_claims_that_all_passed_the_early_check(demo_rt, monkeypatch):
    monkeypatch.setattr(claims, "validate_draft", lambda *args: None)
    outcomes = run_together(siti_calls(demo_rt))
    assert_consistent(demo_rt, outcomes)
    assert len([o for o in outcomes if isinstance(o, claims.Receipt)]) < len(outcomes)


def test_one_key_from_many_threads_makes_one_claim(demo_rt):
    identity, contact = sign_in(demo_rt, SITI), contact_of(demo_rt, SITI)
    form = draft(demo_rt, SITI, "biaya_medis", "3.000.000")
    outcomes = run_together([
        lambda: submit_claim(demo_rt, identity, form, contact, SITI.secret, "pressed-simpan-twice")
        for _ in range(6)
    ])
    assert all(isinstance(o, claims.Receipt) for o in outcomes), outcomes
    assert len({o.reference for o in outcomes}) == 1
    siti = participant_row(demo_rt, SITI)
    assert len(all_rows(demo_rt, Claim, Claim.participant_id == siti.id)) == 1
    assert siti.reserved == 3_000_000
    assert audit.verify_chain(demo_rt) is None
