"""The back-office catalogues: same keys in both languages, nothing redefined from other
catalogues, and a text for every key, rule and field the back-office services raise."""

import json

import pytest

from kidb_tui.i18n import PLURAL_CATEGORIES
from kidb_tui.resources import data_dir
from kidb_tui.services.review import REJECTION_CODES

RAISED = [
    "review.changed_elsewhere", "review.wrong_stage", "review.needs_supervisor", "review.four_eyes",
    "review.balance_too_low", "review.claim_not_found", "counter.participant_not_found", "counter.no_account",
    *(f"reject.{code}" for code in REJECTION_CODES),
    *(f"rule.{rule}" for rule in (
        "approved_above_requested", "difference_reason_required", "documents_not_seen", "rejection_code_unknown", "ktp_not_seen",
        "password_contains_username", "username_format", "username_taken", "role_unknown", "stage_unknown",
    )),
    *(f"field.{name}" for name in (
        "approved_amount", "difference_reason", "documents_seen", "rejection_code", "note", "payment_reference", "ktp_seen",
        "username", "password", "role", "stage",
    )),
]


def _catalogue(language: str, name: str) -> dict[str, str]:
    return json.loads((data_dir() / "i18n" / language / name).read_text(encoding="utf-8"))


def test_same_keys_in_both_languages():
    """Plural forms (`<key>.one`) are only where a language needs them (kidb_tui/i18n.py)."""
    def general(language: str) -> set[str]:
        return {key for key in _catalogue(language, "backoffice.json") if key.rpartition(".")[2] not in PLURAL_CATEGORIES}

    assert general("id") == general("en")


@pytest.mark.parametrize("language", ["id", "en"])
def test_no_key_redefined_from_another_catalogue(language):
    ours = set(_catalogue(language, "backoffice.json"))
    for path in (data_dir() / "i18n" / language).glob("*.json"):
        if path.name != "backoffice.json":
            assert ours & set(json.loads(path.read_text(encoding="utf-8"))) == set(), path.name


@pytest.mark.parametrize("language", ["id", "en"])
def test_every_raised_key_has_a_text(language):
    catalogue = _catalogue(language, "backoffice.json")
    assert [key for key in RAISED if not catalogue.get(key)] == []


def test_every_claim_type_has_a_short_label():
    codes = {entry["code"] for entry in json.loads((data_dir() / "claim_types.json").read_text(encoding="utf-8"))}
    for language in ("id", "en"):
        catalogue = _catalogue(language, "backoffice.json")
        assert {code for code in codes if f"bo.type.{code}" not in catalogue} == set()
        assert all(len(catalogue[f"bo.type.{code}"]) <= 11 for code in codes)
