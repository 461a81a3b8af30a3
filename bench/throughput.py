"""Claims submitted per second through the service layer (`submit_claim`) with 1 and 4 processes,
on SQLite and PostgreSQL, against the same rows written with the raw driver (sqlite3, psycopg).

Service: each process submits 120 claims (40 participants x 3 claim types, a new idempotency
key each), which validates the form and the contact data, re-checks the PIN
(fast argon2 here, see bench/data.py), evaluates the requirements and writes in one
transaction. Raw driver: per claim, one transaction with the same statements the service's
transaction ends up writing: the idempotency check, the participant row locked (SQLite:
BEGIN IMMEDIATE; PostgreSQL: SELECT ... FOR UPDATE and the audit chain's advisory lock), the
claim, its reference, the reservation and contact confirmation, the stage event, the
notification and two hash-chained audit rows; it makes ten rounds over the same participants
(1,200 claims per process) so that its timing window is not a few milliseconds. Processes
start together on a shared event; the figure is all claims over the time from that start to
the last process done.
"""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import make_url

from bench import data
from kidb_tui.audit_chain import GENESIS, keyed_digest, row_hash
from kidb_tui.models import KioskAccount, Participant
from kidb_tui.services.audit import _PG_AUDIT_LOCK as AUDIT_LOCK
from kidb_tui.services.auth import Identity
from kidb_tui.services.claims import ClaimDraft, submit_claim
from kidb_tui.services.profile import current_contact
from kidb_tui.services.runtime import Runtime
from tests.crash import population

TYPES = ("biaya_medis", "biaya_pengobatan", "biaya_lainnya")
AMOUNT = 1_000_000
PARTICIPANTS_PER_PROCESS = 40
RAW_ROUNDS = 10  # the raw driver is fast: more claims per process keep its timing window long enough


@dataclass(frozen=True)
class Throughput:
    claims: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.claims / self.seconds


def _service_worker(url: str, numbers: list[int], start, results) -> None:
    from sqlmodel import col, select

    rt = Runtime.create(data.settings(url))
    with rt.read() as session:
        rows = session.exec(
            select(Participant, KioskAccount)
            .join(KioskAccount, col(KioskAccount.participant_id) == col(Participant.id))
            .where(col(Participant.nib).in_([population.nib(n) for n in numbers]))
        ).all()
    people = [(Identity(p.id, a.id, p.nib, p.full_name), current_contact(p)) for p, a in rows]
    start.wait()
    began = time.monotonic()
    for identity, contact in people:
        for type_code in TYPES:
            draft = ClaimDraft(type_code, str(AMOUNT), population.BANK_CODE, population.ACCOUNT_NUMBER,
                               identity.full_name, "Biaya rawat inap", population.DOCUMENTS[type_code])
            submit_claim(rt, identity, draft, contact, population.PIN, uuid.uuid4().hex)
    results.put((began, time.monotonic(), len(people) * len(TYPES)))
    rt.engine.dispose()


