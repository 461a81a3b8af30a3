"""`rt` and `demo_rt` for the back-office tests: the same databases as tests/conftest.py builds
(migrated with reference data; plus the demo data), but built once per session into template
files and copied for each test, because building them costs more than most of these tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from kidb_tui.bootstrap import prepare
from kidb_tui.clock import FrozenClock
from kidb_tui.services import demo
from kidb_tui.services.runtime import Runtime
from tests.conftest import FROZEN_AT

SQLITE_SUFFIXES = ("", "-wal", "-shm")


@pytest.fixture(scope="session")
def template_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("templates")


def _copied_runtime(settings, clock, template: Path, seed: bool):
    if not template.exists():
        built = prepare(settings.with_(database_url=f"sqlite:///{template}"), FrozenClock(FROZEN_AT))
        if seed:
            demo.seed(built)
        built.engine.dispose()
    target = Path(make_url(settings.database_url).database)
    for suffix in SQLITE_SUFFIXES:
        source = Path(f"{template}{suffix}")
        if source.exists():
            shutil.copyfile(source, f"{target}{suffix}")
    return Runtime.create(settings, clock)


@pytest.fixture
def rt(settings, clock, template_dir):
    """A runtime on an empty, migrated database with claim types and banks."""
    runtime = _copied_runtime(settings, clock, template_dir / "empty.sqlite3", seed=False)
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def demo_rt(settings, clock, template_dir):
    """A runtime with the six demo participants, the two demo officers and their claims."""
    runtime = _copied_runtime(settings, clock, template_dir / "demo.sqlite3", seed=True)
    yield runtime
    runtime.engine.dispose()
