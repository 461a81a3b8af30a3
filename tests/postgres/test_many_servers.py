"""Many branch servers, one PostgreSQL: two `kidb serve` processes with their own data directories
and ports and the same database URL, pepper and audit key, each sealing the audit log every
0.1 s, a participant logging in over SSH through each; beside each, a process driving the service
layer as that server's sessions do (tests/postgres/branch_server.py), to send requests to both at
the same moment. A claim filed through one is in the other's back-office queue; wrong PINs for
one NIB through both at once are held to one lockout; one idempotency key through both makes one
claim; both sealers seal, and the chain they build together verifies without a fork, every row
sealed once both servers have stopped."""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncssh
import pytest
from sqlmodel import col, select

from kidb_tui.bootstrap import prepare
from kidb_tui.models import AuditEvent, AuditSeal, Claim, LoginThrottle
from kidb_tui.services import participants
from kidb_tui.services.audit_checkpoint import verify
from tests.crash import population
from tests.postgres.branch_server import serve
from tests.ssh import flows
from tests.ssh.harness import start_server, stop_server, terminal

PEPPER = "many-servers-pepper-0123456789abcdef"
AUDIT_KEY = "many-servers-audit-key-0123456789abcdef"
ENVIRONMENT = {
    "KIDB_PEPPER": PEPPER, "KIDB_AUDIT_KEY": AUDIT_KEY, "KIDB_ARGON2_MEMORY_KIB": "1024",
    "KIDB_ARGON2_TIME_COST": "1", "KIDB_ARGON2_PARALLELISM": "1", "KIDB_FAILURE_DELAY": "0",
}
PEOPLE = 6
TIMEOUT = 120
TERMINAL_KEY = asyncssh.generate_private_key("ssh-ed25519")


class Server:
    """A branch server: its `kidb serve`, and a process of its sessions with the end of the pipe
    that drives it."""

    def __init__(self, context, name: str, folder: Path, database_url: str) -> None:
        folder.mkdir()
        self.serve = start_server({**ENVIRONMENT, "KIDB_DATABASE_URL": database_url,
                                   "KIDB_DATA_DIR": str(folder / "data"), "KIDB_AUDIT_SEAL_SECONDS": "0.1",
                                   "KIDB_AUDIT_CHECKPOINT_SECONDS": "0"}, TERMINAL_KEY, folder)
        self.sealer = f"{socket.gethostname()[:60]}:{self.serve.process.pid}"
        self.pipe, child = context.Pipe()
        self.process = context.Process(target=serve, args=(child, str(folder / "data"), database_url, ENVIRONMENT, name))
        self.process.start()

    def call(self, method: str, *arguments):
        self.pipe.send((method, arguments))
        assert self.pipe.poll(TIMEOUT), f"no answer to {method}"
        outcome = self.pipe.recv()
        assert outcome[0] == "ok", outcome
        return outcome[1]

    def stop(self) -> None:
        if self.process.exitcode is None:
            self.pipe.send(None)
            self.process.join(TIMEOUT)
        assert self.process.exitcode == 0
        if self.serve.process.poll() is None:
            stop_server(self.serve)


async def ssh_login(server: Server, n: int) -> None:
    """Participant `n` logs in at a terminal of `server`'s `kidb serve` and leaves."""
    async with terminal(server.serve.port, TERMINAL_KEY) as (term, _conn, _chan):
        await flows.login_screen(term)
        await flows.login(term, population.nib(n), population.PIN, population.full_name(n))


@pytest.fixture
def database(pg_settings, monkeypatch, tmp_path):
    """The shared database with PEOPLE participants (PIN population.PIN), and its runtime."""
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("KIDB_DATA_DIR", str(tmp_path / "setup"))
    from kidb_tui.config import load_settings

    rt = prepare(load_settings(pg_settings.database_url))
    assert participants.import_text(rt, population.csv_text([population.row(n, 90_000_000)
                                                             for n in range(1, PEOPLE + 1)])).ok
    for n in range(1, PEOPLE + 1):
        population.activate(rt, n)
    yield rt
    rt.engine.dispose()


@pytest.fixture
def servers(database, tmp_path):
    context = multiprocessing.get_context("spawn")
    started = [Server(context, name, tmp_path / name, database.settings.database_url) for name in ("JKT-A", "BDG-B")]
    yield started
    for server in started:
        server.stop()


def both(servers, method: str, *arguments) -> list:
    """The same request to both servers at the same time; their answers in order."""
    with ThreadPoolExecutor(len(servers)) as pool:
        return list(pool.map(lambda server: server.call(method, *arguments), servers))


def test_two_servers_share_claims_lockouts_idempotency_and_one_audit_chain(database, servers):
    a, b = servers
    rt = database

    filed = a.call("file_claim", population.nib(1), "biaya_medis", "from-a")
    assert filed in b.call("queue")

    references = both(servers, "file_claim", population.nib(2), "biaya_pengobatan", "pressed-on-both")
    assert references[0] == references[1]
    with rt.read() as session:
        assert len(session.exec(select(Claim).where(Claim.idempotency_key == "pressed-on-both")).all()) == 1

    before = sum(server.call("secrets_checked") for server in servers)
    answers = both(servers, "wrong_logins", population.nib(3), 6)
    checked = sum(server.call("secrets_checked") for server in servers) - before
    assert checked == rt.settings.lock_threshold
    assert {key for answer in answers for key in answer} == {"auth.failed"}
    with rt.read() as session:
        lock = session.get(LoginThrottle, population.nib(3))
    assert lock is not None and lock.locked_until is not None and lock.failures == rt.settings.lock_threshold
    assert a.call("login", population.nib(3), population.PIN) == "auth.failed"
    assert b.call("login", population.nib(3), population.PIN) == "auth.failed"

    for round_number in range(3):
        both(servers, "login", population.nib(4 + round_number % 3), population.PIN)
    asyncio.run(ssh_login(a, 5))
    asyncio.run(ssh_login(b, 6))
    deadline = time.monotonic() + TIMEOUT
    while not {a.sealer, b.sealer} <= sealers(rt) and time.monotonic() < deadline:
        both(servers, "login", population.nib(4), population.PIN)
        time.sleep(0.1)
    for server in servers:
        server.stop()
    result = verify(rt, [])
    assert (result.problem, result.unsealed) == (None, 0)
    with rt.read() as session:
        places = session.exec(select(AuditEvent.seq).order_by(col(AuditEvent.seq))).all()
        seals = session.exec(select(AuditSeal).order_by(col(AuditSeal.first_seq))).all()
        branches = set(session.exec(select(AuditEvent.branch)).all())
        logins = session.exec(select(AuditEvent.terminal_id).where(AuditEvent.action == "auth.login")).all()
    assert places == list(range(1, len(places) + 1))
    assert [seal.first_seq for seal in seals] == [1] + [seal.last_seq + 1 for seal in seals[:-1]]
    assert seals[-1].last_seq == len(places)
    assert {"Cabang JKT-A", "Cabang BDG-B"} <= branches
    assert logins.count("JKT-01") == 2
    assert {a.sealer, b.sealer} <= {seal.sealer for seal in seals}


def sealers(rt) -> set[str]:
    with rt.read() as session:
        return set(session.exec(select(AuditSeal.sealer)).all())
