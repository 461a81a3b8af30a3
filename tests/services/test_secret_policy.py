"""The PIN/password policy: each rule refuses with its name, good secrets pass, passwords need
zxcvbn score 3 with the participant's own data as user inputs (kidb_tui/services/secret_policy.py).
The participant is the demo's Siti."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kidb_tui.errors import ValidationError
from kidb_tui.i18n import Translator, catalogue
from kidb_tui.masked import masked
from kidb_tui.services.secret_policy import WEAKNESS_ORDER, check_confirmation, check_secret, common_secrets
from tests.conftest import SITI


def rule_of(secret: str, kind: str, full_name: str = SITI.name) -> str | None:
    try:
        check_secret(secret, kind, nib=SITI.nib, nik=SITI.nik, birth_date=SITI.birth_date, full_name=full_name)
    except ValidationError as error:
        assert error.field == "secret"
        return error.rule
    return None


@pytest.mark.parametrize("pin", ["258147", "135792", "975318", "736251", "902468"])
def test_good_pins_pass(pin):
    assert rule_of(pin, "pin") is None


@pytest.mark.parametrize("password", [
    "Kopi-Tubruk-2026", "Sate Ayam Madura", "gudeg bakpia malioboro", "Ombak-Pantai-Parangtritis-7",
    "x" * 7 + "Qz!4kLm",
    "Nasi uduk pakai semur jengkol di warung Bu Tini, " * 2,
])
def test_good_passwords_pass(password):
    assert rule_of(password, "password") is None


@pytest.mark.parametrize("password, rule", [
    ("Password1!", "password_weak_common"),
    ("letmein!", "password_weak_common"),
    ("sayangku1", "password_weak_common"),
    ("indonesia1945", "password_weak_date"),
    ("xxxxxxxy", "password_weak_pattern"),
    ("zxcvbnm,./", "password_weak_pattern"),
    ("SitiRahayu!", "password_weak_personal"),
    ("rahayusiti85", "password_weak_personal"),
    ("Rahayu1985", "password_weak_personal"),
    ("bpjstk2026", "password_weak_personal"),
])
def test_guessable_passwords_are_refused_by_zxcvbn(password, rule):
    assert rule_of(password, "password") == rule


def test_the_name_counts_as_the_participants_own_data():
    assert rule_of("Rahayu!Siti", "password", full_name="Budi Santoso") is None
    assert rule_of("Rahayu!Siti", "password") == "password_weak_personal"


def test_masked_secrets_are_checked_like_plain_ones():
    assert rule_of(masked("Password1!"), "password") == "password_weak_common"
    assert rule_of(masked("Kopi-Tubruk-2026"), "password") is None


@pytest.mark.parametrize("rule", ["password_weak", *WEAKNESS_ORDER])
def test_every_weakness_says_in_each_language_what_makes_a_password_strong(rule):
    english = Translator("en").error(ValidationError("secret", rule))
    indonesian = Translator("id").error(ValidationError("secret", rule))
    assert "A strong password is long" in english
    assert "Sandi yang kuat itu panjang" in indonesian
    for zxcvbn_words in ("strong password", "Add another word", "easy to guess", "Avoid"):
        assert zxcvbn_words not in indonesian
    assert set(catalogue("id")) >= {f"rule.{rule}"} <= set(catalogue("en"))


@pytest.mark.parametrize("pin", ["12345", "1234567", "12a456", "258 147", "２５８１４７", ""])
def test_pin_must_be_six_ascii_digits(pin):
    assert rule_of(pin, "pin") == "pin_format"


@pytest.mark.parametrize("password", ["short", "1234567", "x" * 129])
def test_password_length(password):
    assert rule_of(password, "password") == "password_length"


def test_length_error_carries_the_bounds():
    with pytest.raises(ValidationError) as caught:
        check_secret("abc", "password", nib=SITI.nib, nik=SITI.nik, birth_date=SITI.birth_date)
    assert caught.value.params == {"min": 8, "max": 128}


@pytest.mark.parametrize("secret, kind", [
    ("111111", "pin"), ("999999", "pin"), ("121212", "pin"), ("aaaaaaaa", "password"), ("AbAbAbAb", "password"),
])
def test_repeated(secret, kind):
    assert rule_of(secret, kind) == "secret_repeated"


@pytest.mark.parametrize("secret, kind", [
    ("123456", "pin"), ("345678", "pin"), ("654321", "pin"), ("987654", "pin"),
    ("abcdefgh", "password"), ("HGFEDCBA", "password"),
])
def test_sequential_ascending_and_descending(secret, kind):
    assert rule_of(secret, kind) == "secret_sequential"


@pytest.mark.parametrize("secret, kind", [
    ("220485", "pin"),  # ddmmyy
    ("850422", "pin"),  # yymmdd
    ("042285", "pin"),  # mmddyy
    ("852204", "pin"),  # yyddmm
    ("198504", "pin"),  # yyyymm
    ("041985", "pin"),  # mmyyyy
    ("221985", "pin"),  # ddyyyy, the end of mmddyyyy
    ("198522", "pin"),  # yyyydd
    ("220419", "pin"),  # the start of ddmmyyyy
    ("Siti22041985", "password"),
    ("gaji-198504-masuk", "password"),
    ("lahir-19850422", "password"),
    ("pin 220485 saya", "password"),
])
def test_birth_date_forms(secret, kind):
    assert rule_of(secret, kind) == "secret_birth_date"


BIRTH_DATE_SHAPES = ("%d%m%y", "%y%m%d", "%m%d%y", "%y%d%m", "%Y%m", "%m%Y")


@given(st.dates(min_value=date(1940, 1, 1), max_value=date(2010, 12, 31)), st.sampled_from(BIRTH_DATE_SHAPES))
def test_every_six_digit_shape_of_any_birth_date_is_refused_as_a_pin(birth_date, shape):
    pin = birth_date.strftime(shape)
    with pytest.raises(ValidationError) as caught:
        check_secret(pin, "pin", nib="99999999999", nik="9999999999999999", birth_date=birth_date)
    assert caught.value.rule in ("secret_birth_date", "secret_repeated", "secret_sequential")


@given(st.dates(min_value=date(1940, 1, 1), max_value=date(2010, 12, 31)),
       st.sampled_from(("%d%m%Y", "%Y%m%d", "%m%d%Y")), st.integers(0, 2))
def test_every_six_digit_run_of_an_eight_digit_birth_date_is_refused_as_a_pin(birth_date, shape, start):
    pin = birth_date.strftime(shape)[start : start + 6]
    with pytest.raises(ValidationError) as caught:
        check_secret(pin, "pin", nib="99999999999", nik="9999999999999999", birth_date=birth_date)
    assert caught.value.rule in ("secret_birth_date", "secret_repeated", "secret_sequential")


@pytest.mark.parametrize("secret, kind", [("260100", "pin"), ("100000", "pin"), ("P@ss-60100000", "password")])
def test_runs_from_the_nib(secret, kind):
    assert rule_of(secret, kind) == "secret_from_nib"


@pytest.mark.parametrize("secret, kind", [("317101", "pin"), ("620485", "pin"), ("ktp-1016204850003", "password")])
def test_runs_from_the_nik(secret, kind):
    assert rule_of(secret, kind) == "secret_from_nik"


@pytest.mark.parametrize("secret, kind", [
    ("123123", "pin"), ("112233", "pin"), ("147258", "pin"),
    ("password", "password"), ("Password", "password"), ("qwertyuiop", "password"), ("iloveyou", "password"),
])
def test_common_list(secret, kind):
    assert rule_of(secret, kind) == "secret_common"


def test_common_list_is_the_shipped_one():
    common = common_secrets()
    assert len(common) > 9_000
    assert {"123456", "password", "qwerty"} <= common
    assert not any(entry.startswith("#") for entry in common)


@pytest.mark.parametrize("secret", ["Pass\x00word1", "Pass\u202eword1", "Pass\x1b[0mword"])
def test_control_characters_in_passwords(secret):
    assert rule_of(secret, "password") == "control_characters"


def test_unknown_kind():
    with pytest.raises(ValidationError) as caught:
        check_secret("258147", "fingerprint", nib=SITI.nib, nik=SITI.nik, birth_date=SITI.birth_date)
    assert (caught.value.field, caught.value.rule) == ("secret_kind", "secret_kind")


def test_field_name_can_be_chosen():
    with pytest.raises(ValidationError) as caught:
        check_secret("111111", "pin", nib=SITI.nib, nik=SITI.nik, birth_date=SITI.birth_date, field="new_secret")
    assert caught.value.field == "new_secret"


def test_confirmation_mismatch():
    check_confirmation("258147", "258147")
    with pytest.raises(ValidationError) as caught:
        check_confirmation("258147", "258148")
    assert (caught.value.field, caught.value.rule) == ("secret_confirm", "secret_mismatch")
