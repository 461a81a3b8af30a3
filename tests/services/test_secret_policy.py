"""The PIN/password policy: each rule refuses with its name, good secrets pass
(kidb_tui/services/secret_policy.py). The participant is the demo's Siti."""

import pytest

from kidb_tui.errors import ValidationError
from kidb_tui.services.secret_policy import check_confirmation, check_secret, common_secrets
from tests.conftest import SITI


def rule_of(secret: str, kind: str) -> str | None:
    try:
        check_secret(secret, kind, nib=SITI.nib, nik=SITI.nik, birth_date=SITI.birth_date)
    except ValidationError as error:
        assert error.field == "secret"
        return error.rule
    return None


@pytest.mark.parametrize("pin", ["258147", "135792", "975318", "736251", "902468"])
def test_good_pins_pass(pin):
    assert rule_of(pin, "pin") is None


@pytest.mark.parametrize("password", ["Kopi-Tubruk-2026", "letmein!", "Sate Ayam Madura", "x" * 7 + "y"])
def test_good_passwords_pass(password):
    assert rule_of(password, "password") is None


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
    ("220485", "pin"),
    ("850422", "pin"),
    ("Siti22041985", "password"),
    ("lahir-19850422", "password"),
    ("pin 220485 saya", "password"),
])
def test_birth_date_forms(secret, kind):
    assert rule_of(secret, kind) == "secret_birth_date"


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
