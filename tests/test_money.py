"""Rupiah as integers: display strings and what people type (kidb_tui/money.py)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kidb_tui.money import amount_preview, format_rupiah, parse_rupiah

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
    ("1,500,000", 1_500_000),
    ("Rp 1,500,000", 1_500_000),
    ("150,000", 150_000),
])
def test_parse_rupiah(text, amount):
    assert parse_rupiah(text) == amount


@pytest.mark.parametrize("text, rule", [
    ("1.234,56", "amount_whole"),
    ("12,5", "amount_whole"),
    ("1.23.456", "amount_format"),
    ("1234.567", "amount_format"),
    ("12.34", "amount_whole"),
    ("1,500,000.50", "amount_whole"),
    ("1.500,000", "amount_ambiguous"),
    ("1,500.000", "amount_ambiguous"),
    ("1.500.000,000", "amount_ambiguous"),
    ("1,50,000", "amount_format"),
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


def commas(amount: int) -> str:
    return f"{amount:,}"


def dots(amount: int) -> str:
    return format_rupiah(amount)[2:]


@PROPERTY
@given(st.integers(min_value=0, max_value=10**15))
def test_dots_and_commas_for_thousands_read_the_same(amount):
    assert parse_rupiah(dots(amount)) == parse_rupiah(commas(amount)) == amount


@PROPERTY
@given(st.integers(min_value=0, max_value=10**15), st.integers(min_value=1, max_value=99), st.sampled_from((",", ".")))
def test_sen_after_either_separator_is_refused_as_not_whole(amount, sen, decimal):
    grouped = commas(amount) if decimal == "." else dots(amount)
    for digits in {str(sen), f"{sen:02d}"}:
        with pytest.raises(ValueError, match=r"^amount_whole$"):
            parse_rupiah(f"{grouped}{decimal}{digits}")


@PROPERTY
@given(st.integers(min_value=1_000_000, max_value=10**15), st.data())
def test_dots_and_commas_mixed_as_thousands_are_never_read_as_a_number(amount, data):
    grouped = list(dots(amount))
    separators = [index for index, char in enumerate(grouped) if char == "."]
    for index in data.draw(st.sets(st.sampled_from(separators), min_size=1, max_size=len(separators) - 1)):
        grouped[index] = ","
    with pytest.raises(ValueError) as caught:
        parse_rupiah("".join(grouped))
    assert str(caught.value) in {"amount_ambiguous", "amount_format"}


@PROPERTY
@given(st.text(alphabet="0123456789.,", max_size=20))
def test_whatever_is_read_is_the_digits_typed(text):
    try:
        amount = parse_rupiah(text)
    except ValueError as refused:
        assert str(refused) in {"amount_whole", "amount_ambiguous", "amount_format"}
    else:
        assert amount == int(text.replace(".", "").replace(",", ""))


@pytest.mark.parametrize("text, preview", [
    ("1500000", "= Rp1.500.000"),
    ("1,500,000", "= Rp1.500.000"),
    ("999.999.999", "= Rp999.999.999"),
    ("1.000.000.000", "= Rp1.000.000.000"),
    ("1,000,000,000,000", "= Rp1.000.000.000.000"),
    ("1.500,000", ""),
    ("", ""),
])
def test_amount_preview(text, preview):
    assert amount_preview(text) == preview


@PROPERTY
@given(st.integers(min_value=10**9, max_value=10**15), st.sampled_from((str, dots, commas)))
def test_amount_preview_shows_billions_in_full(amount, typed):
    assert amount_preview(typed(amount)) == f"= {format_rupiah(amount)}"
