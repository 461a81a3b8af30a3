"""Property tests: every validator either returns a normalised value that meets its rule or
raises ValidationError naming its own field — never anything else, whatever the input."""

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from kidb_tui import validation
from kidb_tui.errors import ValidationError
from kidb_tui.money import format_rupiah

ANY_TEXT = st.text(max_size=60)
DIGITS = "0123456789"


def outcome(check, text, field):
    """The validator's value, or None after a ValidationError for `field`."""
    try:
        return check(text)
    except ValidationError as error:
        assert error.field == field
        return None


@st.composite
def valid_niks(draw) -> str:
    birth = draw(st.dates(min_value=date(1940, 1, 1), max_value=date(2008, 12, 31)))
    day = birth.day + (40 if draw(st.booleans()) else 0)
    serial = draw(st.integers(min_value=1, max_value=9999))
    return f"317101{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


@given(valid_niks())
def test_well_formed_niks_pass_unchanged(nik):
    assert validation.nik(nik) == nik


@given(ANY_TEXT)
def test_nik_is_sixteen_digits_or_refused(text):
    value = outcome(validation.nik, text, "nik")
    assert value is None or (len(value) == 16 and value.isdigit())


@given(st.text(alphabet=DIGITS, min_size=8, max_size=11))
def test_mobile_numbers_become_e164(rest):
    value = outcome(validation.phone, "08" + rest, "phone")
    assert value is None or (value.startswith("+628") and value[1:].isdigit())


@given(ANY_TEXT)
def test_phone_never_fails_otherwise(text):
    value = outcome(validation.phone, text, "phone")
    assert value is None or value.startswith("+628")


@given(st.emails())
def test_generated_emails_normalise_to_an_address(address):
    value = outcome(validation.email, address, "email")
    assert value is None or "@" in value


@given(ANY_TEXT)
def test_email_never_fails_otherwise(text):
    value = outcome(validation.email, text, "email")
    assert value is None or ("@" in value and not validation.has_forbidden_characters(value))


@given(st.integers(min_value=10000, max_value=99999))
def test_five_digit_postal_codes_pass(code):
    assert validation.postal_code(str(code)) == str(code)


@given(ANY_TEXT)
def test_postal_code_is_five_digits_or_refused(text):
    value = outcome(validation.postal_code, text, "postal_code")
    assert value is None or (len(value) == 5 and value.isdigit() and value[0] != "0")


@given(st.integers(min_value=1, max_value=10**12))
def test_amounts_typed_with_or_without_dots(amount):
    grouped = format_rupiah(amount)
    assert validation.amount(grouped) == amount
    assert validation.amount(grouped.removeprefix("Rp")) == amount
    assert validation.amount(str(amount)) == amount


@given(ANY_TEXT)
def test_amount_is_a_positive_integer_or_refused(text):
    value = outcome(validation.amount, text, "amount")
    assert value is None or (isinstance(value, int) and value > 0)


@given(st.integers(min_value=6, max_value=20), st.data())
def test_account_numbers_of_the_bank_length_pass(length, data):
    number = data.draw(st.text(alphabet=DIGITS, min_size=length, max_size=length))
    assert validation.account_number(number, "BANK", length) == number


@given(ANY_TEXT, st.integers(min_value=6, max_value=20))
def test_account_number_is_digits_of_the_length_or_refused(text, length):
    value = outcome(lambda t: validation.account_number(t, "BANK", length), text, "account_number")
    assert value is None or (len(value) == length and value.isdigit())


@given(ANY_TEXT, ANY_TEXT)
def test_holder_matches_only_the_same_name(holder, name):
    value = outcome(lambda t: validation.account_holder(t, name), holder, "account_holder")
    assert value is None or validation.name_key(value) == validation.name_key(name)


@given(ANY_TEXT)
def test_names_are_clean_text(text):
    value = outcome(validation.full_name, text, "full_name")
    assert value is None or (value and not validation.has_forbidden_characters(value) and len(value) <= 120)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)))
def test_dates_typed_day_first_round_trip(day):
    today = date(2026, 11, 25)
    value = outcome(lambda t: validation.a_date(t, "birth_date", today), day.strftime("%d-%m-%Y"), "birth_date")
    assert value == (day if day <= today else None)
