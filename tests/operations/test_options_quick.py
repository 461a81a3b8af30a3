"""Options read without pydantic (config._plainly_valid, for the kiosk's first frame) are the
Options the pydantic model (kidb_tui/options_model.py) makes of the same values; a value the
quick check is not sure of goes to the model, which accepts it or words the refusal."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from kidb_tui import config
from kidb_tui.config import RULES, Options, SettingsError, load_options
from kidb_tui.options_model import OptionsModel

SAMPLES = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 10**16), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", " ", "0", "1", "007", "+5", " 5", "5.0", "1.5", "0.1", "8", "9", "1e3", "1_000", "true",
                     "TRUE", "Yes", "off", "t", "id", "en", "EN", "kv", "json", "Asia/Jakarta", "Europe/Paris",
                     "sqlite:///x", "postgresql+psycopg://u@h/d", "mysql://h/d", "smtp://h", "smtps://u@h:465",
                     "http://h/p", "https://h", "ftp://h", "/tmp/x", "x" * 41, "x" * 81, "x" * 255]),
    st.text(max_size=12),
)


def _model_options(values: dict) -> Options | None:
    try:
        model = OptionsModel(**values)
    except ValidationError:
        return None
    return Options(**{name: getattr(model, name) for name in RULES})


def test_the_model_and_the_options_have_the_same_fields_and_defaults():
    assert list(OptionsModel.model_fields) == [f.name for f in fields(Options)] == list(RULES)
    assert config._plainly_valid({}) == _model_options({}) == Options(**config.defaults())


def test_the_settings_defaults_are_the_options_defaults():
    """A Settings made without arguments (tests, the demo) has the defaults an operator gets."""
    made, loaded = config.Settings(), config.load_settings(loaded=config.Loaded(Options(**config.defaults()), {}, None))
    shared = [f.name for f in fields(config.Settings) if f.name in RULES and f.name != "database_url"]
    assert len(shared) > 20
    assert {name: getattr(made, name) for name in shared} == {name: getattr(loaded, name) for name in shared}
    assert (made.argon2, made.failure_delay_base) == (loaded.argon2, loaded.failure_delay_base)


@settings(max_examples=400, deadline=None)
@given(name=st.sampled_from(list(RULES)), value=SAMPLES)
def test_a_plainly_valid_value_is_what_the_model_makes_of_it(name, value):
    quick = config._plainly_valid({name: value})
    if quick is not None:
        assert quick == _model_options({name: value})
        assert type(getattr(quick, name)) is type(getattr(_model_options({name: value}), name))


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("idle_seconds", "120", 120), ("failure_delay", "2.5", 2.5), ("failure_delay", 3, 3.0),
    ("memory_merge", "off", False), ("data_dir", "/srv/kidb", Path("/srv/kidb")), ("language", "en", "en"),
    ("timezone", "Asia/Makassar", "Asia/Makassar"), ("database_url", "sqlite:///k.db", "sqlite:///k.db"),
])
def test_common_values_are_read_without_the_model(name, value, expected):
    quick = config._plainly_valid({name: value})
    assert quick is not None and getattr(quick, name) == expected


def test_a_refused_value_is_worded_by_the_model(monkeypatch):
    monkeypatch.setenv("KIDB_IDLE_SECONDS", "+5x")
    with pytest.raises(SettingsError, match="KIDB_IDLE_SECONDS='\\+5x' is not a whole number; allowed: a whole number"):
        load_options()


def test_a_value_the_quick_check_is_unsure_of_is_taken_by_the_model(monkeypatch):
    monkeypatch.setenv("KIDB_MEMORY_MERGE", "Yes")
    monkeypatch.setenv("KIDB_IDLE_SECONDS", " 90")
    options = load_options().options
    assert options.memory_merge is True and options.idle_seconds == 90
