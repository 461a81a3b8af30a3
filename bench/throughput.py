"""Claims and logins per second through the service layer with 1 and 4 processes, on SQLite and
PostgreSQL, against the same database work written with the raw driver (sqlite3, psycopg), and
the SQL statements each claim costs.

argon2 is excluded: hashes use argon2's smallest parameters (8 KiB, one pass), so a verify costs
microseconds; the configured parameters are measured on their own in bench/login_time.py.
Each process plays one terminal (its own terminal id, as each kiosk session has), so terminals do
not queue on one failure counter.

Service claims: each process submits 180 claims (60 participants x 3 claim types, a new
idempotency key each) through `submit_claim`, which reads and validates the form and contact
data, reserves the PIN attempt and checks the PIN, then in one transaction locks the participant,
checks the requirements and writes the claim, its reservation, stage, notification, signed
audit rows and the attempt's settlement. Raw driver, per claim, the same database work written
by hand: the attempt reserved in one upsert (its own transaction, as the service must count an
attempt before checking it), then one transaction that locks the participant, reads their
claims and the idempotency key, settles the attempt, inserts the claim, sets its reference,
reserves the amount and confirms the contact data, and inserts the stage event, the
notification and the two signed audit rows. `raw, claim transaction only` leaves the attempt
out, as the baseline did before issue 13. The raw driver makes three rounds over the same
participants (540 claims per process) so that its timing window is not a few milliseconds.

Logins: each process logs each of its 60 participants in through `auth.login` five times (300
logins); the raw driver does the same database work per login (attempt reserved; the participant
and account read; in one transaction the attempt settled, the login time stored and the audit
row inserted), three rounds.

Each figure is the median of three runs, and the runs take turns (service claims, raw claims,
raw claim transaction only, service logins, raw logins, then again), each run on participants of
its own: on a shared machine the disk's fsync time and the CPUs left over change from minute to
minute, and measuring all of one side first compared two different machines.

Every process first does the same work for one more participant, unmeasured, so that statements
are compiled and prepared before the clock starts. Processes start together on a shared event; a
figure is all operations over the time from that start to the last process done. Statements are
counted at the driver (BEGIN/COMMIT/ROLLBACK not included; an executemany is one statement).
CPU is counted the same way on both sides: each measuring process's own CPU time over its timed
work, and on PostgreSQL the server's processes' CPU over the run (from /proc; it includes the
unmeasured warm-up of one participant per process and the server's background processes).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import event
from sqlalchemy.engine import make_url

from bench import data
from kidb_tui.audit_chain import entry_mac, keyed_digest, new_nonce
from kidb_tui.config import Argon2Params
from kidb_tui.models import KioskAccount, Participant
from kidb_tui.services import auth
from kidb_tui.services.auth import Identity
from kidb_tui.services.claims import ClaimDraft, submit_claim
from kidb_tui.services.profile import current_contact
from kidb_tui.services.runtime import Runtime
from tests.crash import population

TYPES = ("biaya_medis", "biaya_pengobatan", "biaya_lainnya")
AMOUNT = 1_000_000
PARTICIPANTS_PER_PROCESS = 60
RAW_ROUNDS = 3  # the raw driver is fast: more operations per process keep its timing window long enough
REPEATS = 3  # runs of each figure, taking turns; the median is reported
LOGIN_ROUNDS = 5
NO_ARGON2 = Argon2Params(memory_kib=8, time_cost=1, parallelism=1)
TERMINAL = "terminal:bench-{}"


@dataclass(frozen=True)
class Throughput:
    operations: int
    seconds: float
    statements: int = 0
    client_cpu: float = 0.0
    """CPU seconds of the measuring processes over their timed work (all of them)."""
    server_cpu: float | None = None
    """CPU seconds of the PostgreSQL server's processes over the run (None: SQLite, in process)."""

    @property
    def per_second(self) -> float:
        return self.operations / self.seconds

    @property
    def statements_each(self) -> float:
        return self.statements / self.operations

    @property
    def cores_busy(self) -> float:
        """CPUs kept busy on average by the clients and the server together."""
        return (self.client_cpu + (self.server_cpu or 0.0)) / self.seconds

    def cpu_ms(self, seconds: float | None) -> str:
        return "-" if seconds is None else f"{seconds / self.operations * 1000:.2f}"


def settings(url: str, index: int):
    return data.settings(url).with_(argon2=NO_ARGON2, terminal_id=f"bench-{index}")


