"""`kidb serve` writes audit checkpoints: one at start and one every
KIDB_AUDIT_CHECKPOINT_SECONDS, into `audit-checkpoints` in its data directory and its log, and
the task ends when the server stops (kidb_tui/ssh/server.py, kidb_tui/services/audit_checkpoint.py)."""

from __future__ import annotations

import asyncio
import os
import signal
import stat

import asyncssh
import pytest

from kidb_tui.bootstrap import prepare
from kidb_tui.config import load_settings
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


async def test_run_server_runs_the_checkpoint_task_until_it_stops(tmp_path):
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def checkpoints() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    hub = Hub(AuthorizedKeys.open(tmp_path / "authorized_keys"), "sqlite://", None)
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    server = asyncio.create_task(run_server("127.0.0.1", 0, host_key, hub, checkpoints))
    await asyncio.wait_for(started.wait(), 20)
    assert not cancelled.is_set()
    os.kill(os.getpid(), signal.SIGTERM)
    assert await asyncio.wait_for(server, 20) == 0
    await asyncio.wait_for(cancelled.wait(), 20)
