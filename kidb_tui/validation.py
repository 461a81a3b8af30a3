"""Field validators. Each returns the normalised value or raises ValidationError(field, rule)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.id import nik as stdnum_nik

from kidb_tui.errors import ValidationError
from kidb_tui.money import parse_rupiah

_BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_FORBIDDEN = re.compile(f"[\x00-\x1f\x7f-\x9f\ud800-\udfff{_BIDI_CONTROLS}{_INVISIBLE}]")
"""Unicode categories Cc (C0, DEL, C1) and Cs (surrogates), bidi controls, zero-width characters."""
_DIGITS = re.compile(r"[0-9]+")
_DATE_FORMATS = ("%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d")

MAX_REASON = 500
MAX_ADDRESS = 300
MAX_NAME = 120
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def has_forbidden_characters(value: str) -> bool:
    """Control characters (C0, C1, DEL), bidi overrides, zero-width characters and unpaired surrogates."""
    return _FORBIDDEN.search(value) is not None


def clean_text(value: str, field: str, max_length: int, required: bool = True) -> str:
    """NFKC-normalise, reject control and bidi characters, fold runs of spaces, check length."""
    if has_forbidden_characters(value):
        raise ValidationError(field, "control_characters")
    if value.isascii():  # NFKC leaves ASCII as it is
        text = " ".join(value.split())
    else:
        text = " ".join(unicodedata.normalize("NFKC", value).split())
        if has_forbidden_characters(text):
            raise ValidationError(field, "control_characters")
    if required and not text:
        raise ValidationError(field, "required")
    if len(text) > max_length:
        raise ValidationError(field, "max_length", max=max_length)
    return text


def _digits_only(value: str, field: str) -> str:
    text = clean_text(value, field, 64).replace(" ", "")
    return text


def nib(value: str) -> str:
    """Participant number: exactly 11 digits."""
    text = _digits_only(value, "nib")
    if not (len(text) == 11 and text.isascii() and text.isdigit()):
        raise ValidationError("nib", "nib_format")
    return text


def nik(value: str) -> str:
    """National ID: 16 digits with a valid region and birth date (python-stdnum)."""
    text = _digits_only(value, "nik")
    if not (len(text) == 16 and text.isascii() and text.isdigit()):
        raise ValidationError("nik", "nik_format")
    try:
        return stdnum_nik.validate(text)
    except StdnumError as exc:
        raise ValidationError("nik", "nik_invalid") from exc


def a_date(value: str | date, field: str, today: date | None = None) -> date:
    """A date typed as DD-MM-YYYY (also / or .) or ISO YYYY-MM-DD; never in the future."""
    if isinstance(value, date):
        parsed = value
    else:
        text = clean_text(value, field, 40)
        for fmt in _DATE_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt).date()
                break
            except ValueError:
                continue
        else:
            shaped = re.fullmatch(r"\d{1,2}[-/.]\d{1,2}[-/.]\d{4}|\d{4}-\d{2}-\d{2}", text)
            raise ValidationError(field, "date_invalid" if shaped else "date_format")
    if today is not None and parsed > today:
        raise ValidationError(field, "date_future")
    return parsed


def email(value: str) -> str:
    """A syntactically valid address, stored in its normalised form (no DNS check)."""
    text = clean_text(value, "email", 254)
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValidationError("email", "email_invalid") from exc


def phone(value: str) -> str:
    """An Indonesian mobile number (08…, +628…, 10–13 digits with the leading 0), as E.164."""
    text = clean_text(value, "phone", 20)
    compact = re.sub(r"[\s\-().]", "", text)
    if not re.fullmatch(r"\+?[0-9]+", compact):
        raise ValidationError("phone", "phone_invalid")
    try:
        parsed = phonenumbers.parse(compact, "ID")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError("phone", "phone_invalid") from exc
    national = str(parsed.national_number)
    mobile_types = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    if (
        parsed.country_code != 62
        or not national.startswith("8")
        or not 10 <= len(national) + 1 <= 13
        or phonenumbers.number_type(parsed) not in mobile_types  # a valid number's type is never UNKNOWN
    ):
        raise ValidationError("phone", "phone_invalid")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def postal_code(value: str) -> str:
    """Five digits, the first not zero."""
    text = _digits_only(value, "postal_code")
    if not re.fullmatch(r"[1-9][0-9]{4}", text):
        raise ValidationError("postal_code", "postal_code_format")
    return text


def amount(value: str | int) -> int:
    """Whole rupiah above zero, typed with or without dot grouping."""
    if isinstance(value, bool):
        raise ValidationError("amount", "amount_format")
    if isinstance(value, int):
        parsed = value
    else:
        if has_forbidden_characters(value):
            raise ValidationError("amount", "control_characters")
        if not value.strip():
            raise ValidationError("amount", "required")
        try:
            parsed = parse_rupiah(value)
        except ValueError as exc:
            raise ValidationError("amount", str(exc)) from exc
    if parsed <= 0:
        raise ValidationError("amount", "amount_positive")
    return parsed


def account_number(value: str, bank_name: str, length: int) -> str:
    """Digits only (spaces and dashes ignored), exactly the bank's account length."""
    text = clean_text(value, "account_number", 40)
    compact = re.sub(r"[\s\-]", "", text)
    if not (compact.isascii() and compact.isdigit()):
        raise ValidationError("account_number", "account_digits")
    if len(compact) != length:
        raise ValidationError("account_number", "account_length", bank=bank_name, length=length)
    return compact


def name_key(name: str) -> str:
    """A name reduced for comparison: NFKC, case-folded, letters and digits only."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def account_holder(value: str, participant_name: str) -> str:
    """The holder's name must be the participant's, ignoring case, spaces and punctuation, and
    must not start like a spreadsheet formula (it ends up in the payments export)."""
    text = clean_text(value, "account_holder", MAX_NAME)
    if text.startswith(FORMULA_STARTS):
        raise ValidationError("account_holder", "formula_start")
    if name_key(text) != name_key(participant_name):
        raise ValidationError("account_holder", "holder_mismatch", name=participant_name)
    return text


def full_name(value: str) -> str:
    return clean_text(value, "full_name", MAX_NAME)


def reason(value: str) -> str:
    return clean_text(value, "reason", MAX_REASON)


def address(value: str) -> str:
    return clean_text(value, "address", MAX_ADDRESS)