def _counted(rt: Runtime) -> list[int]:
    """A one-item list counting the statements `rt` sends from now on."""
    count = [0]

    @event.listens_for(rt.engine, "before_cursor_execute")
    def _count(connection, cursor, statement, *args) -> None:
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            count[0] += 1

    return count


def _people(rt: Runtime, numbers: list[int]):
    from sqlmodel import col, select

    with rt.read() as session:
        rows = session.exec(
            select(Participant, KioskAccount)
            .join(KioskAccount, col(KioskAccount.participant_id) == col(Participant.id))
            .where(col(Participant.nib).in_([population.nib(n) for n in numbers]))
        ).all()
    return [(Identity(p.id, a.id, p.nib, p.full_name), current_contact(p)) for p, a in rows]


def _claims(rt: Runtime, people) -> int:
    for identity, contact in people:
        for type_code in TYPES:
            draft = ClaimDraft(type_code, str(AMOUNT), population.BANK_CODE, population.ACCOUNT_NUMBER,
                               identity.full_name, "Biaya rawat inap", population.DOCUMENTS[type_code])
            submit_claim(rt, identity, draft, contact, population.PIN, uuid.uuid4().hex)
    return len(people) * len(TYPES)


def _service_claims(url: str, index: int, numbers: list[int], start, results) -> None:
    rt = Runtime.create(settings(url, index))
    warm_up, *people = _people(rt, numbers)
    _claims(rt, [warm_up])
    count = _counted(rt)
    start.wait()
    began, cpu = time.monotonic(), time.process_time()
    done = _claims(rt, people)
    results.put((began, time.monotonic(), done, count[0], time.process_time() - cpu))
    rt.engine.dispose()


def _service_logins(url: str, index: int, numbers: list[int], start, results) -> None:
    rt = Runtime.create(settings(url, index))
    warm_up, *people = _people(rt, numbers)
    auth.login(rt, warm_up[0].nib, population.PIN)
    count = _counted(rt)
    start.wait()
    began, cpu = time.monotonic(), time.process_time()
    for _ in range(LOGIN_ROUNDS):
        for identity, _contact in people:
            if not auth.login(rt, identity.nib, population.PIN).ok:
                raise RuntimeError(f"login of {identity.nib} failed")
    results.put((began, time.monotonic(), len(people) * LOGIN_ROUNDS, count[0], time.process_time() - cpu))
    rt.engine.dispose()


