"""One crash-test worker process: files claims and moves them through the back-office stages
through the service layer until it is SIGKILLed.

The test starts it through a multiprocessing fork server that has already imported this module
and the database drivers (`run_logged`), so a restarted worker is a new process that is at work
within milliseconds; by hand it runs as `python -m tests.crash.worker --database URL --dir DIR
--worker N --incarnation I --seed S` with the pepper in `KIDB_PEPPER`. It keeps three
append-only files in DIR, each line written with one `write` and fsynced:

- `intents-N`: `key participant type amount` before a submission is tried, `refused key rule`
  when the service refused it;
- `acks-N`: `key participant type amount reference` only after `submit_claim` returned;
- `retries-N`: `key reference` for every retry of an acknowledged key that got its claim back.

A new incarnation first cuts a line torn by the kill, then resubmits the one submission that
may have been in flight (a key with neither ack nor refusal). One submission in five reuses an
acknowledged key and must get the same claim back. Anything unexpected ends the process with
status 1 and a traceback on stderr, which the supervisor reports.

While the database is unreachable (restarted under load), the service layer answers
`SystemBusy`, as a kiosk session shows the busy message: the worker notes it in `busy-N`
(`incarnation`), waits a moment and tries the same step again with the same key, without being
restarted; its first acknowledgement after that is noted in `recovered-N` (`incarnation`).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import traceback
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import col, select

from kidb_tui.config import Argon2Params, Settings
from kidb_tui.errors import DomainError, FormErrors, RequirementError, SystemBusy
from kidb_tui.models import Claim, KioskAccount, Officer, Participant
from kidb_tui.services import review
from kidb_tui.services.auth import Identity
from kidb_tui.services.claims import ClaimDraft, submit_claim
from kidb_tui.services.officers import OfficerIdentity
from kidb_tui.services.profile import Contact, current_contact
from kidb_tui.services.runtime import Runtime
from tests.crash.population import ACCOUNT_NUMBER, BANK_CODE, DOCUMENTS, PIN

FAST_ARGON2 = Argon2Params(memory_kib=1024, time_cost=1, parallelism=1)
AUDIT_KEY = b"crash-test-audit-key-0123456789abcdef"
CLAIM_TYPES = ("biaya_lainnya", "biaya_medis", "biaya_pengobatan")
RETRY_SHARE = 0.2
OFFICER_SHARE = 0.4
REJECT_SHARE = 0.2
BUSY_PAUSE = 0.1


@dataclass(frozen=True)
class Attempt:
    key: str
    participant: int
    type_code: str
    amount: int

    def line(self) -> str:
        return f"{self.key} {self.participant} {self.type_code} {self.amount}"


def append_synced(path: Path, line: str) -> None:
    """Append one line with a single write and fsync it before returning."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)


def complete_lines(path: Path, repair: bool = False) -> list[list[str]]:
    """The file's newline-terminated lines split into fields; `repair` cuts a torn last line off."""
    if not path.exists():
        return []
    data = path.read_bytes()
    whole = data[: data.rfind(b"\n") + 1]
    if repair and len(whole) != len(data):
        with path.open("r+b") as handle:
            handle.truncate(len(whole))
            os.fsync(handle.fileno())
    return [line.split() for line in whole.decode("ascii").splitlines()]


