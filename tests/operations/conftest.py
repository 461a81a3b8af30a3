"""The operator's environment for the tests of issue 12: a clean `KIDB_*` environment with a
data directory of its own, test keys and fast argon2, no /etc/kidb/kidb.toml, and the
variables the commands publish (KIDB_CONFIG, KIDB_DATA_DIR, KIDB_LOG_FORMAT) put back after."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kidb_tui import config

PEPPER = "ops-test-pepper-0123456789abcdef-0123"
AUDIT_KEY = "ops-test-audit-key-0123456789abcdef-01"
PUBLISHED = ("KIDB_CONFIG", "KIDB_DATA_DIR", "KIDB_LOG_FORMAT")


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """The data directory of a clean environment (see the module's docstring)."""
    for name in [name for name in os.environ if name.startswith("KIDB_")]:
        monkeypatch.delenv(name)
    for name in PUBLISHED:
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setattr(config, "DEFAULT_CONFIG_FILE", tmp_path / "etc" / "kidb.toml")
    folder = tmp_path / "data"
    monkeypatch.setenv("KIDB_DATA_DIR", str(folder))
    monkeypatch.setenv("KIDB_PEPPER", PEPPER)
    monkeypatch.setenv("KIDB_AUDIT_KEY", AUDIT_KEY)
    monkeypatch.setenv("KIDB_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("KIDB_ARGON2_TIME_COST", "1")
    return folder


def sqlite_url(folder: Path, name: str = "kidb.sqlite3") -> str:
    return f"sqlite:///{folder / name}"


def scalar(url: str, sql: str):
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql)).scalar()
    finally:
        engine.dispose()
