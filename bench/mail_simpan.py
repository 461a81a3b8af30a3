"""The kiosk never waits for mail: Simpan (`claims.submit_claim`, the whole service call) timed
with no mail configured (baseline), with a real SMTP server up (aiosmtpd with STARTTLS, from
tests/mail.py) and with it down (connection refused), each while a sender delivers the outbox
every 50 ms beside it in a process of its own, as `kidb serve` or `kidb notify run` does (the
kiosk sessions are other processes). SQLite, fast argon2 (bench/data.py).

    python -m bench.mail_simpan [--claims N]
"""

from __future__ import annotations

import argparse
import multiprocessing
import ssl
import statistics
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import replace
from pathlib import Path

from sqlalchemy import text
from sqlmodel import col, select

from bench import data
from kidb_tui.delivery import runner
from kidb_tui.delivery.transports import SmtpTransport
from kidb_tui.models import KioskAccount, OutboxMessage, Participant
from kidb_tui.services.auth import Identity
from kidb_tui.services.claims import ClaimDraft, submit_claim
from kidb_tui.services.profile import current_contact
from kidb_tui.services.runtime import Runtime
from tests.crash import population
from tests.mail import SmtpServer, free_port

TYPE_CODE = "biaya_medis"


def _people(rt: Runtime, numbers: range) -> list[tuple[Identity, object]]:
    with rt.read() as session:
        rows = session.exec(
            select(Participant, KioskAccount).join(KioskAccount, col(KioskAccount.participant_id) == col(Participant.id))
            .where(col(Participant.nib).in_([population.nib(n) for n in numbers]))
        ).all()
    return [(Identity(p.id, a.id, p.nib, p.full_name), current_contact(p)) for p, a in rows]


def _sender_process(settings, cafile: str, stop) -> None:
    rt = Runtime.create(settings)
    context = ssl.create_default_context(cafile=cafile)
    transports = {"email": SmtpTransport(settings, context=context)} if settings.smtp_url else {}
    runner.run_until(rt, transports, stop, 0.05)
    rt.engine.dispose()


def _simpan_times(rt: Runtime, cafile: str, numbers: range) -> list[float]:
    spawn = multiprocessing.get_context("spawn")
    stop = spawn.Event()
    worker = spawn.Process(target=_sender_process, args=(rt.settings, cafile, stop), daemon=True)
    worker.start()
    times = []
    try:
        for identity, contact in _people(rt, numbers):
            draft = ClaimDraft(TYPE_CODE, "1000000", population.BANK_CODE, population.ACCOUNT_NUMBER,
                               identity.full_name, "Biaya rawat inap", population.DOCUMENTS[TYPE_CODE])
            started = time.perf_counter()
            submit_claim(rt, identity, draft, contact, population.PIN, uuid.uuid4().hex)
            times.append(time.perf_counter() - started)
    finally:
        stop.set()
        worker.join()
    return times


def _line(name: str, times: list[float], outbox: Counter) -> str:
    ordered = sorted(times)
    p95 = ordered[max(int(len(ordered) * 0.95) - 1, 0)]
    states = ", ".join(f"{state} {count}" for state, count in sorted(outbox.items())) or "none"
    return (f"| {name} | {statistics.median(times) * 1000:.1f} ms | {p95 * 1000:.1f} ms | {max(times) * 1000:.1f} ms "
            f"| {len(times)} | {states} |")


def measure(folder: Path, claims: int) -> list[str]:
    rt = data.populate(f"sqlite:///{folder / 'mail.sqlite3'}", 3 * claims)
    with rt.write() as session:
        session.exec(text("UPDATE participant SET email_verified_at = created_at"))
    server = SmtpServer(folder)
    server.controller.start()
    up = rt.settings.with_(smtp_url=server.url, mail_from="kidb@kidb.test")
    down = rt.settings.with_(smtp_url=f"smtp://localhost:{free_port()}", mail_from="kidb@kidb.test")
    cases = [("no mail configured (baseline)", rt.settings), ("SMTP server up", up), ("SMTP server down", down)]
    lines = ["| Simpan with | median | p95 | max | claims | outbox afterwards |", "|---|---|---|---|---|---|"]
    try:
        for index, (name, settings) in enumerate(cases):
            case_rt = replace(rt, settings=settings)
            before = {row.id for row in _outbox(case_rt)}
            times = _simpan_times(case_rt, str(server.cert_file), range(index * claims + 1, (index + 1) * claims + 1))
            outbox = Counter(row.status for row in _outbox(case_rt) if row.id not in before)
            lines.append(_line(name, times, outbox))
    finally:
        server.controller.stop()
        rt.engine.dispose()
    return lines


def _outbox(rt: Runtime) -> list[OutboxMessage]:
    with rt.read() as session:
        return list(session.exec(select(OutboxMessage)).all())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mail_simpan")
    parser.add_argument("--claims", type=int, default=40, help="claims per case")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kidb-bench-mail-") as folder:
        for line in measure(Path(folder), args.claims):
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
