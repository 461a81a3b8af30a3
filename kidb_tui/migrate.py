"""Schema upgrades through the Alembic scripts inside the package, safe to run from many
kiosk processes at once (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: an advisory lock)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

    from kidb_tui.masked import SecretBytes

_SCRIPTS = Path(__file__).resolve().parent / "migrations"
_PG_LOCK_ID = 0x4B494442
HEAD = "0008"
"""The newest revision in `migrations/versions` (a test keeps it equal to Alembic's head)."""


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    return config


def is_current(engine: Engine) -> bool:
    """Whether the database is already at HEAD: the kiosk then starts without loading Alembic."""
    return current_revision(engine) == HEAD


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision; None for a database without one (empty, or never migrated)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def is_empty(engine: Engine) -> bool:
    """No table at all besides Alembic's own: a new database, nothing in it to migrate."""
    with engine.connect() as connection:
        return not set(inspect(connection).get_table_names()) - {"alembic_version"}


def pending(engine: Engine) -> list[tuple[str, str]]:
    """(revision, what it does) of every migration an upgrade to HEAD would apply, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    current = current_revision(engine)
    steps = list(script.iterate_revisions(HEAD, current))
    return [(step.revision, (step.doc or "").strip().splitlines()[0] if step.doc else "") for step in reversed(steps)]


@contextmanager
def _migration_connection(engine: Engine) -> Iterator[Connection]:
    """One write transaction for a migration. On SQLite, foreign keys are off while it runs (batch
    mode copies and drops tables that others reference; the pragma only works outside a
    transaction) and checked before it commits."""
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        driver = connection.connection.driver_connection
        assert driver is not None, "a connection that is open has its driver's connection"
        if sqlite:
            driver.execute("PRAGMA foreign_keys = OFF")
        try:
            with connection.execution_options(kidb_write=True).begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
                yield connection
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                    raise RuntimeError("the migration left rows whose foreign keys point nowhere")
        finally:
            if sqlite:
                driver.execute("PRAGMA foreign_keys = ON")


def upgrade(engine: Engine, revision: str = "head", audit_key: SecretBytes | None = None) -> None:
    """Alembic is imported here rather than at module load: a kiosk at HEAD never needs it.
    `audit_key` is needed by 0004 (which re-keys the audit chain) when audit rows exist."""
    from alembic import command

    config = alembic_config()
    with _migration_connection(engine) as connection:
        config.attributes.update(connection=connection, audit_key=audit_key)
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str, audit_key: SecretBytes | None = None) -> None:
    from alembic import command

    config = alembic_config()
    with _migration_connection(engine) as connection:
        config.attributes.update(connection=connection, audit_key=audit_key)
        command.downgrade(config, revision)
