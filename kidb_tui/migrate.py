"""Schema upgrades through the Alembic scripts inside the package, safe to run from many
kiosk processes at once (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: an advisory lock)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

_SCRIPTS = Path(__file__).resolve().parent / "migrations"
_PG_LOCK_ID = 0x4B494442


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config()
    with engine.execution_options(kidb_write=True).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config()
    with engine.execution_options(kidb_write=True).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
