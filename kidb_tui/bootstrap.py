"""Bring a database to the current schema with its reference data, and build the demo database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from kidb_tui import migrate
from kidb_tui.clock import Clock
from kidb_tui.config import Settings
from kidb_tui.services import demo
from kidb_tui.services.reference import sync_reference_data
from kidb_tui.services.runtime import Runtime


def prepare(settings: Settings, clock: Clock | None = None) -> Runtime:
    """A runtime on an upgraded database with claim types and banks in place."""
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
