"""The PIN/password policy: a 6-digit PIN or a password of 8+ characters, refused with a reason
when it is guessable from the participant's own data or common use."""

from __future__ import annotations

from datetime import date
from functools import cache

from kidb_tui.errors import ValidationError
from kidb_tui.resources import data_dir
from kidb_tui.validation import has_forbidden_characters

PIN_LENGTH = 6
PASSWORD_MIN = 8
PASSWORD_MAX = 128
RUN_LENGTH = 6
KINDS = ("pin", "password")


@cache
def common_secrets() -> frozenset[str]:
    lines = (data_dir() / "common_passwords.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def is_repeated(secret: str) -> bool:
    return len(set(secret)) == 1 or (len(secret) % 2 == 0 and len(set(secret[0::2])) == 1 and len(set(secret[1::2])) == 1)


def is_sequential(secret: str) -> bool:
    if len(secret) < 3:
        return False
    steps = {ord(b) - ord(a) for a, b in zip(secret, secret[1:])}
    if secret.isdigit():
        steps = {step % 10 for step in steps}
        return steps in ({1}, {9})
    return steps in ({1}, {-1})


def _birth_date_forms(birth_date: date) -> set[str]:
    return {
        birth_date.strftime("%d%m%y"),
        birth_date.strftime("%y%m%d"),
        birth_date.strftime("%d%m%Y"),
        birth_date.strftime("%Y%m%d"),
    }


def _runs(number: str) -> set[str]:
    return {number[i : i + RUN_LENGTH] for i in range(len(number) - RUN_LENGTH + 1)}


def check_secret(
    secret: str, kind: str, *, nib: str, nik: str, birth_date: date, field: str = "secret"
) -> None:
    """Raise ValidationError(field, rule) for the first rule the secret breaks."""
    if kind not in KINDS:
        raise ValidationError("secret_kind", "secret_kind")
    if has_forbidden_characters(secret):
        raise ValidationError(field, "control_characters")
    if kind == "pin":
        if not (len(secret) == PIN_LENGTH and secret.isascii() and secret.isdigit()):
            raise ValidationError(field, "pin_format", length=PIN_LENGTH)
    elif not PASSWORD_MIN <= len(secret) <= PASSWORD_MAX:
        raise ValidationError(field, "password_length", min=PASSWORD_MIN, max=PASSWORD_MAX)
    lowered = secret.lower()
    if is_repeated(lowered):
        raise ValidationError(field, "secret_repeated")
    if is_sequential(lowered):
        raise ValidationError(field, "secret_sequential")
    if any(form in secret for form in _birth_date_forms(birth_date)):
        raise ValidationError(field, "secret_birth_date")
    if any(run in secret for run in _runs(nib)):
        raise ValidationError(field, "secret_from_nib")
    if any(run in secret for run in _runs(nik)):
        raise ValidationError(field, "secret_from_nik")
    if lowered in common_secrets():
        raise ValidationError(field, "secret_common")


def check_confirmation(secret: str, confirmation: str, field: str = "secret_confirm") -> None:
    if secret != confirmation:
        raise ValidationError(field, "secret_mismatch")
