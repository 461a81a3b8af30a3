"""The demo database: six participants, five accounts, Budi's open claim, Joko's rejected claim,
rebuilt from scratch each time (kidb_tui/services/demo.py, kidb_tui/bootstrap.py)."""

import pytest

from kidb_tui.bootstrap import build_demo
from kidb_tui.models import AuditEvent, Claim, KioskAccount, LoginThrottle, Officer, Participant
from kidb_tui.services.auth import login
from kidb_tui.services.demo import PEOPLE
from tests.conftest import AGUS, BUDI, DEWI, FROZEN_AT, JOKO, RINA, SITI
from tests.services.helpers import account_row, all_rows, count, participant_row


def claims_of(rt, person) -> list[Claim]:
    return all_rows(rt, Claim, Claim.participant_id == participant_row(rt, person).id)


def test_six_participants_five_accounts(demo_rt):
    assert sorted(p.nib for p in all_rows(demo_rt, Participant)) == sorted(person.nib for person in PEOPLE)
    assert count(demo_rt, KioskAccount) == 5
    assert account_row(demo_rt, RINA) is None
    assert {participant_row(demo_rt, p).full_name for p in PEOPLE} == {p.name for p in PEOPLE}


def test_budi_has_an_open_medical_claim(demo_rt):
    [claim] = claims_of(demo_rt, BUDI)
    assert (claim.claim_type_code, claim.stage, claim.amount) == ("biaya_medis", "agenda", 4_500_000)
    budi = participant_row(demo_rt, BUDI)
    assert (budi.balance, budi.reserved) == (42_000_000, 4_500_000)
    assert (FROZEN_AT.replace(tzinfo=None) - budi.contact_confirmed_at.replace(tzinfo=None)).days == 400


def test_joko_has_a_rejected_claim_with_a_reason(demo_rt):
    [claim] = claims_of(demo_rt, JOKO)
    assert (claim.claim_type_code, claim.stage, claim.amount) == ("biaya_pengobatan", "ditolak", 2_000_000)
    assert claim.rejection_reason and claim.rejection_code == "holder_name_mismatch"
    assert participant_row(demo_rt, JOKO).reserved == 0


def test_the_other_cases(demo_rt):
    assert participant_row(demo_rt, DEWI).card_status == "blocked"
    agus = participant_row(demo_rt, AGUS)
    assert (FROZEN_AT.date() - agus.employment_end).days == 10
    assert claims_of(demo_rt, SITI) == claims_of(demo_rt, AGUS) == []


@pytest.mark.parametrize("person", [p for p in PEOPLE if p.secret and p is not DEWI])
def test_listed_secrets_log_in(demo_rt, person):
    assert login(demo_rt, person.nib, person.secret).ok


def test_dewi_is_told_about_her_card(demo_rt):
    assert login(demo_rt, DEWI.nib, DEWI.secret).error_key == "auth.card_blocked"


def test_build_demo_twice_starts_from_scratch(settings, clock):
    first = build_demo(settings, clock)
    login(first, SITI.nib, "000000")
    with first.write() as session:
        session.exec(Participant.__table__.update().values(balance=1))
    first.engine.dispose()
    second = build_demo(settings, clock)
    try:
        assert count(second, Participant) == 6 and count(second, Claim) == 2 and count(second, Officer) == 2
        assert participant_row(second, SITI).balance == 85_000_000
        assert all_rows(second, LoginThrottle) == []
        assert all_rows(second, AuditEvent, AuditEvent.action == "auth.login_failed") == []
    finally:
        second.engine.dispose()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "postgresql+psycopg://kidb@localhost/kidb"])
def test_build_demo_needs_a_sqlite_file(settings, clock, url):
    with pytest.raises(ValueError):
        build_demo(settings.with_(database_url=url), clock)
