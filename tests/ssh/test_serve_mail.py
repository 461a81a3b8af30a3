"""`kidb serve` delivers the outbox beside the sessions when a channel is configured (here the
file sink, KIDB_MAIL_FILE), and logs what it sent (kidb_tui/ssh/server.py, delivery/runner.py)."""

from __future__ import annotations

import asyncio

import asyncssh
import pytest
from sqlmodel import select

from kidb_tui.bootstrap import build_demo, prepare
from kidb_tui.config import Settings, load_settings
from kidb_tui.delivery import runner
from kidb_tui.models import Participant
from kidb_tui.services import outbox
from tests.conftest import FAST_ARGON2, SITI
from tests.ssh.harness import demo_database, start_server, stop_server


async def test_serve_sends_what_the_outbox_holds(tmp_path, monkeypatch):
    sink = tmp_path / "mail.txt"
    env = {**demo_database(tmp_path / "data"), "KIDB_MAIL_FILE": str(sink)}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    rt = prepare(load_settings())
    with rt.write() as session:
        siti = session.exec(select(Participant).where(Participant.nib == SITI.nib)).one()
        outbox.add(session, rt, siti, "email", siti.email, "account_locked", minutes=30)
    rt.engine.dispose()
    server = start_server(env, asyncssh.generate_private_key("ssh-ed25519"), tmp_path)
    try:
        await server.wait_log(r"outbox: 1 sent, 0 to retry, 0 dead")
    finally:
        stop_server(server)
    text = sink.read_text(encoding="utf-8")
    assert f"To: {siti.email}" in text and "Akun KIDB terkunci" in text


async def test_send_every_delivers_then_waits(tmp_path):
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        raise asyncio.CancelledError

    class Recorder:
        sent: list = []

        def send(self, row, message) -> None:
            self.sent.append(row.message_id)

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'k.sqlite3'}", pepper=b"p" * 32, audit_key=b"a" * 32,
                        argon2=FAST_ARGON2)
    rt = build_demo(settings)
    with rt.write() as session:
        siti = session.exec(select(Participant).where(Participant.nib == SITI.nib)).one()
        row = outbox.add(session, rt, siti, "email", siti.email, "account_locked", minutes=30)
    recorder = Recorder()
    assert not rt.settings.mail_configured, "the row was added by hand: the channel is the recorder"
    with pytest.raises(asyncio.CancelledError):
        await runner.send_every(rt, {"email": recorder}, 7.0, sleep)
    rt.engine.dispose()
    assert recorder.sent == [row.message_id] and waits == [7.0]
