"""The final income tax on lump-sum JHT payouts and the estimated net payout, from
data/tax_rules.json (kidb_tui/services/tax.py), and the fixed amount of whole-balance claims."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kidb_tui.errors import FormErrors
from kidb_tui.services import claims, requirements, tax
from tests.conftest import SITI, sign_in
from tests.services.helpers import draft, participant_row

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize("gross, expected_tax", [
    (1, 0),
    (50_000_000, 0),
    (50_000_001, 0),          # 5% of Rp1 rounds down to Rp0
    (50_000_020, 1),
    (85_000_000, 1_750_000),  # 5% of the Rp35.000.000 above Rp50.000.000
    (150_000_000, 5_000_000),
])
def test_jht_lump_sum_tax_is_zero_up_to_fifty_million_and_five_percent_above(gross, expected_tax):
    estimate = tax.estimate("jht_phk", gross, TODAY)
    assert (estimate.tax_amount, estimate.net_amount) == (expected_tax, gross - expected_tax)
    assert estimate.rule.code == "pph21_jht_lump_sum"
    assert "Nomor 68 Tahun 2009" in estimate.rule.source and estimate.rule.effective_from == date(2009, 1, 1)


def test_non_jht_claims_are_not_taxed():
    estimate = tax.estimate("biaya_medis", 85_000_000, TODAY)
    assert (estimate.tax_amount, estimate.net_amount, estimate.rule) == (0, 85_000_000, None)


def test_no_rule_before_its_effective_date():
    assert tax.rule_for("jht_phk", date(2008, 12, 31)) is None


@settings(deadline=None, derandomize=True)
@given(st.integers(min_value=0, max_value=10**13))
def test_the_tax_is_whole_rupiah_never_more_than_five_percent_and_net_adds_up(gross):
    estimate = tax.estimate("jht_pensiun", gross, TODAY)
    assert isinstance(estimate.tax_amount, int)
    assert estimate.tax_amount == max(gross - 50_000_000, 0) * 5 // 100
    assert estimate.net_amount + estimate.tax_amount == gross


def test_the_rules_come_from_the_data_file(tmp_path, monkeypatch):
    (tmp_path / "tax_rules.json").write_text(
        '{"rules": [{"code": "x", "applies_to": ["jht_phk"], "effective_from": "2026-01-01",'
        ' "brackets": [{"up_to": 10, "rate_pct": 0}, {"up_to": null, "rate_pct": 50}], "source": "test"}]}',
        encoding="utf-8")
    monkeypatch.setattr(tax, "data_dir", lambda: tmp_path)
    tax.rules.cache_clear()
    try:
        assert tax.estimate("jht_phk", 110, TODAY).tax_amount == 50
    finally:
        tax.rules.cache_clear()


def test_a_whole_balance_claim_has_a_fixed_amount_and_its_net_payout_before_simpan(demo_rt):
    report = requirements.check(demo_rt, participant_row(demo_rt, SITI).id, "jht_mengundurkan_diri")
    assert report.fixed_amount == 85_000_000
    assert requirements.check(demo_rt, participant_row(demo_rt, SITI).id, "biaya_medis").fixed_amount is None
    clean = claims.validate_draft(demo_rt, sign_in(demo_rt, SITI), draft(demo_rt, SITI, "jht_mengundurkan_diri", ""))
    assert clean.amount == 85_000_000
    assert (clean.payout.gross_amount, clean.payout.tax_amount, clean.payout.net_amount) == (
        85_000_000, 1_750_000, 83_250_000)


def test_an_empty_amount_is_still_required_for_a_share_claim(demo_rt):
    with pytest.raises(FormErrors) as caught:
        claims.validate_draft(demo_rt, sign_in(demo_rt, SITI), draft(demo_rt, SITI, "biaya_medis", ""))
    assert caught.value.by_field()["amount"].rule == "required"
