"""The translation layer: id and en catalogues agree key for key and placeholder for placeholder,
and parameters are shown by convention (rupiah, long dates, local times) (kidb_tui/i18n.py).

The catalogues are read generically: every JSON file under data/i18n/<lang>/."""

import json
import string
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from kidb_tui import i18n
from kidb_tui.errors import AuthError, ValidationError
from kidb_tui.i18n import LANGUAGES, Translator
from kidb_tui.resources import data_dir

I18N = data_dir() / "i18n"


def files(language: str) -> dict[str, Path]:
    return {path.name: path for path in sorted((I18N / language).glob("*.json"))}


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_both_languages_have_the_same_files():
    assert set(files("id")) == set(files("en")) and files("id")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_value_is_text_and_no_key_is_defined_twice(language):
    seen: dict[str, str] = {}
    for name, path in files(language).items():
        for key, value in load(path).items():
            assert isinstance(value, str) and value.strip(), f"{language}/{name}: {key}"
            assert key not in seen, f"{key} is in both {seen.get(key)} and {name}"
            seen[key] = name


def general_keys(path: Path) -> set[str]:
    """The file's keys without plural forms (`<key>.one` etc., which only some languages need)."""
    return {key for key in load(path) if key.rpartition(".")[2] not in i18n.PLURAL_CATEGORIES}


def test_same_keys_in_each_file():
    differences = {}
    for name, path in files("id").items():
        english = files("en").get(name)
        id_keys, en_keys = general_keys(path), general_keys(english) if english else set()
        if id_keys != en_keys:
            differences[name] = {"only_id": sorted(id_keys - en_keys), "only_en": sorted(en_keys - id_keys)}
    assert differences == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_plural_form_belongs_to_a_key_with_the_same_placeholders(language):
    texts = i18n.catalogue(language)
    for key, text in texts.items():
        base, _, category = key.rpartition(".")
        if category in i18n.PLURAL_CATEGORIES:
            assert base in texts, key
            assert placeholders(text) == placeholders(texts[base]), key


@pytest.mark.parametrize("key, params, singular, plural", [
    ("req.membership_years.met", {"years": 1}, "Membership of 1 year or more.", "Membership of 5 years or more."),
    ("rule.documents_missing", {"count": 1}, "1 document not ticked; every document must be brought.",
     "5 documents not ticked; every document must be brought."),
    ("form.has_errors", {"count": 1}, "1 field needs correcting (see the message under it).",
     "5 fields need correcting (see the message under each field)."),
    ("claim.service_level_text", {"expected_date": "2026-11-26", "days": 1},
     "26 November 2026 at the latest (1 working day)", "26 November 2026 at the latest (5 working days)"),
    ("session.countdown_idle", {"seconds": 1},
     "No activity. The session closes in 1 second. Press any key to continue.",
     "No activity. The session closes in 5 seconds. Press any key to continue."),
    ("auth.terminal_wait", {"minutes": 1},
     "Too many failed attempts at this terminal: wait 1 minute, then try again. Need help? Ask the officer at "
     "the counter.",
     "Too many failed attempts at this terminal: wait 5 minutes, then try again. Need help? Ask the officer at "
     "the counter."),
])
def test_english_plurals_through_plural_keys(key, params, singular, plural):
    translator = i18n.Translator("en")
    assert translator.t(key, **params) == singular
    assert translator.t(key, **{name: 5 if isinstance(value, int) else value for name, value in params.items()}) == plural


def test_indonesian_has_one_form_for_every_count():
    translator = i18n.Translator("id")
    assert translator.t("req.membership_years.met", years=1) == "Kepesertaan sudah 1 tahun atau lebih."
    assert translator.t("rule.documents_missing", count=1).startswith("1 dokumen")