class _RawWriter:
    """The service's database work, written with the DB-API driver directly."""

    def __init__(self, url: str, index: int, reserve: bool = True) -> None:
        parsed = make_url(url)
        self.sqlite = parsed.get_backend_name() == "sqlite"
        if self.sqlite:
            self.connection = sqlite3.connect(parsed.database, isolation_level=None)
            for pragma in ("busy_timeout = 10000", "journal_mode = WAL", "foreign_keys = ON", "synchronous = FULL"):
                self.connection.execute(f"PRAGMA {pragma}")
        else:
            import psycopg

            self.connection = psycopg.connect(parsed.set(drivername="postgresql").render_as_string(hide_password=False))
        self.mark = "?" if self.sqlite else "%s"
        self.lock = "" if self.sqlite else " FOR UPDATE"
        self.digest = keyed_digest(data.AUDIT_KEY.encode())
        self.terminal = TERMINAL.format(index)
        self.reserving = reserve
        self.statements = 0

    def execute(self, cursor, statement: str, *args, many: bool = False):
        self.statements += 1
        if many:
            cursor.executemany(statement.replace("?", self.mark), args[0])
        else:
            cursor.execute(statement.replace("?", self.mark), args)
        return cursor

    def begin(self, cursor) -> None:
        if self.sqlite:
            cursor.execute("BEGIN IMMEDIATE")

    def commit(self, cursor) -> None:
        if self.sqlite:
            cursor.execute("COMMIT")
        else:
            self.connection.commit()

    def _reserve(self, cursor, nib: str, now: datetime) -> None:
        """The attempt counted against the terminal and the NIB in one upsert, committed."""
        self.begin(cursor)
        self.execute(
            cursor,
            "INSERT INTO login_throttle (key, failures, last_failure_at) VALUES (?, 1, ?), (?, 1, ?)"
            " ON CONFLICT (key) DO UPDATE SET failures = login_throttle.failures + 1,"
            " last_failure_at = excluded.last_failure_at RETURNING failures, locked_until",
            self.terminal, now, nib, now,
        ).fetchall()
        self.commit(cursor)

    def _settle(self, cursor, nib: str) -> None:
        self.execute(cursor, "UPDATE login_throttle SET failures = failures - 1 WHERE key = ? AND failures > 0",
                     self.terminal)
        self.execute(cursor, "DELETE FROM login_throttle WHERE key = ? OR (key = ? AND failures = 0"
                             " AND locked_until IS NULL)", nib, self.terminal)

    def _audit(self, now: datetime, actor: str, action: str, subject: str, details: dict) -> tuple:
        nonce = new_nonce()
        mac = entry_mac(self.digest, nonce, now, actor, action, subject, details, "", "")
        return (now, actor, action, subject, json.dumps(details), nonce, mac)

    def _audit_rows(self, cursor, rows: list[tuple]) -> None:
        self.execute(
            cursor,
            "INSERT INTO audit_event (at, actor, action, subject, details, terminal_id, branch, prev_hash, row_hash,"
            " nonce, entry_mac) VALUES (?, ?, ?, ?, ?, '', '', '', '', ?, ?)",
            rows, many=True,
        )

    def claim(self, participant_id: int, nib: str, type_code: str) -> None:
        now = datetime.now(UTC)
        key = uuid.uuid4().hex
        cursor = self.connection.cursor()
        if self.reserving:
            self._reserve(cursor, nib, now)
        self.begin(cursor)
        self.execute(cursor, f"SELECT balance, reserved, contact_confirmed_at FROM participant WHERE id = ?{self.lock}",
                     participant_id).fetchone()
        self.execute(cursor, "SELECT id, claim_type_code, stage, idempotency_key FROM claim"
                             " WHERE participant_id = ? OR idempotency_key = ?", participant_id, key).fetchall()
        if self.reserving:
            self._settle(cursor, nib)
        (claim_id,) = self.execute(
            cursor,
            "INSERT INTO claim (idempotency_key, participant_id, claim_type_code, amount, bank_code, account_number,"
            " account_holder, reason, documents, stage, rejection_reason, rejection_code, payment_reference,"
            " documents_seen, assessed_by, approved_by, terminal_id, branch, version, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'agenda', '', '', '', ?, '', '', '', '', 1, ?, ?) RETURNING id",
            key, participant_id, type_code, AMOUNT, population.BANK_CODE, population.ACCOUNT_NUMBER, nib,
            "Biaya rawat inap", json.dumps(list(population.DOCUMENTS[type_code])), False, now, now,
        ).fetchone()
        reference = f"KIDB-{now.year}-{claim_id:06d}"
        self.execute(cursor, "UPDATE claim SET reference = ? WHERE id = ?", reference, claim_id)
        self.execute(cursor, "UPDATE participant SET reserved = reserved + ?, contact_confirmed_at = ?, updated_at = ?"
                             " WHERE id = ?", AMOUNT, now, now, participant_id)
        self.execute(cursor, "INSERT INTO claim_event (claim_id, stage, note, actor, at) VALUES (?, 'agenda', '', ?, ?)",
                     claim_id, nib, now)
        self.execute(cursor, "INSERT INTO notification (participant_id, kind, params, created_at)"
                             " VALUES (?, 'claim_received', ?, ?)",
                     participant_id, json.dumps({"reference": reference, "amount": AMOUNT}), now)
        self._audit_rows(cursor, [
            self._audit(now, nib, "profile.confirmed", nib, {"fields": []}),
            self._audit(now, nib, "claim.submitted", reference,
                        {"type": type_code, "amount": AMOUNT, "bank": population.BANK_CODE, "account": "******7890"}),
        ])
        self.commit(cursor)

    def login(self, participant_id: int, nib: str) -> None:
        now = datetime.now(UTC)
        cursor = self.connection.cursor()
        self._reserve(cursor, nib, now)
        self.begin(cursor)
        self.execute(cursor, "SELECT p.id, p.card_status, a.id, a.status, a.secret_hash FROM participant p"
                             " JOIN kiosk_account a ON a.participant_id = p.id WHERE p.nib = ?", nib).fetchone()
        self.commit(cursor)
        self.begin(cursor)
        self._settle(cursor, nib)
        self.execute(cursor, "UPDATE kiosk_account SET last_login_at = ? WHERE participant_id = ?", now, participant_id)
        self._audit_rows(cursor, [self._audit(now, nib, "auth.login", nib, {})])
        self.commit(cursor)

    def close(self) -> None:
        self.connection.close()