class _RawWriter:
    """The claim transaction's statements, written with the DB-API driver directly."""

    def __init__(self, url: str) -> None:
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
        self.digest = keyed_digest(data.AUDIT_KEY.encode())

    def sql(self, statement: str) -> str:
        return statement.replace("?", self.mark)

    def _one(self, cursor, statement: str, *args):
        cursor.execute(self.sql(statement), args)
        return cursor.fetchone()

    def _audit(self, cursor, now: datetime, actor: str, action: str, subject: str, details: dict) -> None:
        if not self.sqlite:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", (AUDIT_LOCK,))
        previous = self._one(cursor, "SELECT row_hash FROM audit_event ORDER BY id DESC LIMIT 1")
        prev_hash = previous[0] if previous else GENESIS
        (audit_id,) = self._one(
            cursor,
            "INSERT INTO audit_event (at, actor, action, subject, details, terminal_id, branch, prev_hash, row_hash)"
            " VALUES (?, ?, ?, ?, ?, '', '', ?, '') RETURNING id",
            now, actor, action, subject, json.dumps(details), prev_hash,
        )
        digest = row_hash(self.digest, audit_id, now, actor, action, subject, details, "", "", prev_hash)
        cursor.execute(self.sql("UPDATE audit_event SET row_hash = ? WHERE id = ?"), (digest, audit_id))

    def claim(self, participant_id: int, nib: str, type_code: str) -> None:
        now = datetime.now(UTC)
        key = uuid.uuid4().hex
        cursor = self.connection.cursor()
        if self.sqlite:
            cursor.execute("BEGIN IMMEDIATE")
        lock = "" if self.sqlite else " FOR UPDATE"
        self._one(cursor, "SELECT id FROM claim WHERE idempotency_key = ?", key)
        self._one(cursor, f"SELECT balance, reserved FROM participant WHERE id = ?{lock}", participant_id)
        (claim_id,) = self._one(
            cursor,
            "INSERT INTO claim (idempotency_key, participant_id, claim_type_code, amount, bank_code, account_number,"
            " account_holder, reason, documents, stage, rejection_reason, rejection_code, payment_reference,"
            " documents_seen, assessed_by, approved_by, terminal_id, branch, version, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'agenda', '', '', '', ?, '', '', '', '', 1, ?, ?) RETURNING id",
            key, participant_id, type_code, AMOUNT, population.BANK_CODE, population.ACCOUNT_NUMBER, nib,
            "Biaya rawat inap", json.dumps(list(population.DOCUMENTS[type_code])), False, now, now,
        )
        reference = f"KIDB-{now.year}-{claim_id:06d}"
        cursor.execute(self.sql("UPDATE claim SET reference = ? WHERE id = ?"), (reference, claim_id))
        cursor.execute(
            self.sql("UPDATE participant SET reserved = reserved + ?, contact_confirmed_at = ?, updated_at = ?"
                      " WHERE id = ?"),
            (AMOUNT, now, now, participant_id),
        )
        self._audit(cursor, now, nib, "profile.confirmed", nib, {"fields": []})
        cursor.execute(self.sql("INSERT INTO claim_event (claim_id, stage, note, actor, at) VALUES (?, 'agenda', '', ?, ?)"),
                       (claim_id, nib, now))
        cursor.execute(
            self.sql("INSERT INTO notification (participant_id, kind, params, created_at) VALUES (?, 'claim_received', ?, ?)"),
            (participant_id, json.dumps({"reference": reference, "amount": AMOUNT}), now),
        )
        self._audit(cursor, now, nib, "claim.submitted", reference,
                    {"type": type_code, "amount": AMOUNT, "bank": population.BANK_CODE, "account": "******7890"})
        if self.sqlite:
            cursor.execute("COMMIT")
        else:
            self.connection.commit()

    def close(self) -> None:
        self.connection.close()


def _raw_worker(url: str, numbers: list[int], start, results) -> None:
    writer = _RawWriter(url)
    cursor = writer.connection.cursor()
    wanted = [population.nib(n) for n in numbers]
    cursor.execute(writer.sql("SELECT id, nib FROM participant WHERE nib IN (" + ", ".join("?" * len(wanted)) + ")"),
                   wanted)
    people = cursor.fetchall()
    if not writer.sqlite:
        writer.connection.commit()
    start.wait()
    began = time.monotonic()
    for _ in range(RAW_ROUNDS):
        for participant_id, nib in people:
            for type_code in TYPES:
                writer.claim(participant_id, nib, type_code)
    results.put((began, time.monotonic(), len(people) * len(TYPES) * RAW_ROUNDS))
    writer.close()


def _run(target, url: str, groups: list[list[int]]) -> Throughput:
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    processes = [context.Process(target=target, args=(url, numbers, start, results)) for numbers in groups]
    for process in processes:
        process.start()
    start.set()
    spans = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise RuntimeError(f"a benchmark process failed with {process.exitcode}")
    seconds = max(end for _, end, _ in spans) - min(began for began, _, _ in spans)
    return Throughput(sum(claims for _, _, claims in spans), seconds)


def measure(service_url: str, raw_url: str) -> dict[tuple[str, int], Throughput]:
    """{("service" | "raw driver", processes): throughput} on two databases of the same backend."""
    size = PARTICIPANTS_PER_PROCESS
    one = [list(range(1, size + 1))]
    four = [list(range(size * (i + 1) + 1, size * (i + 2) + 1)) for i in range(4)]
    for url in (service_url, raw_url):
        data.populate(url, size * 5).engine.dispose()
    return {
        ("service", 1): _run(_service_worker, service_url, one),
        ("service", 4): _run(_service_worker, service_url, four),
        ("raw driver", 1): _run(_raw_worker, raw_url, one),
        ("raw driver", 4): _run(_raw_worker, raw_url, four),
    }
