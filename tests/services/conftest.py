"""Databases for the service tests, built once per session and copied for each test: the empty
migrated one behind `rt` and the seeded one behind `demo_rt` (seeding hashes five PINs and
files two claims, too slow to repeat a few hundred times). Same content as tests/conftest.py
builds; a test takes one of the two, never both.

Every service test runs twice: on SQLite (a file copy of the template) and on the session's
PostgreSQL server (`CREATE DATABASE ... TEMPLATE`)."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kidb_tui.bootstrap import build_demo, prepare
from kidb_tui.clock import FrozenClock
from kidb_tui.config import Settings
from kidb_tui.services import demo
from kidb_tui.services.runtime import Runtime
from tests.conftest import AUDIT_KEY, FAST_ARGON2, FROZEN_AT

BACKENDS = ("sqlite", "postgresql")
_COPIES = itertools.count(1)

TEMPLATE_PEPPER = b"test-pepper-0123456789abcdef-01234"


def _keys_of(settings: Settings) -> tuple:
    """What the copied template was hashed with: the test's settings must match it."""
    return settings.pepper.get_secret_value(), settings.audit_key.get_secret_value(), settings.argon2


def _template(folder: Path, build) -> Path:
    path = folder / "kidb.sqlite3"
    settings = Settings(database_url=f"sqlite:///{path}", pepper=TEMPLATE_PEPPER, audit_key=AUDIT_KEY, argon2=FAST_ARGON2)
    build(settings, FrozenClock(FROZEN_AT)).engine.dispose()
    return path


def _runtime_on_copy(template: Path, settings: Settings, clock) -> Runtime:
    assert _keys_of(settings) == (TEMPLATE_PEPPER, AUDIT_KEY, FAST_ARGON2)
    target = Path(make_url(settings.database_url).database)
    assert not target.exists(), "a test takes `rt` or `demo_rt`, not both"
    shutil.copyfile(template, target)
    return Runtime.create(settings, clock)


@pytest.fixture(scope="session")
def empty_template(tmp_path_factory) -> Path:
    return _template(tmp_path_factory.mktemp("empty-template"), prepare)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    return _template(tmp_path_factory.mktemp("demo-template"), build_demo)


def _pg_admin(pg_cluster, statement: str) -> None:
    engine = create_engine(pg_cluster.url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(statement))
    engine.dispose()


def _pg_template(pg_cluster, name: str, seeded: bool) -> str:
    _pg_admin(pg_cluster, f'DROP DATABASE IF EXISTS "{name}"')
    _pg_admin(pg_cluster, f'CREATE DATABASE "{name}"')
    settings = Settings(database_url=pg_cluster.url(name), pepper=TEMPLATE_PEPPER, audit_key=AUDIT_KEY, argon2=FAST_ARGON2)
    runtime = prepare(settings, FrozenClock(FROZEN_AT))
    if seeded:
        demo.seed(runtime)
    runtime.engine.dispose()
    return name


@pytest.fixture(scope="session")
def pg_empty_template(pg_cluster) -> str:
    return _pg_template(pg_cluster, "tmpl_empty", seeded=False)


@pytest.fixture(scope="session")
def pg_demo_template(pg_cluster) -> str:
    return _pg_template(pg_cluster, "tmpl_demo", seeded=True)


def _runtime(request, settings: Settings, clock, sqlite_template: str, pg_template: str) -> Runtime:
    if request.param == "sqlite":
        return _runtime_on_copy(request.getfixturevalue(sqlite_template), settings, clock)
    cluster = request.getfixturevalue("pg_cluster")
    template = request.getfixturevalue(pg_template)
    name = f"svc_{next(_COPIES)}"
    _pg_admin(cluster, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    assert _keys_of(settings) == (TEMPLATE_PEPPER, AUDIT_KEY, FAST_ARGON2)
    return Runtime.create(settings.with_(database_url=cluster.url(name)), clock)


@pytest.fixture(params=BACKENDS)
def rt(request, settings, clock):
    """A runtime on a fresh copy of the empty migrated database with claim types and banks."""
    runtime = _runtime(request, settings, clock, "empty_template", "pg_empty_template")
    yield runtime
    runtime.engine.dispose()


@pytest.fixture(params=BACKENDS)
def demo_rt(request, settings, clock):
    """A runtime on a fresh copy of the demo database (six participants, see services/demo.py)."""
    runtime = _runtime(request, settings, clock, "demo_template", "pg_demo_template")
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def sqlite_demo_rt(settings, clock, demo_template):
    """The demo database on SQLite only, for tests of SQLite's own locking."""
    runtime = _runtime_on_copy(demo_template, settings, clock)
    yield runtime
    runtime.engine.dispose()
