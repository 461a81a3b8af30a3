"""Claims survive workers killed at random: 4 processes file claims (one in five retries an
acknowledged idempotency key) and move them through the back-office stages while a supervisor
SIGKILLs a random one every few hundred milliseconds and starts it again, for at least 10 and
at most 40 seconds (until enough kills, acknowledged claims and retries have happened).

Afterwards every acknowledged key is in the database exactly once with the reference the
worker was given, no claim exists that no worker asked for, each claim's rows (stage events,
notification, audit row) are complete, every participant's money adds up (reserved is what
the open claims hold, the balance is the imported one minus what was paid, 0 <= reserved <=
balance), SQLite's integrity check passes and the audit chain, sealed afterwards, verifies. Run on
SQLite and on PostgreSQL; the kill schedule is seeded.

On PostgreSQL the server is also restarted under that load (stopped at once, as by a crash, and
started again two seconds later): the workers get `SystemBusy` meanwhile, carry on afterwards
without being restarted, and no acknowledged claim is lost.
"""

from __future__ import annotations

import multiprocessing
import random
import signal
import threading
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import text
from sqlmodel import col, select

from kidb_tui.bootstrap import prepare
from kidb_tui.config import Settings
from kidb_tui.models import AuditEvent, Claim, ClaimEvent, Notification, Participant
from kidb_tui.services import audit, officers, participants
from kidb_tui.services.audit_seal import seal_pending
from kidb_tui.services.runtime import Runtime
from tests.crash import population
from tests.crash.worker import AUDIT_KEY, FAST_ARGON2, complete_lines, run_logged

WORKERS = 4
PARTICIPANTS = 20
MIN_SECONDS, MAX_SECONDS = 10, 40
ENOUGH_ACKS, ENOUGH_KILLS = 40, 30
KILL_EVERY = (0.3, 0.8)
RESTART_AFTER, DOWN_SECONDS = 4.0, 2.0
ENOUGH_ACKS_AFTER_RESTART = 10
PRELOAD = ("tests.crash.worker", "sqlalchemy.dialects.sqlite.pysqlite", "sqlalchemy.dialects.postgresql.psycopg")
SEED = 20261125
PEPPER = "crash-test-pepper"
RESERVING_STAGES = ("agenda", "penetapan", "persetujuan")
PAID_STAGES = ("pembayaran", "selesai")


def balance_of(n: int) -> int:
    return 20_000_000 + n * 1_500_000


def populate(settings: Settings) -> dict[str, int]:
    """Participants with kiosk accounts and two officers; returns each NIB's imported balance."""
    rt = prepare(settings)
    numbers = range(1, PARTICIPANTS + 1)
    report = participants.import_text(rt, population.csv_text([population.row(n, balance_of(n)) for n in numbers]))
    assert report.ok, report.errors
    for n in numbers:
        population.activate(rt, n)
    for username, password, role in population.OFFICERS:
        officers.add_officer(rt, username, password, role)
    rt.engine.dispose()
    return {population.nib(n): balance_of(n) for n in numbers}


class Supervisor:
    """Starts the workers, kills and restarts them on a seeded schedule, reports their failures.

    Workers are forked from a multiprocessing fork server that imported the worker module and
    the drivers once, so a restart costs milliseconds instead of a fresh interpreter's imports.
    """

    def __init__(self, database_url: str, folder: Path, restart=None) -> None:
        """`restart`: a callable that restarts the database, called once, RESTART_AFTER seconds in."""
        self.url, self.folder = database_url, folder
        self.restart = restart
        self.restarted = threading.Event()
        self.acks_at_restart = 0
        self.rng = random.Random(SEED)
        self.context = multiprocessing.get_context("forkserver")
        self.context.set_forkserver_preload(list(PRELOAD))
        self.incarnations = [0] * WORKERS
        self.processes: list[multiprocessing.process.BaseProcess] = []
        self.kills = 0

    def _log(self, worker: int) -> str:
        path = self.folder / f"stderr-{worker}-{self.incarnations[worker]}"
        return path.read_text() if path.exists() else ""

    def _start(self, worker: int) -> multiprocessing.process.BaseProcess:
        process = self.context.Process(
            target=run_logged, args=(self.url, self.folder, worker, self.incarnations[worker], SEED, PEPPER)
        )
        process.start()
        return process

    def _check_alive(self) -> None:
        for worker, process in enumerate(self.processes):
            if not process.is_alive():
                raise AssertionError(f"worker {worker} exited by itself with {process.exitcode}:\n{self._log(worker)}")

    def _kill(self, worker: int) -> None:
        process = self.processes[worker]
        process.kill()
        process.join()
        assert process.exitcode == -signal.SIGKILL, self._log(worker)

    def enough(self, started: float) -> bool:
        """At least MIN_SECONDS and enough kills and acknowledged claims, or MAX_SECONDS in all."""
        elapsed = time.monotonic() - started
        if elapsed >= MAX_SECONDS:
            return True
        acked, _, retries = read_journals(self.folder)
        recovered = self.restart is None or (
            self.restarted.is_set() and len(acked) >= self.acks_at_restart + ENOUGH_ACKS_AFTER_RESTART)
        return (elapsed >= MIN_SECONDS and self.kills >= ENOUGH_KILLS and len(acked) >= ENOUGH_ACKS and retries > 0
                and recovered)

    def _restart_database(self) -> None:
        self.acks_at_restart = len(read_journals(self.folder)[0])
        self.restart()
        self.restarted.set()

    def run(self) -> None:
        self.processes = [self._start(worker) for worker in range(WORKERS)]
        restarter = threading.Timer(RESTART_AFTER, self._restart_database) if self.restart else None
        if restarter is not None:
            restarter.start()
        try:
            started = time.monotonic()
            while not self.enough(started):
                time.sleep(self.rng.uniform(*KILL_EVERY))
                self._check_alive()
                victim = self.rng.randrange(WORKERS)
                self._kill(victim)
                self.kills += 1
                self.incarnations[victim] += 1
                self.processes[victim] = self._start(victim)
            self._check_alive()
        finally:
            if restarter is not None:
                restarter.join()
            for process in self.processes:
                process.kill()
                process.join()


