"""The service layer through a real PgBouncer in transaction mode (Debian's pgbouncer, 1.18 here):
server-side prepared statements must be off with a PgBouncer before 1.21 (`prepare_threshold=none`
in the database URL), and with that, logins, claims from several threads at once, the sealer's
lock and the audit chain all work through it (kidb_tui/db.py)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, func, text
from sqlalchemy.exc import ProgrammingError
from sqlmodel import select

from kidb_tui.bootstrap import prepare
from kidb_tui.db import make_engine
from kidb_tui.models import Claim
from kidb_tui.services import auth, participants
from kidb_tui.services.audit import verify_chain
from kidb_tui.services.audit_seal import seal_pending
from kidb_tui.services.claims import ClaimDraft, submit_claim
from kidb_tui.services.profile import get_profile
from kidb_tui.services.runtime import Runtime
from tests.crash import population
from tests.pg_cluster import start_bouncer_or_skip

NO_PREPARE = "?prepare_threshold=none"
PEOPLE = 8
TYPES = ("biaya_medis", "biaya_pengobatan", "biaya_lainnya")


@pytest.fixture(scope="module")
def bouncer(pg_cluster):
    running = start_bouncer_or_skip(pg_cluster, pool_size=2)
    yield running
    running.stop()


def through(bouncer, settings, query: str = NO_PREPARE):
    """The settings with the database URL pointing at PgBouncer instead of the server."""
    database = urlsplit(settings.database_url).path.lstrip("/")
    return settings.with_(database_url=bouncer.url(database, query))


def statement_after_its_server_connection_was_taken(engine) -> int:
    """Run one statement often enough to be prepared, then again while another client holds the
    server connection it ran on, so that PgBouncer hands this client a different one."""
    holder = create_engine(engine.url.render_as_string(hide_password=False), connect_args={"prepare_threshold": None})
    try:
        with engine.connect() as connection:
            for number in range(10):
                connection.execute(text("SELECT 1 + :x"), {"x": number}).scalar()
                connection.commit()
            with holder.connect() as other:
                other.execute(text("SELECT 1"))
                return connection.execute(text("SELECT 1 + :x"), {"x": 99}).scalar()
    finally:
        holder.dispose()


def test_prepared_statements_are_turned_off_by_the_url_for_an_old_pgbouncer(bouncer, pg_settings):
    assert bouncer.version().startswith("PgBouncer 1.")
    prepared = make_engine(through(bouncer, pg_settings, "").database_url)
    unprepared = make_engine(through(bouncer, pg_settings).database_url)
    try:
        with pytest.raises(ProgrammingError, match=r"prepared statement .* does not exist"):
            statement_after_its_server_connection_was_taken(prepared)
        assert statement_after_its_server_connection_was_taken(unprepared) == 100
    finally:
        prepared.dispose()
        unprepared.dispose()


def test_the_service_layer_works_through_pgbouncer(bouncer, pg_settings, clock):
    rt = prepare(through(bouncer, pg_settings), clock)
    try:
        rows = [population.row(n, 90_000_000) for n in range(1, PEOPLE + 1)]
        assert participants.import_text(rt, population.csv_text(rows)).ok
        people = [population.activate(rt, n) for n in range(1, PEOPLE + 1)]
        failures: list[BaseException] = []
        start = threading.Barrier(4)

        def work(index: int) -> int:
            runtime = Runtime.create(rt.settings.with_(terminal_id=f"bouncer-{index}"), clock)
            start.wait()
            filed = 0
            try:
                for identity in people[index::4]:
                    for _ in range(3):
                        assert auth.login(runtime, identity.nib, population.PIN).ok
                    contact = get_profile(runtime, identity.participant_id).contact
                    for type_code in TYPES:
                        draft = ClaimDraft(type_code, "1.000.000", population.BANK_CODE, population.ACCOUNT_NUMBER,
                                           identity.full_name, "Biaya rawat inap", population.DOCUMENTS[type_code])
                        submit_claim(runtime, identity, draft, contact, population.PIN, f"{identity.nib}-{type_code}")
                        filed += 1
                    seal_pending(runtime)
            except BaseException as error:  # noqa: BLE001 - reported below
                failures.append(error)
            finally:
                runtime.engine.dispose()
            return filed

        with ThreadPoolExecutor(4) as pool:
            filed = sum(pool.map(work, range(4)))
        assert failures == []
        assert filed == PEOPLE * len(TYPES)
        with rt.read() as session:
            assert session.exec(select(func.count()).select_from(Claim)).one() == filed
        seal_pending(rt)
        assert verify_chain(rt) is None
        with rt.read() as session:
            assert session.execute(text("SELECT count(*) FROM audit_event WHERE seq IS NULL")).scalar() == 0
    finally:
        rt.engine.dispose()
