"""Alembic migrations shipped in the package: empty to head creates every table, a second run
changes nothing, the migrated schema equals the models, and downgrade/upgrade round-trips
(kidb_tui/migrate.py, kidb_tui/migrations/)."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

import kidb_tui.models  # noqa: F401  (registers every table on SQLModel.metadata)
from kidb_tui import migrate
from kidb_tui.db import make_engine
from kidb_tui.services import audit
from kidb_tui.services.runtime import Runtime


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'schema.sqlite3'}")
    yield engine
    engine.dispose()


def head() -> str:
    return ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()


def version(engine) -> str:
    with engine.connect() as connection:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def test_one_head():
    assert len(ScriptDirectory.from_config(migrate.alembic_config()).get_heads()) == 1


def test_upgrade_from_empty_creates_every_table(engine):
    assert inspect(engine).get_table_names() == []
    migrate.upgrade(engine)
    assert set(inspect(engine).get_table_names()) == set(SQLModel.metadata.tables) | {"alembic_version"}
    assert version(engine) == head()


def test_second_upgrade_is_a_no_op(engine):
    migrate.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO bank (code, name, account_length) VALUES ('014', 'BCA', 10)"))
    migrate.upgrade(engine)
    assert version(engine) == head()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT name FROM bank")).scalars().all() == ["BCA"]


def test_migrated_schema_matches_the_models(engine):
    migrate.upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_downgrade_to_base_and_back(engine):
    migrate.upgrade(engine)
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    assert version(engine) == head()


def test_audit_rows_written_before_the_chain_are_chained_by_the_upgrade(engine, settings, clock):
    migrate.upgrade(engine, "0001")
    with engine.begin() as connection:
        for day in (1, 2, 3):
            connection.execute(
                text("INSERT INTO audit_event (at, actor, action, subject, details, terminal_id, branch) "
                     "VALUES (:at, 'kiosk', 'auth.login', '26010000001', '{}', '', '')"),
                {"at": f"2026-01-0{day} 08:00:00.000000"},
            )
    migrate.upgrade(engine, audit_key=settings.audit_key)
    assert audit.verify_chain(Runtime.create(settings, clock, engine)) is None


def test_head_constant_is_alembics_head(rt):
    from alembic.script import ScriptDirectory

    from kidb_tui import migrate

    assert ScriptDirectory.from_config(migrate.alembic_config()).get_current_head() == migrate.HEAD
    assert migrate.is_current(rt.engine)


def test_is_current_is_false_below_head(tmp_path):
    from kidb_tui import migrate
    from kidb_tui.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    assert not migrate.is_current(engine)
    migrate.upgrade(engine, "0001")
    assert not migrate.is_current(engine)
    migrate.upgrade(engine)
    assert migrate.is_current(engine)
