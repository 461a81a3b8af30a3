"""Field validators. Each returns the normalised value or raises ValidationError(field, rule)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from functools import lru_cache

import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
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

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_PLAIN_EMAIL = re.compile(rf"({_ATEXT}+(?:\.{_ATEXT}+)*)@((?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]+)")

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


@lru_cache(maxsize=65_536)
def _nik_valid(place: str, born: str) -> bool:
    """Whether python-stdnum accepts a NIK with this region (digits 1-4) and birth date (7-12):
    for 16 digits its verdict depends on nothing else, so one answer serves every NIK sharing
    them (the import checks 100,000 NIKs, most of them from a few regions and dates)."""
    try:
        stdnum_nik.validate(f"{place}00{born}0001")
    except StdnumError:
        return False
    return True


def nik(value: str) -> str:
    """National ID: 16 digits with a valid region and birth date (python-stdnum)."""
    text = _digits_only(value, "nik")
    if not (len(text) == 16 and text.isascii() and text.isdigit()):
        raise ValidationError("nik", "nik_format")
    if not _nik_valid(text[:4], text[6:12]):
        raise ValidationError("nik", "nik_invalid")
    return text


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


def _plain_email(text: str) -> str | None:
    """What email_validator returns for a plain ASCII address it is certain to accept (a
    dot-atom before the @, letters-only top-level domain, no `--`, within every length limit,
    not a special-use name), found without it (the participant import checks 100,000 of these);
    None for anything else, which goes to email_validator."""
    match = _PLAIN_EMAIL.fullmatch(text)
    if match is None or len(text) > 254:
        return None
    local, domain = match[1], match[2].lower()
    if len(local) > 64 or len(domain) > 253 or "--" in domain or any(len(label) > 63 for label in domain.split(".")):
        return None
    if any(domain == name or domain.endswith("." + name) for name in SPECIAL_USE_DOMAIN_NAMES):
        return None
    return f"{local}@{domain}"


def email(value: str) -> str:
    """A syntactically valid address, stored in its normalised form (no DNS check)."""
    text = clean_text(value, "email", 254)
    plain = _plain_email(text)
    if plain is not None:
        return plain
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValidationError("email", "email_invalid") from exc


_MOBILE_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
_PLAIN_MOBILE = re.compile(r"(?:0|\+62)(8[0-9]{8,11})")


def _parsed_mobile(compact: str) -> str | None:
    """The number in E.164 when phonenumbers reads it as an Indonesian mobile number, else None."""
    try:
        parsed = phonenumbers.parse(compact, "ID")
    except phonenumbers.NumberParseException:
        return None
    national = str(parsed.national_number)
    if (
        parsed.country_code != 62
        or not national.startswith("8")
        or not 10 <= len(national) + 1 <= 13
        or phonenumbers.number_type(parsed) not in _MOBILE_TYPES  # a valid number's type is never UNKNOWN
    ):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _plain_mobile(compact: str) -> str | None:
    """`08…` or `+628…` that phonenumbers' metadata types as mobile, without parsing it (the
    import checks 100,000 of these); None for anything else, which goes to `_parsed_mobile`."""
    match = _PLAIN_MOBILE.fullmatch(compact)
    if match is None:
        return None
    number = phonenumbers.PhoneNumber(country_code=62, national_number=int(match[1]))
    return f"+62{match[1]}" if phonenumbers.number_type(number) in _MOBILE_TYPES else None


def phone(value: str) -> str:
    """An Indonesian mobile number (08…, +628…, 10–13 digits with the leading 0), as E.164."""
    text = clean_text(value, "phone", 20)
    compact = re.sub(r"[\s\-().]", "", text)
    if not re.fullmatch(r"\+?[0-9]+", compact):
        raise ValidationError("phone", "phone_invalid")
    number = _plain_mobile(compact) or _parsed_mobile(compact)
    if number is None:
        raise ValidationError("phone", "phone_invalid")
    return number


def phone_national(stored: str) -> str:
    """A stored E.164 mobile number as people write it: `+6281234567890` -> `0812-3456-7890`
    (what the participant sees; the database keeps E.164). Anything else is returned as it is."""
    try:
        parsed = phonenumbers.parse(stored, "ID")
    except phonenumbers.NumberParseException:
        return stored
    if parsed.country_code != 62:
        return stored
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


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


def account_digits(value: str) -> str:
    """An account number's digits (spaces and dashes ignored); any other character refused."""
    text = clean_text(value, "account_number", 40)
    compact = re.sub(r"[\s\-]", "", text)
    if not (compact.isascii() and compact.isdigit()):
        raise ValidationError("account_number", "account_digits")
    return compact


def account_number(value: str, bank_name: str, length: int) -> str:
    """Digits only (spaces and dashes ignored), exactly the bank's account length."""
    compact = account_digits(value)
    if len(compact) != length:
        raise ValidationError("account_number", "account_length", bank=bank_name, length=length)
    return compact


def name_key(name: str) -> str:
    """A name reduced for comparison: NFKC, case-folded, letters and digits only."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(filter(str.isalnum, folded))


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
    """The claim's reason: the one text that may hold line breaks (typed in a multi-line area).
    Each line is cleaned as `clean_text` does; a CR LF or CR counts as a line break, blank lines
    at either end go and runs of blank lines become one."""
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cleaned = [clean_text(line, "reason", MAX_REASON, required=False) for line in lines]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(cleaned)).strip("\n")
    if not text:
        raise ValidationError("reason", "required")
    if len(text) > MAX_REASON:
        raise ValidationError("reason", "max_length", max=MAX_REASON)
    return text


def address(value: str) -> str:
    return clean_text(value, "address", MAX_ADDRESS)
