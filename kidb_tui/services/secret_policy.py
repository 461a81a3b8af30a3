"""The PIN/password policy: a 6-digit PIN or a password of 8+ characters, refused with a reason
when it is guessable from the person's own data or common use; passwords must also reach a
zxcvbn strength score (3 for participants, 4 for officers)."""

from __future__ import annotations

import itertools
import threading
from datetime import date
from functools import cache
from typing import Any

from kidb_tui.errors import ValidationError
from kidb_tui.masked import SecretStr, reveal
from kidb_tui.resources import data_dir
from kidb_tui.validation import has_forbidden_characters

PIN_LENGTH = 6
PASSWORD_MIN = 8
PASSWORD_MAX = 128
RUN_LENGTH = 6
KINDS = ("pin", "password")
PARTICIPANT_SCORE = 3
OFFICER_SCORE = 4
SITE_WORDS = ("bpjs", "bpjstk", "ketenagakerjaan", "jamsostek", "kidb", "kiosk")
LOCAL_DICTIONARY = "kidb_common"
# The first weakness found in a password's zxcvbn match sequence names the rule, in this order.
WEAKNESS_ORDER = ("password_weak_personal", "password_weak_common", "password_weak_date",
                  "password_weak_pattern", "password_weak_words")
_ZXCVBN_LOCK = threading.Lock()  # zxcvbn keeps the user inputs of a call in a module global


@cache
def common_secrets() -> frozenset[str]:
    return frozenset(_common_list())


@cache
def _common_list() -> tuple[str, ...]:
    lines = (data_dir() / "common_passwords.txt").read_text(encoding="utf-8").splitlines()
    return tuple(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def is_repeated(secret: str) -> bool:
    return len(set(secret)) == 1 or (len(secret) % 2 == 0 and len(set(secret[0::2])) == 1 and len(set(secret[1::2])) == 1)


def is_sequential(secret: str) -> bool:
    if len(secret) < 3:
        return False
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(secret)}
    if secret.isdigit():
        steps = {step % 10 for step in steps}
        return steps in ({1}, {9})
    return steps in ({1}, {-1})


def birth_date_forms(birth_date: date) -> set[str]:
    """Every 6- and 8-digit way of writing the date: day, month and year in any usual order,
    with a 2- or 4-digit year, and each 6-digit run of the 8-digit forms (yyyymm such as
    `198504`, mmyyyy, ddyyyy, ...)."""
    long_forms = {birth_date.strftime(shape) for shape in ("%d%m%Y", "%Y%m%d", "%m%d%Y", "%Y%d%m")}
    short_forms = {birth_date.strftime(shape) for shape in ("%d%m%y", "%y%m%d", "%m%d%y", "%y%d%m")}
    return long_forms | short_forms | set().union(*(_runs(form) for form in long_forms))


def _runs(number: str) -> set[str]:
    return {number[i : i + RUN_LENGTH] for i in range(len(number) - RUN_LENGTH + 1)}


def check_secret(
    secret: str | SecretStr, kind: str, *, nib: str, nik: str, birth_date: date, full_name: str = "",
    field: str = "secret",
) -> None:
    """Raise ValidationError(field, rule) for the first rule the secret breaks."""
    secret = reveal(secret)
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
    if any(form in secret for form in birth_date_forms(birth_date)):
        raise ValidationError(field, "secret_birth_date")
    if any(run in secret for run in _runs(nib)):
        raise ValidationError(field, "secret_from_nib")
    if any(run in secret for run in _runs(nik)):
        raise ValidationError(field, "secret_from_nik")
    if lowered in common_secrets():
        raise ValidationError(field, "secret_common")
    if kind == "password":
        inputs = [*name_inputs(full_name), nib, nik, *date_inputs(birth_date)]
        check_strength(secret, inputs, PARTICIPANT_SCORE, field)


def name_inputs(name: str) -> list[str]:
    """A name or username as zxcvbn user inputs: whole, joined up either way round, and each part."""
    parts = name.lower().replace(".", " ").replace("_", " ").replace("-", " ").split()
    return [name.lower(), "".join(parts), "".join(reversed(parts)), *parts] if parts else []


def date_inputs(birth_date: date) -> list[str]:
    shapes = ("%Y", "%d%m", "%m%d", "%d-%m-%Y", "%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%y", "%d/%m/%y")
    return [*birth_date_forms(birth_date), *(birth_date.strftime(shape) for shape in shapes)]


def check_strength(password: str, user_inputs: list[str], minimum: int, field: str) -> None:
    """Refuse a password whose zxcvbn score is below `minimum`, with a rule that names its
    main weakness (zxcvbn's own English feedback is never shown)."""
    result = _estimate(password, [*user_inputs, *SITE_WORDS])
    if result["score"] < minimum:
        raise ValidationError(field, weakness_rule(result["sequence"]))


def _estimate(password: str, user_inputs: list[str]) -> dict[str, Any]:
    with _ZXCVBN_LOCK:
        from zxcvbn import matching, zxcvbn  # about 50 ms: loaded when a password is first checked

        if LOCAL_DICTIONARY not in matching.RANKED_DICTIONARIES:
            matching.add_frequency_lists({LOCAL_DICTIONARY: _common_list()})
        result: dict[str, Any] = zxcvbn(password, user_inputs=user_inputs, max_length=PASSWORD_MAX)
        return result


def weakness_rule(sequence: list[dict[str, Any]]) -> str:
    found = set()
    for match in sequence:
        pattern, dictionary = match["pattern"], match.get("dictionary_name")
        if dictionary == "user_inputs":
            found.add("password_weak_personal")
        elif dictionary in ("passwords", LOCAL_DICTIONARY):
            found.add("password_weak_common")
        elif pattern == "dictionary":
            found.add("password_weak_words")
        elif pattern in ("date", "regex"):
            found.add("password_weak_date")
        elif pattern in ("spatial", "repeat", "sequence"):
            found.add("password_weak_pattern")
    return next((rule for rule in WEAKNESS_ORDER if rule in found), "password_weak")


def check_confirmation(secret: str | SecretStr, confirmation: str | SecretStr, field: str = "secret_confirm") -> None:
    if reveal(secret) != reveal(confirmation):
        raise ValidationError(field, "secret_mismatch")
