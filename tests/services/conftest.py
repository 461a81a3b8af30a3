"""Databases for the service tests, built once per session and copied for each test: the empty
migrated one behind `rt` and the seeded one behind `demo_rt` (seeding hashes five PINs and
files two claims, too slow to repeat a few hundred times). Same content as tests/conftest.py
builds; a test takes one of the two, never both."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from kidb_tui.bootstrap import build_demo, prepare
from kidb_tui.clock import FrozenClock
from kidb_tui.config import Settings
from kidb_tui.services.runtime import Runtime
from tests.conftest import FAST_ARGON2, FROZEN_AT

TEMPLATE_PEPPER = b"test-pepper"


def _template(folder: Path, build) -> Path:
    path = folder / "kidb.sqlite3"
    settings = Settings(database_url=f"sqlite:///{path}", pepper=TEMPLATE_PEPPER, argon2=FAST_ARGON2)
    build(settings, FrozenClock(FROZEN_AT)).engine.dispose()
    return path


def _runtime_on_copy(template: Path, settings: Settings, clock) -> Runtime:
    assert (settings.pepper, settings.argon2) == (TEMPLATE_PEPPER, FAST_ARGON2)
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


@pytest.fixture
def rt(settings, clock, empty_template):
    """A runtime on a fresh copy of the empty migrated database with claim types and banks."""
    runtime = _runtime_on_copy(empty_template, settings, clock)
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def demo_rt(settings, clock, demo_template):
    """A runtime on a fresh copy of the demo database (six participants, see services/demo.py)."""
    runtime = _runtime_on_copy(demo_template, settings, clock)
    yield runtime
    runtime.engine.dispose()