def read_journals(folder: Path) -> tuple[dict[str, list[str]], set[str], int]:
    """Acknowledged claims by key, every key a worker tried, and the number of verified retries."""
    acked: dict[str, list[str]] = {}
    tried: set[str] = set()
    retries = 0
    for worker in range(WORKERS):
        for fields in complete_lines(folder / f"acks-{worker}"):
            assert acked.setdefault(fields[0], fields) == fields, f"key {fields[0]} acknowledged twice, differently"
        tried.update(fields[0] for fields in complete_lines(folder / f"intents-{worker}") if fields[0] != "refused")
        retries += len(complete_lines(folder / f"retries-{worker}"))
    return acked, tried, retries


def check_database(rt: Runtime, imported: dict[str, int], acked: dict[str, list[str]], tried: set[str]) -> None:
    with rt.read() as session:
        claims = session.exec(select(Claim).order_by(col(Claim.id))).all()
        people = {p.id: p for p in session.exec(select(Participant)).all()}
        events = Counter((e.claim_id, e.stage) for e in session.exec(select(ClaimEvent)).all())
        event_totals = Counter(e.claim_id for e in session.exec(select(ClaimEvent)).all())
        received = Counter(
            n.params["reference"] for n in session.exec(select(Notification).where(Notification.kind == "claim_received"))
        )
        submitted = Counter(
            a.subject for a in session.exec(select(AuditEvent).where(AuditEvent.action == "claim.submitted"))
        )
    by_key = Counter(claim.idempotency_key for claim in claims)
    stored = {claim.idempotency_key: claim for claim in claims}
    for key, (_, participant, type_code, amount, reference) in acked.items():
        assert by_key[key] == 1, f"acknowledged key {key} is stored {by_key[key]} times"
        claim = stored[key]
        assert (claim.reference, claim.participant_id, claim.claim_type_code, claim.amount) == (
            reference, int(participant), type_code, int(amount)
        ), key
    assert set(stored) <= tried, f"claims no worker asked for: {sorted(set(stored) - tried)}"
    for claim in claims:
        assert events[(claim.id, "agenda")] == 1, claim.reference
        assert event_totals[claim.id] == claim.version, f"{claim.reference}: stage events do not match its version"
        assert received[claim.reference] == 1, claim.reference
        assert submitted[claim.reference] == 1, claim.reference
    for participant_id, person in people.items():
        own = [claim for claim in claims if claim.participant_id == participant_id]
        paid = sum(claim.paid_amount or 0 for claim in own if claim.stage in PAID_STAGES)
        held = sum(claim.amount for claim in own if claim.stage in RESERVING_STAGES)
        assert person.balance == imported[person.nib] - paid, person.nib
        assert person.reserved == held, person.nib
        assert 0 <= person.reserved <= person.balance, person.nib
        assert person.reserved + paid <= imported[person.nib], person.nib
    assert audit.verify_chain(rt) is None
    seal_pending(rt)
    assert audit.verify_chain(rt) is None
    with rt.read() as session:
        assert session.exec(select(AuditEvent).where(col(AuditEvent.seq).is_(None))).all() == []


def noted(folder: Path, name: str) -> list[int]:
    """The incarnations noted in the workers' `name-N` files (busy, recovered)."""
    return [int(fields[0]) for worker in range(WORKERS) for fields in complete_lines(folder / f"{name}-{worker}")]


def crash_and_check(settings: Settings, folder: Path, restart=None) -> Supervisor:
    settings = settings.with_(pepper=PEPPER.encode(), audit_key=AUDIT_KEY, argon2=FAST_ARGON2,
                              failure_delay_base=0.0, failure_delay_max=0.0)
    imported = populate(settings)
    supervisor = Supervisor(settings.database_url, folder, restart)
    supervisor.run()
    acked, tried, retries = read_journals(folder)
    rt = Runtime.create(settings)
    try:
        check_database(rt, imported, acked, tried)
        if rt.engine.dialect.name == "sqlite":
            with rt.engine.connect() as connection:
                assert connection.execute(text("PRAGMA integrity_check")).scalars().all() == ["ok"]
    finally:
        rt.engine.dispose()
    assert supervisor.kills >= 10
    assert len(acked) >= 10, "the workers made too little progress to prove anything"
    assert retries >= 1
    return supervisor


def test_killed_workers_lose_and_double_nothing_on_sqlite(settings, tmp_path):
    journals = tmp_path / "journals"
    journals.mkdir()
    crash_and_check(settings, journals)


def test_killed_workers_and_a_restarted_server_lose_and_double_nothing_on_postgresql(pg_cluster, pg_settings, tmp_path):
    journals = tmp_path / "journals"
    journals.mkdir()
    supervisor = crash_and_check(pg_settings, journals, lambda: pg_cluster.restart(DOWN_SECONDS))
    assert supervisor.restarted.is_set()
    assert noted(journals, "busy"), "no worker saw the database go away"
    assert noted(journals, "recovered"), "no worker carried on after the restart without being restarted itself"
    assert len(read_journals(journals)[0]) >= supervisor.acks_at_restart + ENOUGH_ACKS_AFTER_RESTART
