"""The requirement check before a claim: each rule met, unmet or completed in the flow, with the
dates and numbers the participant needs (kidb_tui/services/requirements.py)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from kidb_tui.clock import DISPLAY_TIMEZONE
from kidb_tui.errors import NotFound
from kidb_tui.i18n import Translator
from kidb_tui.models import Claim, ClaimType, Participant
from kidb_tui.services import requirements
from kidb_tui.services.claims import submit_claim
from kidb_tui.services.requirements import IN_FLOW, MET, UNMET, add_months
from tests.conftest import AGUS, BUDI, DEWI, FROZEN_AT, JOKO, RINA, SITI, sign_in
from tests.services.helpers import all_rows, contact_of, draft, participant_row, update_participant

TODAY = FROZEN_AT.date()


def check(rt, person, type_code):
    return requirements.check(rt, participant_row(rt, person).id, type_code)


def item(report, key):
    [found] = [i for i in report.items if i.key == key]
    return found


def statuses(report) -> dict[str, str]:
    return {i.key: i.status for i in report.items}


def test_siti_meets_everything_for_a_medical_claim(demo_rt):
    report = check(demo_rt, SITI, "biaya_medis")
    assert [i.key for i in report.items] == [
        "card_active", "account_active", "email_valid", "contact_recent", "balance_positive", "no_open_claim",
        "membership_years"]
    assert set(statuses(report).values()) == {MET}
    assert report.can_proceed and report.first_unmet() is None
    assert (report.max_amount, report.available_amount) == (25_500_000, 85_000_000)


def test_blocked_card(demo_rt):
    report = check(demo_rt, DEWI, "biaya_medis")
    assert item(report, "card_active").status == UNMET
    assert report.first_unmet().key == "card_active" and not report.can_proceed


def test_no_kiosk_account(demo_rt):
    assert item(check(demo_rt, RINA, "biaya_medis"), "account_active").status == UNMET


def test_open_claim_of_the_same_type_names_it(demo_rt):
    [budi_claim] = claims_of(demo_rt, BUDI)
    report = check(demo_rt, BUDI, "biaya_medis")
    assert (item(report, "no_open_claim").status, item(report, "no_open_claim").params) == (
        UNMET, {"reference": budi_claim.reference})
    assert item(check(demo_rt, BUDI, "biaya_pengobatan"), "no_open_claim").status == MET


def test_stale_contact_is_completed_in_the_flow(demo_rt):
    report = check(demo_rt, BUDI, "biaya_pengobatan")
    contact = item(report, "contact_recent")
    assert (contact.status, contact.params) == (IN_FLOW, {"confirmed_date": (FROZEN_AT - timedelta(days=400)).date()})
    assert report.can_proceed


def test_contact_goes_stale_after_183_days(demo_rt, clock):
    clock.advance(days=153)
    assert item(check(demo_rt, SITI, "biaya_medis"), "contact_recent").status == MET
    clock.advance(days=1)
    assert item(check(demo_rt, SITI, "biaya_medis"), "contact_recent").status == IN_FLOW


def test_the_confirmation_date_is_the_branchs_date(demo_rt):
    """22:07 UTC on 31 October is 05:07 on 1 November in Jakarta, as the contact step shows it."""
    update_participant(demo_rt, SITI, contact_confirmed_at=datetime(2026, 10, 31, 22, 7, tzinfo=UTC))
    contact = item(check(demo_rt, SITI, "biaya_medis"), "contact_recent")
    assert demo_rt.settings.zone.key == "Asia/Jakarta"
    assert contact.params == {"confirmed_date": date(2026, 11, 1)}


def test_never_confirmed_contact(demo_rt):
    update_participant(demo_rt, SITI, contact_confirmed_at=None)
    contact = item(check(demo_rt, SITI, "biaya_medis"), "contact_recent")
    assert (contact.status, contact.params) == (IN_FLOW, {})


def test_invalid_email_is_completed_in_the_flow(demo_rt):
    update_participant(demo_rt, SITI, email="siti-at-example")
    report = check(demo_rt, SITI, "biaya_medis")
    assert item(report, "email_valid").status == IN_FLOW and report.can_proceed


def test_waiting_period_gives_the_date_it_ends(demo_rt, clock):
    end = TODAY - timedelta(days=10)
    for code in ("jht_mengundurkan_diri", "jht_phk"):
        waiting = item(check(demo_rt, AGUS, code), "waiting_period")
        assert (waiting.status, waiting.params) == (
            UNMET, {"months": 1, "end_date": end, "eligible_date": date(2026, 12, 15)})
    clock.advance(days=19)
    assert item(check(demo_rt, AGUS, "jht_phk"), "waiting_period").status == UNMET
    clock.advance(days=1)
    assert item(check(demo_rt, AGUS, "jht_phk"), "waiting_period").status == MET


def test_eligible_date_is_a_date_in_jakarta(demo_rt, clock):
    """15 Dec 2026 06:30 WIB is still 14 Dec in UTC: the day the kiosk announced has come."""
    clock.advance(days=19, hours=20, minutes=30)
    assert clock.now().astimezone(DISPLAY_TIMEZONE).date() == date(2026, 12, 15)
    assert item(check(demo_rt, AGUS, "jht_phk"), "waiting_period").status == MET


def test_employment_must_have_ended(demo_rt):
    for code in ("jht_habis_kontrak", "jht_mengundurkan_diri"):
        assert item(check(demo_rt, BUDI, code), "employment_ended").status == UNMET
    update_participant(demo_rt, SITI, employment_end=TODAY + timedelta(days=5))
    assert item(check(demo_rt, SITI, "jht_habis_kontrak"), "employment_ended").status == UNMET


def test_ended_employment_is_shown_as_met(demo_rt):
    """Each requirement of the type gets its own line, met or not (issue 2, screen 4)."""
    assert statuses(check(demo_rt, SITI, "jht_habis_kontrak")).get("employment_ended") == MET


def test_membership_years_give_the_eligible_date(demo_rt):
    years = item(check(demo_rt, AGUS, "jht_sebagian_10"), "membership_years")
    assert (years.status, years.params) == (UNMET, {"years": 10, "eligible_date": date(2033, 2, 1)})
    other = item(check(demo_rt, AGUS, "biaya_lainnya"), "membership_years")
    assert (other.status, other.params) == (UNMET, {"years": 5, "eligible_date": date(2028, 2, 1)})
    assert item(check(demo_rt, AGUS, "biaya_medis"), "membership_years").status == MET
    assert item(check(demo_rt, SITI, "jht_sebagian_10"), "membership_years").status == MET


def test_retirement_age(demo_rt):
    siti = item(check(demo_rt, SITI, "jht_pensiun"), "min_age")
    assert (siti.status, siti.params) == (UNMET, {"age": 56, "eligible_date": date(2041, 4, 22)})
    joko = item(check(demo_rt, JOKO, "jht_pensiun"), "min_age")
    assert (joko.status, joko.params) == (MET, {"age": 56, "eligible_date": date(2026, 6, 25)})


def test_partial_jht_is_once_for_10_and_30_together(demo_rt):
    assert item(check(demo_rt, SITI, "jht_sebagian_30"), "one_time").status == MET
    receipt = submit_claim(demo_rt, sign_in(demo_rt, SITI), draft(demo_rt, SITI, "jht_sebagian_10", "8.500.000"),
                           contact_of(demo_rt, SITI), SITI.secret, "sebagian-10")
    for code in ("jht_sebagian_10", "jht_sebagian_30"):
        once = item(check(demo_rt, SITI, code), "one_time")
        assert (once.status, once.params) == (UNMET, {"reference": receipt.reference})
    assert item(check(demo_rt, SITI, "jht_phk"), "one_time").status == MET


def test_rejected_claim_does_not_use_up_the_one_time_claim(demo_rt):
    submit_claim(demo_rt, sign_in(demo_rt, SITI), draft(demo_rt, SITI, "jht_sebagian_30", "25.500.000"),
                 contact_of(demo_rt, SITI), SITI.secret, "sebagian-30")
    with demo_rt.write() as session:
        claim = session.get(Claim, claims_of(demo_rt, SITI)[0].id)
        claim.stage = "ditolak"
        session.add(claim)
    report = check(demo_rt, SITI, "jht_sebagian_10")
    assert (item(report, "one_time").status, item(report, "no_open_claim").status) == (MET, MET)


def test_zero_balance(demo_rt):
    update_participant(demo_rt, SITI, balance=0)
    report = check(demo_rt, SITI, "jht_phk")
    balance = item(report, "balance_positive")
    assert (balance.status, balance.params) == (UNMET, {"available_amount": 0})
    assert (report.max_amount, report.available_amount) == (0, 0)


def test_fully_reserved_balance(demo_rt):
    update_participant(demo_rt, SITI, reserved=85_000_000)
    report = check(demo_rt, SITI, "biaya_medis")
    assert item(report, "balance_positive").status == UNMET and report.max_amount == 0


@pytest.mark.parametrize("code, expected", [
    ("biaya_medis", 11_250_000),
    ("biaya_lainnya", 3_750_000),
    ("jht_meninggal", 37_500_000),
    ("jht_cacat_total", 37_500_000),
])
def test_max_amount_is_a_share_of_the_available_balance_or_all_of_it(demo_rt, code, expected):
    assert check(demo_rt, BUDI, code).max_amount == expected


@pytest.mark.parametrize("balance, reserved, code, expected", [
    (85_000_000, 0, "biaya_medis", 25_500_000),
    (85_000_000, 80_000_000, "biaya_medis", 1_500_000),
    (85_000_000, 80_000_000, "jht_phk", 5_000_000),
    (85_000_000, 90_000_000, "jht_phk", 0),
    (1_001, 0, "biaya_lainnya", 100),
])
def test_max_amount_function(demo_rt, balance, reserved, code, expected):
    with demo_rt.read() as session:
        claim_type = session.get(ClaimType, code)
    participant = Participant(balance=balance, reserved=reserved)
    assert requirements.max_amount(claim_type, participant) == expected


def test_the_limit_states_its_basis_as_the_available_balance(demo_rt):
    """Budi has Rp42.000.000 with Rp4.500.000 reserved: the "Saldo tersedia" line, the limit
    and the sentence stating it all work from the same Rp37.500.000."""
    report = check(demo_rt, BUDI, "biaya_medis")
    assert item(report, "balance_positive").params == {"available_amount": 37_500_000}
    assert report.limit == requirements.ClaimLimit(30, False, 37_500_000, 11_250_000)
    key, params = report.limit.text()
    assert Translator("id").t(key, **params) == (
        "Batas jenis klaim ini: 30% dari saldo tersedia Rp37.500.000 = Rp11.250.000.")
    assert Translator("en").t(key, **params) == (
        "This claim type's limit: 30% of the available balance Rp37.500.000 = Rp11.250.000.")
    full = check(demo_rt, BUDI, "jht_meninggal").limit
    assert (full.full_balance, full.max_amount) == (True, 37_500_000)
    assert Translator("id").t(*full.text()[:1], **full.text()[1]) == (
        "Jenis klaim ini mencairkan seluruh saldo tersedia: Rp37.500.000.")


def test_the_saldo_screen_states_the_same_basis():
    for language, word in (("id", "tersedia"), ("en", "available")):
        assert word in Translator(language).t("balance.next")


def test_unknown_claim_type(demo_rt):
    with pytest.raises(NotFound):
        check(demo_rt, SITI, "biaya_liburan")


@pytest.mark.parametrize("start, months, expected", [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2028, 1, 31), 1, date(2028, 2, 29)),
    (date(2026, 11, 15), 1, date(2026, 12, 15)),
    (date(2026, 12, 15), 1, date(2027, 1, 15)),
    (date(1970, 6, 25), 12 * 56, date(2026, 6, 25)),
    (date(2000, 2, 29), 12, date(2001, 2, 28)),
])
def test_add_months(start, months, expected):
    assert add_months(start, months) == expected


def claims_of(rt, person) -> list[Claim]:
    return all_rows(rt, Claim, Claim.participant_id == participant_row(rt, person).id)
