"""`kidb serve` writes audit checkpoints: one at start and one every
KIDB_AUDIT_CHECKPOINT_SECONDS, into `audit-checkpoints` in its data directory and its log, and
the task ends when the server stops (kidb_tui/ssh/server.py, kidb_tui/services/audit_checkpoint.py)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import stat
import time

import asyncssh
import pytest
from sqlmodel import col, select

from kidb_tui.bootstrap import prepare
from kidb_tui.config import load_settings
from kidb_tui.models import AuditEvent, AuditSeal
from kidb_tui.services import audit
from kidb_tui.services.audit_checkpoint import read_checkpoints, verify
from kidb_tui.ssh.keys import AuthorizedKeys
from kidb_tui.ssh.server import Hub, run_server
from tests.ssh.harness import demo_database, start_server, stop_server


@pytest.fixture
def checkpointing_serve(tmp_path, monkeypatch):
    """`kidb serve` on a demo database, checkpointing every second: (server, data dir)."""
    env = {**demo_database(tmp_path / "data"), "KIDB_AUDIT_CHECKPOINT_SECONDS": "1"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    server = start_server(env, asyncssh.generate_private_key("ssh-ed25519"), tmp_path)
    yield server, tmp_path / "data"
    stop_server(server)


async def test_serve_checkpoints_at_start_and_every_interval(checkpointing_serve):
    server, data_dir = checkpointing_serve
    logged = await server.wait_log(r"kidb audit checkpoint row=\d+ rows=\d+ hash=[0-9a-f]{64}", count=2)
    path = data_dir / "audit-checkpoints"
    checkpoints = read_checkpoints(path)
    assert [c.line().split(" ", 1)[1] for c in checkpoints[:2]] == logged[:2]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    rt = prepare(load_settings())
    try:
        result = verify(rt, checkpoints)
    finally:
        rt.engine.dispose()
    assert result.problem is None and result.rows == checkpoints[0].rows > 0


async def test_run_server_runs_its_background_tasks_until_it_stops_then_the_last_step(tmp_path):
    started, cancelled = asyncio.Event(), asyncio.Event()
    order: list[str] = []

    async def checkpoints() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    hub = Hub(AuthorizedKeys.open(tmp_path / "authorized_keys"), "sqlite://", None)
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    def last_step() -> None:
        order.append("cancelled" if cancelled.is_set() else "still running")

    server = asyncio.create_task(run_server("127.0.0.1", 0, host_key, hub, [checkpoints], at_stop=last_step))
    await asyncio.wait_for(started.wait(), 20)
    assert not cancelled.is_set() and not order
    os.kill(os.getpid(), signal.SIGTERM)
    assert await asyncio.wait_for(server, 20) == 0
    await asyncio.wait_for(cancelled.wait(), 20)
    assert order == ["cancelled"]


def audit_rows(rt) -> list[tuple[int | None, int]]:
    """(place in the chain or None, id) of every audit row, in id order."""
    with rt.read() as session:
        return [(row.seq, row.id) for row in session.exec(select(AuditEvent).order_by(col(AuditEvent.id)))]


def sealers(rt) -> set[str]:
    with rt.read() as session:
        return set(session.exec(select(AuditSeal.sealer)).all())


def add_row(rt) -> None:
    with rt.write() as session:
        audit.record(session, rt, "test", "test.row", "")


@pytest.fixture
def sealing_env(tmp_path, monkeypatch):
    env = {**demo_database(tmp_path / "data"), "KIDB_AUDIT_CHECKPOINT_SECONDS": "3600"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    rt = prepare(load_settings())
    yield env, rt
    rt.engine.dispose()


async def test_serve_seals_the_audit_log_every_interval(sealing_env, tmp_path):
    env, rt = sealing_env
    server = start_server({**env, "KIDB_AUDIT_SEAL_SECONDS": "0.1"}, asyncssh.generate_private_key("ssh-ed25519"),
                          tmp_path)
    try:
        add_row(rt)
        deadline = time.monotonic() + 20
        while None in dict(audit_rows(rt)) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert [seq for seq, _id in audit_rows(rt)] == list(range(1, len(audit_rows(rt)) + 1))
        assert sealers(rt) == {f"{socket.gethostname()[:60]}:{server.process.pid}"}
    finally:
        stop_server(server)


async def test_serve_seals_and_checkpoints_once_more_when_it_stops(sealing_env, tmp_path):
    env, rt = sealing_env
    server = start_server({**env, "KIDB_AUDIT_SEAL_SECONDS": "3600"}, asyncssh.generate_private_key("ssh-ed25519"),
                          tmp_path)
    await server.wait_log(r"kidb audit checkpoint row=\d+")
    add_row(rt)
    assert audit_rows(rt)[-1][0] is None
    stop_server(server)
    rows = audit_rows(rt)
    assert [seq for seq, _id in rows] == list(range(1, len(rows) + 1))
    checkpoints = read_checkpoints(tmp_path / "data" / "audit-checkpoints")
    assert (len(checkpoints), checkpoints[-1].rows, checkpoints[-1].row_id) == (2, len(rows), rows[-1][1])
    assert verify(rt, checkpoints).problem is None