def _raw_people(writer: _RawWriter, numbers: list[int]) -> list:
    cursor = writer.connection.cursor()
    wanted = [population.nib(n) for n in numbers]
    cursor.execute("SELECT id, nib FROM participant WHERE nib IN (" + ", ".join([writer.mark] * len(wanted)) + ")",
                   wanted)
    people = cursor.fetchall()
    if not writer.sqlite:
        writer.connection.commit()
    return people


def _raw(url: str, index: int, numbers: list[int], start, results, work: str) -> None:
    writer = _RawWriter(url, index, reserve=work != "claim only")
    warm_up, *people = _raw_people(writer, numbers)
    for type_code in TYPES:
        writer.claim(*warm_up, type_code)
    writer.login(*warm_up)
    writer.statements = 0
    start.wait()
    began, cpu = time.monotonic(), time.process_time()
    operations = 0
    for _ in range(RAW_ROUNDS):
        for participant_id, nib in people:
            if work == "login":
                writer.login(participant_id, nib)
                operations += 1
                continue
            for type_code in TYPES:
                writer.claim(participant_id, nib, type_code)
                operations += 1
    results.put((began, time.monotonic(), operations, writer.statements, time.process_time() - cpu))
    writer.close()


def _raw_claims(url, index, numbers, start, results) -> None:
    _raw(url, index, numbers, start, results, "claim")


def _raw_claims_only(url, index, numbers, start, results) -> None:
    _raw(url, index, numbers, start, results, "claim only")


def _raw_logins(url, index, numbers, start, results) -> None:
    _raw(url, index, numbers, start, results, "login")


def _run(target, url: str, groups: list[list[int]]) -> Throughput:
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    processes = [context.Process(target=target, args=(url, index, numbers, start, results))
                 for index, numbers in enumerate(groups)]
    for process in processes:
        process.start()
    server = _server_cpu(url)
    start.set()
    spans = [results.get(timeout=900) for _ in processes]
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise RuntimeError(f"a benchmark process failed with {process.exitcode}")
    server_cpu = None if server is None else (_server_cpu(url) or 0.0) - server
    seconds = max(end for _, end, *_ in spans) - min(began for began, *_ in spans)
    return Throughput(sum(span[2] for span in spans), seconds, sum(span[3] for span in spans),
                      sum(span[4] for span in spans), server_cpu)


def _server_cpu(url: str) -> float | None:
    """CPU seconds used so far by the PostgreSQL server of `url` (None for SQLite): the
    postmaster's own and its ended children's (cutime, cstime: a backend's time is added when
    its client disconnects), and those of its living children, from /proc. The server's
    processes start before a run's clients connect, so the difference over a run is what
    serving it cost (and what its background processes did meanwhile)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return None
    import psycopg

    with psycopg.connect(parsed.set(drivername="postgresql").render_as_string(hide_password=False)) as connection:
        folder = connection.execute("SHOW data_directory").fetchone()[0]
    with open(f"{folder}/postmaster.pid", encoding="ascii") as handle:
        postmaster = handle.readline().strip()
    tick, total = os.sysconf("SC_CLK_TCK"), 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii") as handle:
                fields = handle.read().rpartition(")")[2].split()
        except OSError:
            continue
        if entry.name == postmaster:
            total += sum(int(value) for value in fields[11:15])
        elif fields[1] == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / tick


FIGURES = {
    "service claims": _service_claims,
    "raw claims": _raw_claims,
    "raw claims, claim transaction only": _raw_claims_only,
    "service logins": _service_logins,
    "raw logins": _raw_logins,
}


def _groups(repeat: int, processes: int) -> list[list[int]]:
    """The participants of each process in one run: a block of its own for every run, the first of
    each process's list warming it up."""
    size = PARTICIPANTS_PER_PROCESS + 1
    base = repeat * size * 5
    if processes == 1:
        return [list(range(base + 1, base + size + 1))]
    return [list(range(base + size * (i + 1) + 1, base + size * (i + 2) + 1)) for i in range(processes)]


