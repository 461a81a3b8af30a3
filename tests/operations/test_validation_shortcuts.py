"""The importer's shortcuts agree with the libraries they spare: the fast paths for plain email
addresses and mobile numbers accept only what email_validator and phonenumbers accept, in the
same form, and the NIK verdicts remembered per region and birth date are python-stdnum's
(kidb_tui/validation.py)."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from kidb_tui import validation

LOCAL = st.one_of(
    st.text(alphabet="abcXYZ019.+_-'", min_size=1, max_size=70),
    st.text(alphabet="abcXYZ019.!#$%&'*+/=?^_`{|}~-é\"@ ", min_size=1, max_size=70),
)
LABEL = st.one_of(
    st.text(alphabet="abcdXYZ", min_size=1, max_size=66),
    st.text(alphabet="abcXYZ09-", min_size=1, max_size=66),
    st.sampled_from(["xn--bcher-kva", "ab--cd", "test", "local", "localhost", "arpa", "onion", "invalid", "id",
                     "CO", "123", "a1", "é", ""]),
)
DOMAIN = st.lists(LABEL, min_size=1, max_size=5).map(".".join)


@settings(max_examples=1000)
@given(LOCAL, DOMAIN)
def test_the_fast_path_agrees_with_email_validator(local, domain):
    text = f"{local}@{domain}"
    fast = validation._plain_email(text)
    if fast is None:
        return
    assert validate_email(text, check_deliverability=False).normalized == fast


@pytest.mark.parametrize("text, expected", [
    ("Sri@Example.CO.ID", "Sri@example.co.id"),
    ("peserta.uji+1@mail.example.co.id", "peserta.uji+1@mail.example.co.id"),
])
def test_plain_addresses_take_the_fast_path(text, expected):
    assert validation._plain_email(text) == expected == validate_email(text, check_deliverability=False).normalized


@pytest.mark.parametrize("text", ["a@b.test", "a@xn--bcher-kva.id", "a..b@c.id", "a@c.123", "x@localhost",
                                  "a@" + "b" * 64 + ".id", "Nama <a@b.id>", "a@b"])
def test_anything_unusual_goes_to_email_validator(text):
    assert validation._plain_email(text) is None
    try:
        expected = validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        with pytest.raises(validation.ValidationError):
            validation.email(text)
    else:
        assert validation.email(text) == expected


@given(st.from_regex(r"[0-9]{16}", fullmatch=True) | st.builds(
    lambda place, day, month, year, serial: f"{place}{day:02d}{month:02d}{year:02d}{serial:04d}",
    st.sampled_from(["317101", "320101", "510101", "999901", "110101"]), st.integers(0, 72), st.integers(0, 13),
    st.integers(0, 99), st.integers(0, 9999)))
def test_the_remembered_nik_verdicts_are_python_stdnum_s(number):
    """validation.nik remembers stdnum's verdict per region and birth date; it stays stdnum's."""
    from stdnum.id import nik as stdnum_nik

    try:
        expected = stdnum_nik.validate(number)
    except Exception:  # noqa: BLE001  (any refusal)
        with pytest.raises(validation.ValidationError):
            validation.nik(number)
    else:
        assert validation.nik(number) == expected


@settings(max_examples=1000)
@given(st.sampled_from(["0", "+62", "62", "", "00", "+6208", "0062"]), st.from_regex(r"8[0-9]{6,13}", fullmatch=True))
def test_the_mobile_number_shortcut_agrees_with_phonenumbers(prefix, digits):
    compact = prefix + digits
    plain = validation._plain_mobile(compact)
    if plain is not None:
        assert validation._parsed_mobile(compact) == plain
