"""One idempotency key submitted from several connections at the same moment (a double press on
"Simpan", or a terminal retrying while the first request still runs) makes one claim, and every
caller gets that claim's receipt, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import select

from kidb_tui.bootstrap import prepare
from kidb_tui.models import Claim
from kidb_tui.services import participants
from kidb_tui.services.claims import ClaimDraft, Receipt, submit_claim
from kidb_tui.services.profile import get_profile
from tests.crash import population

CALLERS = 6
TYPES = ("biaya_medis", "biaya_pengobatan", "biaya_lainnya")
JOIN_TIMEOUT = 60


@pytest.fixture(params=["sqlite", "postgresql"])
def runtime(request, settings, clock):
    chosen = settings if request.param == "sqlite" else request.getfixturevalue("pg_settings")
    rt = prepare(chosen, clock)
    yield rt
    rt.engine.dispose()


def submit_together(call) -> list:
    """`call()` from CALLERS threads released at once; each outcome is a result or the exception."""
    barrier = threading.Barrier(CALLERS)
    outcomes: list = [None] * CALLERS

    def worker(index: int) -> None:
        barrier.wait()
        try:
            outcomes[index] = call()
        except Exception as error:  # noqa: BLE001 - the test inspects every outcome
            outcomes[index] = error

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def test_every_caller_of_one_key_gets_the_one_claim(runtime):
    assert participants.import_text(runtime, population.csv_text([population.row(1, 90_000_000)])).ok
    identity = population.activate(runtime, 1)
    contact = get_profile(runtime, identity.participant_id).contact
    for round_number, type_code in enumerate(TYPES):
        draft = ClaimDraft(type_code, "1.000.000", population.BANK_CODE, population.ACCOUNT_NUMBER,
                           population.full_name(1), "Biaya rawat inap", population.DOCUMENTS[type_code])
        key = f"simpan-pressed-{round_number}"
        outcomes = submit_together(
            lambda draft=draft, key=key: submit_claim(runtime, identity, draft, contact, population.PIN, key))
        with runtime.read() as session:
            stored = session.exec(select(Claim).where(Claim.idempotency_key == key)).all()
        assert len(stored) == 1
        assert all(isinstance(outcome, Receipt) for outcome in outcomes), outcomes
        assert {outcome.reference for outcome in outcomes} == {stored[0].reference}
