"""Field validators: each accepts and normalises good input, and refuses bad input naming the
field and the rule (kidb_tui/validation.py)."""

import unicodedata
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kidb_tui import validation
from kidb_tui.errors import ValidationError

FORBIDDEN = ["\x00", "\x07", "\t", "\n", "\r", "\x1b", "\x7f", "\x85", "\x9b", "\u202e", "\u202d", "\u2066",
             "\u2067", "\u2068", "\u2069", "\u200e", "\u200f", "\u061c"]
LINE_BREAKS = ("\n", "\r")
"""What the claim's reason accepts (a line break) and every other text refuses."""
PROPERTY = settings(deadline=None, derandomize=True)


def refused(check, *args) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        check(*args)
    return caught.value


def assert_refused(check, args, field: str, rule: str) -> ValidationError:
    error = refused(check, *args)
    assert (error.field, error.rule) == (field, rule)
    assert error.key == f"rule.{rule}"
    return error


@pytest.mark.parametrize("text, expected", [
    ("26010000001", "26010000001"),
    (" 26010000001 ", "26010000001"),
    ("260 100 000 01", "26010000001"),
    ("２６０１００００００１", "26010000001"),
])
def test_nib_accepts_eleven_digits(text, expected):
    assert validation.nib(text) == expected


@pytest.mark.parametrize("text", ["2601000000", "260100000012", "2601000000a", "", "-2601000000",
                                  "٢٦٠١٠٠٠٠٠٠١"])
def test_nib_refuses_anything_else(text):
    rule = "required" if not text else "nib_format"
    assert_refused(validation.nib, [text], "nib", rule)


@PROPERTY
@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_any_eleven_ascii_digits_are_a_nib(text):
    assert validation.nib(text) == text


@PROPERTY
@given(st.integers(min_value=1, max_value=40).filter(lambda length: length != 11).flatmap(
    lambda length: st.text(alphabet="0123456789", min_size=length, max_size=length)))
def test_digits_of_any_length_but_eleven_are_refused_as_a_nib(text):
    assert_refused(validation.nib, [text], "nib", "nib_format")


@pytest.mark.parametrize("text", ["3171012204850003", "3171016204850003", "3171016204850003 "])
def test_nik_accepts_men_and_women_day_plus_40(text):
    assert validation.nik(text) == text.strip()


@pytest.mark.parametrize("text, rule", [
    ("317101620485000", "nik_format"),
    ("31710162048500031", "nik_format"),
    ("317101620485000x", "nik_format"),
    ("3171017204850003", "nik_invalid"),
    ("3171010004850003", "nik_invalid"),
    ("3171013204850003", "nik_invalid"),
    ("1234567890123456", "nik_invalid"),
])
def test_nik_refuses_bad_length_region_or_birth_day(text, rule):
    assert_refused(validation.nik, [text], "nik", rule)


@pytest.mark.parametrize("text", ["17-08-1985", "17/08/1985", "17.08.1985", "1985-08-17", "17-8-1985"])
def test_dates_in_every_accepted_form(text):
    assert validation.a_date(text, "birth_date") == date(1985, 8, 17)


@pytest.mark.parametrize("text", ["1985/08/17", "17 Agustus 1985", "17-08-85", "kemarin", "17.08.85"])
def test_dates_in_another_shape_are_refused_with_the_format(text):
    assert_refused(validation.a_date, [text, "birth_date"], "birth_date", "date_format")


@pytest.mark.parametrize("text", ["31-02-1985", "08-17-1985", "1985-13-01", "29-02-2025", "00-01-1990"])
def test_impossible_dates_are_refused_as_invalid(text):
    assert_refused(validation.a_date, [text, "birth_date"], "birth_date", "date_invalid")


def test_dates_after_today_are_refused_typed_or_given():
    today = date(2026, 11, 25)
    assert validation.a_date("25-11-2026", "birth_date", today) == today
    assert_refused(validation.a_date, ["26-11-2026", "birth_date", today], "birth_date", "date_future")
    assert_refused(validation.a_date, [date(2027, 1, 1), "employment_end", today], "employment_end", "date_future")


@pytest.mark.parametrize("text, expected", [
    ("siti@example.co.id", "siti@example.co.id"),
    ("  siti@EXAMPLE.co.id ", "siti@example.co.id"),
    ("Siti.Rahayu@Example.CO.ID", "Siti.Rahayu@example.co.id"),
])
def test_email_is_stored_normalised(text, expected):
    assert validation.email(text) == expected


@pytest.mark.parametrize("text", ["siti", "siti@", "@example.co.id", "siti@example", "siti rahayu@example.co.id"])
def test_bad_email_is_refused(text):
    assert_refused(validation.email, [text], "email", "email_invalid")


@pytest.mark.parametrize("text, expected", [
    ("081234567801", "+6281234567801"),
    ("+6281234567801", "+6281234567801"),
    ("+62 812 3456 7801", "+6281234567801"),
    ("0812-3456-7801", "+6281234567801"),
    ("0812 3456 7801", "+6281234567801"),
    ("0812345678", "+62812345678"),
    ("0812345678901", "+62812345678901"),
])
def test_mobile_numbers_become_e164(text, expected):
    assert validation.phone(text) == expected


