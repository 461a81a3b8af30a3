"""Alembic migrations both ways, on SQLite and PostgreSQL: empty -> head -> base -> head with the
models matching the migrated schema (autogenerate finds no difference), every revision
stepped up, down and up again, and data kept across a downgrade to the first revision and
back (the audit chain is recomputed and verifies)."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, inspect, text
from sqlmodel import SQLModel, select

from kidb_tui import migrate
from kidb_tui.bootstrap import prepare
from kidb_tui.db import make_engine
from kidb_tui.models import Claim, Participant
from kidb_tui.services import audit, demo
from kidb_tui.services.reference import sync_reference_data
from kidb_tui.services.runtime import Runtime

MODEL_TABLES = set(SQLModel.metadata.tables)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_settings(request, settings):
    """The test's settings on SQLite, or on a fresh PostgreSQL database of its own."""
    if request.param == "sqlite":
        return settings
    return request.getfixturevalue("pg_settings")


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def schema_difference(engine: Engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def revisions() -> list[str]:
    """Revision ids from the first to head."""
    script = ScriptDirectory.from_config(migrate.alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def test_upgrade_downgrade_upgrade_leaves_the_schema_of_the_models(database_settings):
    engine = make_engine(database_settings.database_url)
    try:
        assert tables(engine) == set()
        migrate.upgrade(engine)
        assert tables(engine) == MODEL_TABLES | {"alembic_version"}
        assert schema_difference(engine) == []
        migrate.downgrade(engine, "base")
        assert tables(engine) == {"alembic_version"}
        assert current_revision(engine) is None
        migrate.upgrade(engine)
        assert current_revision(engine) == revisions()[-1]
        assert schema_difference(engine) == []
    finally:
        engine.dispose()


def test_every_revision_steps_up_down_and_up_again(database_settings):
    engine = make_engine(database_settings.database_url)
    try:
        below = None
        for revision in revisions():
            migrate.upgrade(engine, revision)
            before = {name: inspect(engine).get_columns(name) for name in tables(engine)}
            migrate.downgrade(engine, below or "base")
            assert current_revision(engine) == below
            migrate.upgrade(engine, revision)
            assert current_revision(engine) == revision
            after = {name: inspect(engine).get_columns(name) for name in tables(engine)}
            assert {n: [c["name"] for c in cols] for n, cols in after.items()} == {
                n: [c["name"] for c in cols] for n, cols in before.items()
            }
            below = revision
        assert schema_difference(engine) == []
    finally:
        engine.dispose()


def test_data_survives_a_downgrade_to_the_first_revision_and_back(database_settings, clock):
    rt = prepare(database_settings, clock)
    try:
        demo.seed(rt)
        with rt.read() as session:
            people = session.exec(select(func.count()).select_from(Participant)).one()
            claims = sorted((c.reference, c.stage, c.amount) for c in session.exec(select(Claim)).all())
        migrate.downgrade(rt.engine, revisions()[0], audit_key=database_settings.audit_key)
        with rt.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM participant")).scalar_one() == people
        migrate.upgrade(rt.engine, audit_key=database_settings.audit_key)
        sync_reference_data(rt)
        with rt.read() as session:
            assert session.exec(select(func.count()).select_from(Participant)).one() == people
            assert sorted((c.reference, c.stage, c.amount) for c in session.exec(select(Claim)).all()) == claims
        assert audit.verify_chain(Runtime.create(database_settings, clock, rt.engine)) is None
        assert schema_difference(rt.engine) == []
    finally:
        rt.engine.dispose()
