"""Open a database at the current schema with its reference data, upgrade one on purpose, and
build the demo database. Sessions never migrate: a database at an older schema is refused
(SchemaMismatch) until an operator runs `kidb db upgrade`."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from kidb_tui import migrate
from kidb_tui.clock import Clock
from kidb_tui.config import Settings
from kidb_tui.services import demo
from kidb_tui.services.reference import sync_reference_data
from kidb_tui.services.runtime import Runtime


class SchemaMismatch(Exception):
    """The database's schema is not the one this kidb was built for; one line for the operator."""

    def __init__(self, revision: str | None) -> None:
        self.revision = revision
        if revision is not None and revision > migrate.HEAD:
            text = (f"the database schema is at revision {revision}, newer than this kidb's ({migrate.HEAD}): "
                    "install the kidb version that upgraded it")
        else:
            text = (f"the database schema is at revision {revision or 'none'}, this kidb needs {migrate.HEAD}: "
                    "stop the kiosks and run `kidb db upgrade` (it backs up a SQLite database first)")
        super().__init__(text)


def prepare(settings: Settings, clock: Clock | None = None) -> Runtime:
    """A runtime on a database at the current schema with claim types and banks in place. An
    empty database gets the schema (there is nothing in it to migrate); one at another
    revision raises SchemaMismatch."""
    rt = Runtime.create(settings, clock)
    revision = migrate.current_revision(rt.engine)
    if revision != migrate.HEAD:
        if revision is not None or not migrate.is_empty(rt.engine):
            rt.engine.dispose()
            raise SchemaMismatch(revision)
        migrate.upgrade(rt.engine, audit_key=settings.audit_key)
    sync_reference_data(rt)
    return rt


def upgrade(settings: Settings, clock: Clock | None = None) -> Runtime:
    """`kidb db upgrade`: migrate the database to the current schema, whatever its revision,
    then bring the reference data up to date."""
    rt = Runtime.create(settings, clock)
    if not migrate.is_current(rt.engine):
        migrate.upgrade(rt.engine, audit_key=settings.audit_key)
    sync_reference_data(rt)
    return rt


def build_demo(settings: Settings, clock: Clock | None = None) -> Runtime:
    """Create (or recreate from scratch) a SQLite demo database and fill it."""
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise ValueError("the demo database must be a SQLite file")
    for suffix in ("", "-wal", "-shm"):
        Path(url.database + suffix).unlink(missing_ok=True)
    rt = prepare(settings, clock)
    demo.seed(rt)
    return rt