class Worker:
    def __init__(self, rt: Runtime, folder: Path, number: int, rng: random.Random, incarnation: int = 0) -> None:
        self.rt, self.rng, self.incarnation = rt, rng, incarnation
        self.intents = folder / f"intents-{number}"
        self.acks = folder / f"acks-{number}"
        self.retries = folder / f"retries-{number}"
        self.busy_log = folder / f"busy-{number}"
        self.recovered_log = folder / f"recovered-{number}"
        self.was_busy = False
        self.people: dict[int, tuple[Identity, str, Contact]] = {}
        rows, officers = self.patiently(self._load)
        for participant, account in rows:
            identity = Identity(participant.id, account.id, participant.nib, participant.full_name)
            self.people[participant.id] = (identity, participant.full_name, current_contact(participant))
        self.officers = [OfficerIdentity(o.id, o.username, o.role, o.branch) for o in officers]

    def _load(self):
        with self.rt.read() as session:
            rows = session.exec(
                select(Participant, KioskAccount).join(KioskAccount, col(KioskAccount.participant_id) == col(Participant.id))
            ).all()
            return rows, session.exec(select(Officer).order_by(col(Officer.id))).all()

    def patiently(self, call):
        """`call()`, again and again while the database is unreachable (each time noted)."""
        while True:
            try:
                return call()
            except SystemBusy:
                if not self.was_busy:
                    append_synced(self.busy_log, str(self.incarnation))
                self.was_busy = True
                time.sleep(BUSY_PAUSE)

    def acknowledged(self, line: str) -> None:
        append_synced(self.acks, line)
        if self.was_busy:
            append_synced(self.recovered_log, str(self.incarnation))
            self.was_busy = False

    def draft(self, attempt: Attempt) -> ClaimDraft:
        _, name, _ = self.people[attempt.participant]
        return ClaimDraft(
            attempt.type_code, str(attempt.amount), BANK_CODE, ACCOUNT_NUMBER, name, "Biaya rawat inap",
            DOCUMENTS[attempt.type_code],
        )

    def submit(self, attempt: Attempt, acknowledge: bool = True) -> str | None:
        """The claim's reference (acknowledged unless told not to); None when the service refused it."""
        identity, _, contact = self.people[attempt.participant]
        try:
            receipt = self.patiently(
                lambda: submit_claim(self.rt, identity, self.draft(attempt), contact, PIN, attempt.key))
        except (FormErrors, RequirementError) as refusal:
            append_synced(self.intents, f"refused {attempt.key} {refusal.key}")
            return None
        if acknowledge:
            self.acknowledged(f"{attempt.line()} {receipt.reference}")
        return receipt.reference

    def resume(self) -> None:
        """Resubmit what a killed incarnation may have left between intent and outcome."""
        lines = complete_lines(self.intents, repair=True)
        complete_lines(self.acks, repair=True)
        complete_lines(self.retries, repair=True)
        settled = {fields[1] for fields in lines if fields[0] == "refused"}
        settled.update(fields[0] for fields in complete_lines(self.acks))
        for fields in lines:
            if fields[0] != "refused" and fields[0] not in settled:
                self.submit(Attempt(fields[0], int(fields[1]), fields[2], int(fields[3])))

    def new_claim(self) -> None:
        attempt = Attempt(
            uuid.uuid4().hex, self.rng.choice(sorted(self.people)), self.rng.choice(CLAIM_TYPES),
            self.rng.randrange(100, 5_000) * 1_000,
        )
        append_synced(self.intents, attempt.line())
        self.submit(attempt)

    def retry(self, acked: list[list[str]]) -> None:
        key, participant, type_code, amount, reference = self.rng.choice(acked)
        again = self.submit(Attempt(key, int(participant), type_code, int(amount)), acknowledge=False)
        if again != reference:
            raise AssertionError(f"retry of {key} returned {again}, first submission returned {reference}")
        append_synced(self.retries, f"{key} {reference}")

    def officer_step(self) -> None:
        """Move one open claim a stage on (or reject it); losing a race to another worker is fine."""
        self.patiently(self._officer_step)

    def _officer_step(self) -> None:
        with self.rt.read() as session:
            open_claims = session.exec(
                select(Claim).where(col(Claim.stage).in_(("agenda", "penetapan", "persetujuan", "pembayaran")))
            ).all()
        if not open_claims:
            return
        claim = self.rng.choice(open_claims)
        officer = self.rng.choice(self.officers)
        reject = claim.stage in ("agenda", "penetapan") and self.rng.random() < REJECT_SHARE
        try:
            if reject:
                review.reject(self.rt, officer, claim.id, claim.version, "other", "Dokumen tidak terbaca")
            elif claim.stage == "agenda":
                approved = claim.amount if self.rng.random() < 0.7 else claim.amount * 9 // 10
                review.assess(self.rt, officer, claim.id, claim.version, approved, True,
                              difference_reason="Satu kuitansi tidak dapat diganti.")
            elif claim.stage == "penetapan":
                review.approve(self.rt, officer, claim.id, claim.version)
            elif claim.stage == "persetujuan":
                review.record_payment(self.rt, officer, claim.id, claim.version, f"TRF-{claim.id}")
            else:
                review.close(self.rt, officer, claim.id, claim.version)
        except review.ConcurrentChange:
            return
        except DomainError as error:
            if error.key != "review.wrong_stage":
                raise

    def run(self) -> None:
        self.resume()
        while True:
            if self.rng.random() < OFFICER_SHARE:
                self.officer_step()
                continue
            acked = complete_lines(self.acks)
            if acked and self.rng.random() < RETRY_SHARE:
                self.retry(acked)
            else:
                self.new_claim()


def run(database_url: str, folder: Path, number: int, incarnation: int, seed: int, pepper: str) -> None:
    """Work until killed; raises on anything unexpected."""
    settings = Settings(
        database_url=database_url, pepper=pepper.encode(), audit_key=AUDIT_KEY, argon2=FAST_ARGON2,
        failure_delay_base=0.0, failure_delay_max=0.0, terminal_id=f"crash-{number}",
    )
    rng = random.Random(f"{seed}-{number}-{incarnation}")
    Worker(Runtime.create(settings), folder, number, rng, incarnation).run()


def run_logged(database_url: str, folder: Path, number: int, incarnation: int, seed: int, pepper: str) -> None:
    """`run` with stderr going to `stderr-N-I` in the folder (the target of a forked process)."""
    log = (folder / f"stderr-{number}-{incarnation}").open("w")
    os.dup2(log.fileno(), 2)
    sys.stderr = log
    run(database_url, folder, number, incarnation, seed, pepper)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--worker", type=int, required=True)
    parser.add_argument("--incarnation", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    args = parser.parse_args(argv)
    try:
        run(args.database, args.dir, args.worker, args.incarnation, args.seed, os.environ["KIDB_PEPPER"])
    except Exception:  # noqa: BLE001 - anything unexpected is the supervisor's failure report
        traceback.print_exc()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
