"""The session host's spares (`host_spares`): children forked ahead of demand, each with its
database engine open, that take the next sessions; a spare used or killed is replaced; a spare
holds no descriptor of any session; with `host_spares = 0` the host forks on demand only."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

from tests.conftest import BUDI, SITI
from tests.ssh import flows
from tests.ssh.harness import has_terminal, is_running, processes, start_crowd_server, stop_server, terminal
from tests.ssh.test_host import descriptor_targets

WAIT = 20.0


def spares_of(host: int) -> set[int]:
    """The host's children that have no terminal (yet)."""
    return {pid for pid, (parent, _cmdline) in processes().items()
            if parent == host and not has_terminal(pid) and is_running(pid)}


async def until_spares(host: int, count: int, other_than: set[int] = frozenset()) -> set[int]:
    """The host's spares once there are `count` of them, none of them in `other_than`."""
    deadline = time.monotonic() + WAIT
    while True:
        found = spares_of(host)
        if len(found) == count and not found & other_than:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"host {host} has spares {found}, wanted {count} not in {other_than}")
        await asyncio.sleep(0.05)


def files_of(pid: int) -> set[str]:
    return {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}


async def until_database_open(pids: set[int]) -> None:
    """Until each of `pids` has the SQLite database open (a spare prepares it as it starts)."""
    deadline = time.monotonic() + WAIT
    while not all(any(target.endswith("kidb.sqlite3") for target in files_of(pid)) for pid in pids):
        if time.monotonic() > deadline:
            raise AssertionError({pid: files_of(pid) for pid in pids})
        await asyncio.sleep(0.05)


async def test_sessions_are_spares_forked_before_them_and_replaced(kiosk_env, tmp_path):
    """Two spares wait, each with the database open; a terminal's session is one of them (and
    signs in with that engine), a new spare takes its place, and the next terminal gets one of
    those. No spare holds a descriptor of a session (terminal, pipes, sockets), nor a session
    one of a spare or of the other session."""
    server, keys = start_crowd_server(kiosk_env, tmp_path, 2)
    try:
        await server.wait_log(r"session host pid=\d+ ready")
        [host] = server.host_pids()
        first_spares = await until_spares(host, 2)
        await until_database_open(first_spares)
        async with terminal(server.port, keys[0]) as (term, _conn, _chan):
            await flows.login_screen(term)
            [kiosk] = server.session_pids("JKT-01")
            assert kiosk in first_spares
            next_spares = await until_spares(host, 2, other_than={kiosk})
            async with terminal(server.port, keys[1]) as (other, _conn2, _chan2):
                await flows.login_screen(other, "JKT-02")
                [second] = server.session_pids("JKT-02")
                assert second in next_spares
                spares = await until_spares(host, 2, other_than={kiosk, second})
                held = {pid: descriptor_targets(pid) for pid in (kiosk, second, *spares)}
                await flows.login(term, SITI.nib, SITI.secret, SITI.name)
                await flows.login(other, BUDI.nib, BUDI.secret, BUDI.name)
    finally:
        stop_server(server)
    for session in (kiosk, second):
        assert len([target for target in held[session] if target.startswith("/dev/pts/")]) == 1, held[session]
        for spare in spares:
            assert not held[session] & held[spare], (held[session], held[spare])
    assert not held[kiosk] & held[second]
    for spare in spares:
        assert not [target for target in held[spare] if target.startswith("/dev/pts/")], held[spare]


async def test_a_spare_that_dies_is_replaced(kiosk_env, tmp_path):
    """SIGKILL to a waiting spare: the host logs it and forks another; terminals are served."""
    server, keys = start_crowd_server(kiosk_env, tmp_path, 1)
    try:
        await server.wait_log(r"session host pid=\d+ ready")
        [host] = server.host_pids()
        spares = await until_spares(host, 2)
        killed = min(spares)
        os.kill(killed, signal.SIGKILL)
        await server.wait_log(rf"spare pid={killed} ended with status -9 before it had a session; replacing it")
        replaced = await until_spares(host, 2, other_than={killed})
        assert len(replaced & spares) == 1
        async with terminal(server.port, keys[0]) as (term, _conn, _chan):
            await flows.login_screen(term)
            [kiosk] = server.session_pids("JKT-01")
            assert kiosk in replaced
    finally:
        stop_server(server)


async def test_without_spares_the_host_forks_on_demand(kiosk_env, tmp_path):
    """`host_spares = 0`: the host has no child until a terminal comes, and the session is
    forked for it."""
    server, keys = start_crowd_server({**kiosk_env, "KIDB_HOST_SPARES": "0"}, tmp_path, 1)
    try:
        await server.wait_log(r"session host pid=\d+ ready")
        [host] = server.host_pids()
        await server.wait_log(r"ready on .*: warm-up .*, 0 spare\(s\)")
        assert spares_of(host) == set()
        async with terminal(server.port, keys[0]) as (term, _conn, _chan):
            await flows.login_screen(term)
            [kiosk] = server.session_pids("JKT-01")
            assert processes()[kiosk][0] == host
            assert spares_of(host) == set()
    finally:
        stop_server(server)