def _median(runs: list[Throughput]) -> Throughput:
    return sorted(runs, key=lambda run: run.per_second)[len(runs) // 2]


def measure(service_url: str, raw_url: str) -> dict[tuple[str, int], Throughput]:
    """{(figure, processes): throughput} for every figure of FIGURES on two databases of the same
    backend (the service's and the raw driver's), with 1 and 4 processes: the median of REPEATS
    runs, the figures taking turns (service, raw, service, raw, ...) so that a slow moment of a
    shared machine (its disk, its CPUs) falls on both sides, not on one."""
    for url in (service_url, raw_url):
        data.populate(url, (PARTICIPANTS_PER_PROCESS + 1) * 5 * REPEATS, NO_ARGON2).engine.dispose()
    runs: dict[tuple[str, int], list[Throughput]] = {}
    for processes in (1, 4):
        for repeat in range(REPEATS):
            for name, target in FIGURES.items():
                url = service_url if name.startswith("service") else raw_url
                runs.setdefault((name, processes), []).append(_run(target, url, _groups(repeat, processes)))
    return {key: _median(results) for key, results in runs.items()}


CLAIMS_TARGET = 0.5
SCALING_TARGET = 2.5


def _ratio(service: Throughput, raw: Throughput) -> float:
    return service.per_second / raw.per_second


def _figure(result: Throughput, unit: str) -> str:
    return f"{result.per_second:.1f} ({result.operations} {unit} in {result.seconds:.2f} s)"


def section(backends: dict[str, dict[tuple[str, int], Throughput]]) -> list[str]:
    """The report's lines: claims, the scaling from 1 to 4 processes, logins; for each backend measured."""
    verdict = lambda ok: "met" if ok else "NOT met"  # noqa: E731
    lines = [
        "## Claims submitted per second: service layer against the raw driver (argon2 excluded)", "",
        "| backend | processes | service claims/s | statements per claim | raw driver claims/s | statements per claim "
        "| service / raw | >= 50% | raw, claim transaction only |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for backend, figures in backends.items():
        for processes in (1, 4):
            service, raw = figures[("service claims", processes)], figures[("raw claims", processes)]
            only = figures[("raw claims, claim transaction only", processes)]
            ratio = _ratio(service, raw)
            lines.append(
                f"| {backend} | {processes} | {_figure(service, 'claims')} | {service.statements_each:.1f} "
                f"| {_figure(raw, 'claims')} | {raw.statements_each:.1f} | {ratio:.0%} "
                f"| {verdict(ratio >= CLAIMS_TARGET)} | {only.per_second:.1f} ({only.statements_each:.1f} statements; "
                f"service at {_ratio(service, only):.0%}) |"
            )
    lines += ["", "| backend | 4 processes against 1: service | raw driver | >= 2.5x (PostgreSQL) |", "|---|---|---|---|"]
    for backend, figures in backends.items():
        service = figures[("service claims", 4)].per_second / figures[("service claims", 1)].per_second
        raw = figures[("raw claims", 4)].per_second / figures[("raw claims", 1)].per_second
        target = verdict(service >= SCALING_TARGET) if backend.startswith("PostgreSQL") else "(SQLite: one writer)"
        lines.append(f"| {backend} | {service:.2f}x | {raw:.2f}x | {target} |")
    lines += [
        "", "CPU per claim (ms) of the measuring processes (client) and of the PostgreSQL server's processes "
        "(server), and the CPUs kept busy on average (clients and server; the machine has "
        f"{os.cpu_count()}):", "",
        "| backend | processes | service: client | server | CPUs busy | raw driver: client | server | CPUs busy |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for backend, figures in backends.items():
        for processes in (1, 4):
            service, raw = figures[("service claims", processes)], figures[("raw claims", processes)]
            lines.append(
                f"| {backend} | {processes} | {service.cpu_ms(service.client_cpu)} | {service.cpu_ms(service.server_cpu)} "
                f"| {service.cores_busy:.2f} | {raw.cpu_ms(raw.client_cpu)} | {raw.cpu_ms(raw.server_cpu)} "
                f"| {raw.cores_busy:.2f} |"
            )
    lines += [
        "", "## Logins per second through `auth.login` (argon2 excluded)", "",
        "| backend | processes | service logins/s | statements per login | raw driver logins/s | statements per login "
        "| service / raw |",
        "|---|---|---|---|---|---|---|",
    ]
    for backend, figures in backends.items():
        for processes in (1, 4):
            service, raw = figures[("service logins", processes)], figures[("raw logins", processes)]
            lines.append(
                f"| {backend} | {processes} | {_figure(service, 'logins')} | {service.statements_each:.1f} "
                f"| {_figure(raw, 'logins')} | {raw.statements_each:.1f} | {_ratio(service, raw):.0%} |"
            )
    return [*lines, ""]
