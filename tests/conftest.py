"""Shared fixtures: a migrated SQLite database per test, a frozen clock, fast argon2,
the demo data, and the kiosk app built on them."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
from hypothesis import settings as hypothesis_settings

from kidb_tui.bootstrap import prepare
from kidb_tui.clock import FrozenClock
from kidb_tui.config import Argon2Params, Settings
from kidb_tui.services import demo
from kidb_tui.services.auth import Identity, login

hypothesis_settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI") == "true":
    hypothesis_settings.load_profile("ci")

FROZEN_AT = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
FAST_ARGON2 = Argon2Params(memory_kib=1024, time_cost=1, parallelism=1)
AUDIT_KEY = b"test-audit-key-0123456789abcdef-01"
DEMO = {person.nib: person for person in demo.PEOPLE}
SITI, BUDI, DEWI, AGUS, RINA, JOKO = demo.PEOPLE


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(FROZEN_AT)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'kidb.sqlite3'}",
        pepper=b"test-pepper-0123456789abcdef-01234",
        audit_key=AUDIT_KEY,
        argon2=FAST_ARGON2,
        failure_delay_base=0.0,
        failure_delay_max=0.0,
    )


@pytest.fixture
def rt(settings, clock):
    """A runtime on an empty, migrated database with claim types and banks."""
    runtime = prepare(settings, clock)
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def demo_rt(rt):
    """The runtime with the six demo participants (see kidb_tui/services/demo.py)."""
    demo.seed(rt)
    return rt


def sign_in(rt, person) -> Identity:
    result = login(rt, person.nib, person.secret)
    assert result.identity is not None, result.error_key
    return result.identity


@pytest.fixture
def make_app(demo_rt):
    """`make_app()` builds the kiosk on the demo database; `make_app(signed_in=SITI)` starts at the menu."""
    from kidb_tui.app import KidbApp
    from kidb_tui.terminal_app import SIGNED_IN

    class SignedInApp(KidbApp):
        """The kiosk with a participant already signed in: it starts in the signed-in mode."""

        DEFAULT_MODE = SIGNED_IN

        def __init__(self, rt, identity: Identity, language: str) -> None:
            super().__init__(rt, language)
            self.accept(identity)
            self.timer.start(rt.now())

    def build(signed_in=None, language: str = "id") -> KidbApp:
        if signed_in is None:
            return KidbApp(demo_rt, language)
        return SignedInApp(demo_rt, sign_in(demo_rt, signed_in), language)

    return build


async def settle(pilot) -> None:
    """Let workers (argon2 in threads) finish and the screen catch up."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.fixture(scope="session")
def pg_cluster():
    """One PostgreSQL server for the whole test session, torn down at the end."""
    from tests.pg_cluster import start_or_skip

    cluster = start_or_skip()
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_settings(pg_cluster, settings, request) -> Settings:
    """Settings pointing at a fresh database of its own on the session's PostgreSQL server (the
    test's name, cut short, and a hash of its full id: parametrized tests with long names differ)."""
    import hashlib
    import re

    from sqlalchemy import create_engine, text

    tag = hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:8]
    name = "t_" + re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:41] + "_" + tag
    admin = create_engine(pg_cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return settings.with_(database_url=pg_cluster.url(name))


@pytest.fixture
def pg_rt(pg_settings, clock):
    runtime = prepare(pg_settings, clock)
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def smtp_server(tmp_path):
    """A running SMTP server with STARTTLS (tests/mail.py)."""
    from tests.mail import SmtpServer

    server = SmtpServer(tmp_path)
    server.controller.start()
    yield server
    server.controller.stop()
