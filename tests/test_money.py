"""Rupiah as integers: display strings and what people type (kidb_tui/money.py)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kidb_tui.money import format_rupiah, parse_rupiah

PROPERTY = settings(deadline=None, derandomize=True)


@pytest.mark.parametrize("amount, text", [
    (0, "Rp0"),
    (999, "Rp999"),
    (1_000, "Rp1.000"),
    (25_500_000, "Rp25.500.000"),
    (1_234_567, "Rp1.234.567"),
    (1_000_000_000_000, "Rp1.000.000.000.000"),
    (-5_000, "-Rp5.000"),
])
def test_format_rupiah_exact_strings(amount, text):
    assert format_rupiah(amount) == text


@pytest.mark.parametrize("text, amount", [
    ("0", 0),
    ("1000", 1_000),
    ("1.000", 1_000),
    ("Rp1.234.567", 1_234_567),
    ("RP 1.234.567", 1_234_567),
    (" rp1234567 ", 1_234_567),
    ("1\u00a0234\u00a0567", 1_234_567),
])
def test_parse_rupiah(text, amount):
    assert parse_rupiah(text) == amount


@pytest.mark.parametrize("text, rule", [
    ("1.234,56", "amount_whole"),
    ("12,5", "amount_whole"),
    ("1.23.456", "amount_format"),
    ("1234.567", "amount_format"),
    ("12.34", "amount_format"),
    ("", "amount_format"),
    ("Rp", "amount_format"),
    ("sejuta", "amount_format"),
    ("１０００", "amount_format"),
    ("1e6", "amount_format"),
])
def test_parse_rupiah_refusals_carry_the_rule(text, rule):
    with pytest.raises(ValueError) as caught:
        parse_rupiah(text)
    assert str(caught.value) == rule


@PROPERTY
@given(st.integers(min_value=0, max_value=10**15))
def test_format_then_parse_round_trips(amount):
    assert parse_rupiah(format_rupiah(amount)) == amount


@PROPERTY
@given(st.integers(min_value=0, max_value=10**15))
def test_plain_digits_parse_to_themselves(amount):
    assert parse_rupiah(str(amount)) == amount