def test_same_placeholders_per_key():
    indonesian, english = i18n.catalogue("id"), i18n.catalogue("en")
    differing = {
        key: (sorted(placeholders(text)), sorted(placeholders(english[key])))
        for key, text in indonesian.items()
        if key in english and placeholders(text) != placeholders(english[key])
    }
    assert differing == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_is_a_valid_format_string_with_named_placeholders(language):
    broken = []
    for key, text in i18n.catalogue(language).items():
        try:
            names = placeholders(text)
            text.format(**{name: "x" for name in names})
        except (ValueError, IndexError, KeyError):
            broken.append(key)
        else:
            if not all(name.isidentifier() for name in names):
                broken.append(key)
    assert broken == []


@pytest.fixture
def texts(monkeypatch):
    """A small catalogue of our own so the conventions are tested apart from the wording."""
    catalogues = {
        "id": {"t.amount": "Paling banyak {max_amount}.", "t.date": "Mulai {eligible_date}.",
               "t.at": "Dikirim {created_at}.", "t.field": "Periksa {field}.", "t.plain": "Halo {name}.",
               "field.amount": "Jumlah (Rp)", "rule.amount_max": "melebihi {max_amount}.", "only.id": "Hanya id"},
        "en": {"t.amount": "At most {max_amount}.", "t.date": "From {eligible_date}.",
               "t.at": "Sent {created_at}.", "t.field": "Check {field}.", "t.plain": "Hello {name}.",
               "field.amount": "Amount (Rp)", "rule.amount_max": "is above {max_amount}."},
    }
    monkeypatch.setattr(i18n, "catalogue", lambda language: catalogues[language])


@pytest.mark.parametrize("language, expected", [("id", "Paling banyak Rp25.500.000."), ("en", "At most Rp25.500.000.")])
def test_amounts_are_rupiah(texts, language, expected):
    assert Translator(language).t("t.amount", max_amount=25_500_000) == expected


@pytest.mark.parametrize("language, value, expected", [
    ("id", date(2026, 12, 15), "Mulai 15 Desember 2026."),
    ("en", date(2026, 12, 15), "From 15 December 2026."),
    ("id", "2026-12-15", "Mulai 15 Desember 2026."),
])
def test_dates_are_long_dates(texts, language, value, expected):
    assert Translator(language).t("t.date", eligible_date=value) == expected


@pytest.mark.parametrize("language, expected", [
    ("id", "Dikirim 25 Nov 2026 10.00 WIB."), ("en", "Sent 25 Nov 2026 10.00 WIB."),
])
def test_moments_are_local_jakarta_time(texts, language, expected):
    assert Translator(language).t("t.at", created_at=datetime(2026, 11, 25, 3, 0, tzinfo=UTC)) == expected


def test_field_parameters_are_translated_and_others_left_alone(texts):
    translator = Translator("en")
    assert translator.t("t.field", field="amount") == "Check Amount (Rp)."
    assert translator.t("t.plain", name="Siti <b>[bold]</b>") == "Hello Siti <b>[bold]</b>."


def test_missing_english_falls_back_to_indonesian_then_the_key(texts):
    assert Translator("en").t("only.id") == "Hanya id"
    assert Translator("en").t("no.such.key") == "no.such.key"


def test_language_toggle_and_unknown_language():
    translator = Translator("fr")
    assert translator.language == "id"
    assert translator.toggle() == "en" and translator.toggle() == "id"


def test_error_messages_name_the_field_first(texts):
    error = ValidationError("amount", "amount_max", max_amount=25_500_000)
    assert Translator("id").error(error) == "Jumlah (Rp): melebihi Rp25.500.000."
    assert Translator("en").error(error) == "Amount (Rp): is above Rp25.500.000."
    assert Translator("en").error(AuthError("t.plain", name="Siti")) == "Hello Siti."


def test_words_fixed_for_issue_11():
    indonesian, english = i18n.catalogue("id"), i18n.catalogue("en")
    assert not [key for key, text in indonesian.items() if "tercadang" in text]
    assert "dicadangkan" in indonesian["req.balance_positive.unmet"]
    assert indonesian["bo.type.jht_mengundurkan_diri"] == "JHT mundur"
    assert "F4" in indonesian["help.forgot.text"] and "F4" in english["help.forgot.text"]
    assert indonesian["key.reset"] in indonesian["help.forgot.text"] and english["key.reset"] in english["help.forgot.text"]
