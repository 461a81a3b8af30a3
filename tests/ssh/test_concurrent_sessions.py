"""Ten terminals at once, each filing a claim for its own participant: ten claims, each once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncssh
import pytest
from sqlmodel import select

from kidb_tui.config import load_settings
from kidb_tui.models import Claim, Participant
from kidb_tui.services import auth, participants
from kidb_tui.services.runtime import Runtime
from tests.ssh import flows
from tests.ssh.harness import ServeProcess, key_line, terminal

SESSIONS = 10
PIN = "258147"
WAIT_UNDER_LOAD = 90.0


def _people() -> list[dict[str, str]]:
    return [{"nib": f"2602000{i:04d}", "nik": f"3171011505800{i:03d}", "full_name": f"Peserta Uji {chr(65 + i)}"}
            for i in range(1, SESSIONS + 1)]


def _seed(rt: Runtime) -> None:
    """Ten participants like Siti (any claim allowed), each with an active PIN account."""
    ended = (rt.now().date() - timedelta(days=120)).isoformat()
    header = ",".join([*participants.HEADER, "employment_end"])
    rows = [
        f"{p['nib']},{p['nik']},{p['full_name']},1980-05-15,uji{n}@example.co.id,0812345679{n:02d},"
        f"Jl. Uji No. {n},10110,50000000,inactive,active,2012-03-01,{ended}"
        for n, p in enumerate(_people(), start=1)
    ]
    report = participants.import_text(rt, "\n".join([header, *rows]) + "\n", actor="test")
    assert report.ok, report.errors
    for person in _people():
        auth.activate(rt, person["nib"], person["nik"], "15-05-1980", "pin", PIN, PIN)


@pytest.fixture
def crowd(kiosk_env, tmp_path):
    rt = Runtime.create(load_settings())
    _seed(rt)
    keys = [asyncssh.generate_private_key("ssh-ed25519") for _ in range(SESSIONS)]
    authorized = tmp_path / "crowd_keys"
    authorized.write_text("".join(
        key_line(key, f"terminal=JKT-{n:02d} branch=Jakarta Pusat", "restrict,pty") + "\n"
        for n, key in enumerate(keys, start=1)
    ))
    server = ServeProcess.start(kiosk_env, authorized, tmp_path / "host_key", tmp_path / "serve.log")
    yield rt, server, keys
    assert server.stop() == 0, server.log()
    rt.engine.dispose()


async def _file_one(port: int, key: asyncssh.SSHKey, person: dict[str, str]) -> str:
    async with terminal(port, key) as (term, _conn, _chan):
        term.timeout = WAIT_UNDER_LOAD
        await flows.login(term, person["nib"], PIN, person["full_name"])
        await flows.open_claim_form(term)
        await flows.fill_claim_form(term, person["full_name"])
        reference = await flows.submit_claim(term, PIN)
        await flows.logout(term)
        return reference


async def test_ten_sessions_at_once_file_ten_claims(crowd):
    rt, server, keys = crowd
    people = _people()
    references = await asyncio.wait_for(
        asyncio.gather(*(_file_one(server.port, key, person) for key, person in zip(keys, people, strict=True))),
        timeout=150,
    )
    assert len(set(references)) == SESSIONS
    with rt.read() as session:
        rows = session.exec(select(Claim, Participant).join(Participant)
                            .where(Participant.nib.in_([p["nib"] for p in people]))).all()
    assert sorted(participant.nib for _claim, participant in rows) == sorted(p["nib"] for p in people)
    assert sorted(claim.reference for claim, _participant in rows) == sorted(references)
    terminal_of = {participant.nib: claim.terminal_id for claim, participant in rows}
    assert terminal_of == {p["nib"]: f"JKT-{n:02d}" for n, p in enumerate(people, start=1)}
    await server.wait_log(r"session end terminal=JKT-\d+ pid=\d+", count=SESSIONS)
    assert server.kiosk_pids() == []