@pytest.mark.parametrize("text", [
    "081234567",
    "08123456789012",
    "021-5551234",
    "02155512345",
    "+62215551234",
    "+1 202 555 0100",
    "0812345678a",
    "nomor saya",
])
def test_short_long_landline_foreign_or_lettered_numbers_are_refused(text):
    assert_refused(validation.phone, [text], "phone", "phone_invalid")


@pytest.mark.parametrize("text, expected", [("10110", "10110"), (" 40111 ", "40111"), ("１０１１０", "10110")])
def test_postal_code_accepts_five_digits(text, expected):
    assert validation.postal_code(text) == expected


@pytest.mark.parametrize("text", ["01234", "1011", "101100", "1O110", "abcde"])
def test_postal_code_refuses_the_rest(text):
    assert_refused(validation.postal_code, [text], "postal_code", "postal_code_format")


@pytest.mark.parametrize("text, expected", [
    ("1500000", 1_500_000),
    ("1.500.000", 1_500_000),
    ("Rp1.500.000", 1_500_000),
    ("rp 1.500.000", 1_500_000),
    ("Rp 1500000", 1_500_000),
    ("1,500,000", 1_500_000),
    ("1", 1),
    ("999", 999),
    (2_000, 2_000),
])
def test_amounts_with_or_without_dots_or_commas_and_rp(text, expected):
    assert validation.amount(text) == expected


@pytest.mark.parametrize("text, rule", [
    ("1.500.000,50", "amount_whole"),
    ("1500000,5", "amount_whole"),
    ("1.50.000", "amount_format"),
    ("15.00", "amount_whole"),
    ("1.500,000", "amount_ambiguous"),
    ("1.5000", "amount_format"),
    (".500", "amount_format"),
    ("500.", "amount_format"),
    ("Rp", "amount_format"),
    ("satu juta", "amount_format"),
    ("-5", "amount_format"),
    ("0", "amount_positive"),
    ("Rp0", "amount_positive"),
    ("0.000", "amount_positive"),
    (0, "amount_positive"),
    (-5, "amount_positive"),
    ("", "required"),
    ("   ", "required"),
    ("1\u202e000", "control_characters"),
])
def test_bad_amounts_name_the_rule(text, rule):
    assert_refused(validation.amount, [text], "amount", rule)


@pytest.mark.parametrize("bank, length", [("BRI", 15), ("BCA", 10), ("Mandiri", 13), ("BTN", 16)])
def test_account_number_has_the_banks_length(bank, length):
    digits = "1234567890123456"[:length]
    spaced = "-".join(digits[i:i + 4] for i in range(0, length, 4))
    assert validation.account_number(spaced, bank, length) == digits
    error = assert_refused(validation.account_number, [digits[:-1], bank, length], "account_number", "account_length")
    assert error.params == {"bank": bank, "length": length}
    assert_refused(validation.account_number, [digits + "0", bank, length], "account_number", "account_length")


def test_account_number_refuses_letters():
    assert_refused(validation.account_number, ["12345678a0", "BCA", 10], "account_number", "account_digits")


@pytest.mark.parametrize("typed", ["Siti Rahayu", "SITI RAHAYU", "siti  rahayu.", "Siti-Rahayu", "S.I.T.I Rahayu",
                                   "ＳＩＴＩ ＲＡＨＡＹＵ"])
def test_holder_name_matches_ignoring_case_spaces_punctuation(typed):
    assert validation.account_holder(typed, "Siti Rahayu")


@pytest.mark.parametrize("typed", ["Siti Rahayuu", "Siti", "Budi Santoso", "Siti Rahayu 2"])
def test_holder_name_of_someone_else_is_refused(typed):
    error = assert_refused(validation.account_holder, [typed, "Siti Rahayu"], "account_holder", "holder_mismatch")
    assert error.params == {"name": "Siti Rahayu"}


@pytest.mark.parametrize("typed", [
    "=Siti Rahayu", "+Siti Rahayu", "-Siti Rahayu", "@Siti Rahayu", "  =Siti Rahayu", "＝Siti Rahayu", "＠Siti Rahayu",
    '=HYPERLINK("http://x.example/?q=Siti","Siti Rahayu")', "-2+3 Siti Rahayu",
])
def test_holder_name_starting_like_a_formula_is_refused(typed):
    """The holder ends up in the payments CSV: a leading =, +, - or @ (also full-width, also
    after spaces) would run as a spreadsheet formula, even when the letters match the name."""
    error = assert_refused(validation.account_holder, [typed, "Siti Rahayu"], "account_holder", "formula_start")
    assert error.params == {}


@pytest.mark.parametrize("typed", ["\tSiti Rahayu", "\rSiti Rahayu"])
def test_holder_name_starting_with_tab_or_cr_is_refused(typed):
    assert_refused(validation.account_holder, [typed, "Siti Rahayu"], "account_holder", "control_characters")


