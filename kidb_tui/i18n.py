"""The one translation layer: message catalogues per language, plus dates and times for display.

Catalogues are JSON files under `data/i18n/<lang>/`, one per screen group, merged at load.
Parameters are filled with `str.format`; the result is plain text, never markup.

Plurals: a key's text is its general ("other") form; a language whose grammar has another form
for a count adds `<key>.<category>` with the CLDR plural category of that count (English:
`rule.documents_missing.one` for "1 document"). The count is the `count` parameter, else the first
whole-number parameter that is not an amount. Indonesian nouns do not inflect: it needs none.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from kidb_tui import time_zones
from kidb_tui.money import format_rupiah
from kidb_tui.resources import data_dir

if TYPE_CHECKING:
    from babel import Locale

LANGUAGES = ("id", "en")
_BABEL_LOCALE = {"id": "id_ID", "en": "en_GB"}
PLURAL_CATEGORIES = ("zero", "one", "two", "few", "many")
"""The CLDR categories a catalogue may add to a key; "other" is the key's own text."""


@cache
def catalogue(language: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted((data_dir() / "i18n" / language).glob("*.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


@cache
def _locale(language: str) -> Locale:
    """babel is imported when a plural, date or time is first shown, not before the first frame."""
    from babel import Locale

    return Locale.parse(_BABEL_LOCALE[language])


def _plural_category(language: str, count: int) -> str:
    return _locale(language).plural_form(count)


class Translator:
    """Holds the current language and the branch's time zone (an IANA name, default WIB);
    `t(key, **params)` gives the text in it."""

    def __init__(self, language: str = "id", timezone: str = time_zones.DEFAULT) -> None:
        self.language = language if language in LANGUAGES else "id"
        self.zone = ZoneInfo(timezone)

    def toggle(self) -> str:
        self.language = LANGUAGES[(LANGUAGES.index(self.language) + 1) % len(LANGUAGES)]
        return self.language

    def t(self, key: str, **params: object) -> str:
        """The text for `key`. Parameters are shown by convention: names ending in `amount`
        as rupiah, `date` as a long date, `_at` as a local date and time."""
        if params:
            key = self._plural_key(key, params)
        text = catalogue(self.language).get(key) or catalogue("id").get(key) or key
        if not params:
            return text
        return text.format(**{name: self._display(name, value) for name, value in params.items()})

    def _plural_key(self, key: str, params: dict[str, object]) -> str:
        """`<key>.<category>` when this language's catalogue has that form for the count."""
        count = params.get("count")
        if not isinstance(count, int):
            count = next((value for name, value in params.items() if isinstance(value, int)
                          and not isinstance(value, bool) and not name.endswith("amount")), None)
        if count is None:
            return key
        category = _plural_category(self.language, abs(count))
        form = f"{key}.{category}"
        return form if category != "other" and form in catalogue(self.language) else key

    def _display(self, name: str, value: object) -> object:
        if name.endswith("amount") and isinstance(value, int):
            return format_rupiah(value)
        if name.endswith("_at"):
            moment = datetime.fromisoformat(value) if isinstance(value, str) else value
            return self.datetime(moment) if isinstance(moment, datetime) else value
        if name.endswith("date"):
            day = date.fromisoformat(value) if isinstance(value, str) else value
            return self.date(day) if isinstance(day, date) else value
        if name == "field" and isinstance(value, str):
            return self.t(f"field.{value}")
        return value

    def date(self, value: date) -> str:
        from babel.dates import format_date

        return format_date(value, format="long", locale=_locale(self.language))

    def datetime(self, value: datetime) -> str:
        """`value` (UTC) in the branch's local time, with its abbreviation: `25 Nov 2026 11.00 WITA`."""
        from babel.dates import format_datetime

        local = value.astimezone(self.zone)
        stamp = format_datetime(local, "d MMM yyyy HH.mm", locale=_locale(self.language))
        return f"{stamp} {time_zones.ZONES.get(self.zone.key) or local.tzname()}"

    def error(self, error) -> str:
        """A DomainError as one sentence; validation errors name their field first."""
        params = {key: value for key, value in error.params.items()}
        message = self.t(error.key, **params)
        field = getattr(error, "field", None)
        if field:
            return f"{self.t('field.' + field)}: {message}"
        return message