@PROPERTY
@given(st.text(alphabet="=+-@＝＋－＠ .'", min_size=1, max_size=4), st.text(alphabet=" .'-", max_size=3))
def test_a_holder_is_refused_exactly_when_it_starts_like_a_formula(lead, tail):
    formula = (unicodedata.normalize("NFKC", lead).lstrip() or "S")[0] in "=+-@"
    try:
        holder = validation.account_holder(f"{lead}Siti{tail}", "Siti")
    except ValidationError as error:
        assert formula and (error.field, error.rule) == ("account_holder", "formula_start")
        return
    assert not formula and holder[0] not in "=+-@"


def test_text_is_nfkc_normalised_and_spaces_folded():
    assert validation.address("  Jl.\u00a0Merdeka   No.\u2002１０ ") == "Jl. Merdeka No. 10"
    assert validation.full_name("ﬁtri Ｒａｈａｙｕ") == "fitri Rahayu"


@pytest.mark.parametrize("char", FORBIDDEN)
def test_control_and_bidi_characters_are_refused(char):
    if char not in LINE_BREAKS:
        assert_refused(validation.reason, [f"biaya{char}rawat"], "reason", "control_characters")
    assert_refused(validation.full_name, [f"Siti{char}"], "full_name", "control_characters")
    assert_refused(validation.address, [f"Jl. Mawar{char}1"], "address", "control_characters")


def test_the_reason_alone_keeps_its_line_breaks():
    typed = "  Biaya   rawat\r\n\n\n\n[b]x[/b]  inap \r anak\n\n"
    assert validation.reason(typed) == "Biaya rawat\n\n[b]x[/b] inap\nanak"
    assert validation.reason(validation.reason(typed)) == validation.reason(typed)
    assert_refused(validation.reason, ["\n \r\n "], "reason", "required")
    error = assert_refused(validation.reason, ["x\n" * 250 + "x"], "reason", "max_length")
    assert error.params == {"max": 500}


def test_unpaired_surrogate_is_refused():
    assert_refused(validation.address, ["Jl. \ud800"], "address", "control_characters")


@pytest.mark.parametrize("check, field, limit", [
    (validation.reason, "reason", 500),
    (validation.address, "address", 300),
    (validation.full_name, "full_name", 120),
])
def test_maximum_lengths(check, field, limit):
    assert check("x" * limit) == "x" * limit
    error = assert_refused(check, ["x" * (limit + 1)], field, "max_length")
    assert error.params == {"max": limit}


@pytest.mark.parametrize("check, field", [
    (validation.reason, "reason"), (validation.address, "address"), (validation.full_name, "full_name"),
])
def test_blank_required_text_is_refused(check, field):
    assert_refused(check, [" \u3000 "], field, "required")


def test_optional_text_may_be_blank():
    assert validation.clean_text("   ", "address", 10, required=False) == ""


@PROPERTY
@given(st.text(max_size=20), st.sampled_from([*FORBIDDEN, "\x01", "\x1f", "\x80", "\x9f"]), st.text(max_size=20))
def test_any_text_with_a_control_character_fails(before, char, after):
    error = refused(validation.clean_text, before + char + after, "reason", 500)
    assert (error.field, error.rule) == ("reason", "control_characters")


@PROPERTY
@given(st.text(max_size=60))
def test_clean_text_is_idempotent(text):
    try:
        once = validation.clean_text(text, "reason", 500, required=False)
    except ValidationError:
        return
    assert validation.clean_text(once, "reason", 500, required=False) == once


@PROPERTY
@given(st.sampled_from([" ", ".", ",", "'"]),
       st.lists(st.sampled_from([" ", ".", "-", ",", "'"]), min_size=3, max_size=3), st.booleans())
def test_any_punctuation_and_case_variant_of_the_name_matches(lead, separators, upper):
    """Any punctuation between and after the words; before them, any but a formula sign."""
    words = ["Siti", "Nur", "Rahayu"]
    typed = lead + "".join(w + s for w, s in zip(words, separators, strict=True))
    typed = typed.upper() if upper else typed.lower()
    assert validation.account_holder(typed, "Siti Nur Rahayu") == " ".join(typed.split())


@pytest.mark.parametrize("stored, shown", [
    ("+6281234567890", "0812-3456-7890"),
    ("+6281234567801", "0812-3456-7801"),
    ("+628123456789", "0812-3456-789"),
    ("", ""),
    ("+6598765432", "+6598765432"),
])
def test_phone_is_shown_in_national_format(stored, shown):
    assert validation.phone_national(stored) == shown


@pytest.mark.parametrize("typed", ["0812-3456-7890", "081234567890", "+62 812 3456 7890", "(0812) 3456 7890"])
def test_a_phone_shown_nationally_reads_back_to_the_same_number(typed):
    stored = validation.phone(typed)
    assert validation.phone(validation.phone_national(stored)) == stored
