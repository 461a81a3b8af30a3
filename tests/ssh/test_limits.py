"""The caps of `kidb serve`: connections not yet authenticated (closed at once past the cap,
and a descriptor shortage never floods the log), sessions per terminal key, sessions at once,
and the window size a kiosk may be given."""

from __future__ import annotations

import asyncio
import resource
import socket
import time
from pathlib import Path

import pytest

from tests.ssh import flows
from tests.ssh.harness import start_crowd_server, stop_server, terminal

FLOOD_LOG_LINES = 800


def idle_sockets(port: int, count: int) -> list[socket.socket]:
    """`count` TCP connections that never say a word."""
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sockets.append(sock)
    return sockets


def closed_at_once(sock: socket.socket) -> bool:
    """Whether the server closed this connection without a handshake (within a second)."""
    sock.settimeout(1.0)
    data = b""
    try:
        while chunk := sock.recv(4096):
            data += chunk
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    return b"SSH-2.0" not in data


async def test_connections_past_the_unauthenticated_cap_are_closed_at_once(kiosk_env, tmp_path):
    server, [key] = start_crowd_server(kiosk_env, tmp_path, 1, ("--max-unauthenticated", "5"))
    try:
        sockets = idle_sockets(server.port, 12)
        try:
            refused = await asyncio.to_thread(lambda: [closed_at_once(sock) for sock in sockets])
        finally:
            for sock in sockets:
                sock.close()
        assert refused == [False] * 5 + [True] * 7
        await server.wait_log(r"refused connection from 127\.0\.0\.1:\d+: 5 connections not authenticated yet",
                              count=7)
        async with terminal(server.port, key) as (term, _conn, _chan):
            await flows.login_screen(term)
    finally:
        stop_server(server)


def _few_descriptors() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (160, 160))


async def test_running_out_of_descriptors_never_floods_the_log(kiosk_env, tmp_path):
    """With 160 descriptors and a cap above that, 600 idle connections make accepting fail for
    a while: the log stays short (one line per kind of failure, then a count), no traceback;
    once they are gone a terminal logs in."""
    server, [key] = start_crowd_server(kiosk_env, tmp_path, 1, ("--max-unauthenticated", "1000"),
                                       preexec_fn=_few_descriptors)
    try:
        sockets = []
        try:
            started = time.monotonic()
            while len(sockets) < 600 and time.monotonic() - started < 20:
                try:
                    sockets.append(socket.create_connection(("127.0.0.1", server.port), timeout=2))
                except OSError:
                    await asyncio.sleep(0.01)
            await asyncio.sleep(3)
        finally:
            for sock in sockets:
                sock.close()
        await server.wait_log(r"event loop: socket\.accept\(\) out of system resource OSError: \[Errno 24\]")
        async with terminal(server.port, key) as (term, _conn, _chan):
            await flows.login_screen(term)
        log = server.log()
    finally:
        stop_server(server)
    assert len(log.splitlines()) < FLOOD_LOG_LINES, len(log.splitlines())
    assert "Traceback" not in log


async def test_a_second_session_of_one_terminal_key_is_refused_by_name(kiosk_env, tmp_path):
    server, [key] = start_crowd_server(kiosk_env, tmp_path, 1)
    try:
        async with terminal(server.port, key) as (first, _conn, _chan):
            await flows.login_screen(first)
            async with terminal(server.port, key) as (second, _conn2, chan2):
                await second.wait_text("Terminal JKT-01 sudah memiliki sesi yang berjalan; sesi kedua tidak dibuka.")
                await second.wait_closed()
            assert chan2.get_exit_status() == 1
            await server.wait_log(r"refused a session terminal=JKT-01: 1 session\(s\) of this terminal running")
            first.send("26010000001")
            await first.wait_text("26010000001")
            assert len(server.kiosk_pids()) == 1
    finally:
        stop_server(server)


async def test_sessions_past_the_global_cap_are_refused(kiosk_env, tmp_path):
    server, keys = start_crowd_server(kiosk_env, tmp_path, 3, ("--max-sessions", "2"))
    try:
        async with (terminal(server.port, keys[0]) as (one, _c1, _h1),
                    terminal(server.port, keys[1]) as (two, _c2, _h2)):
            await flows.login_screen(one, "JKT-01")
            await flows.login_screen(two, "JKT-02")
            async with terminal(server.port, keys[2]) as (three, _c3, chan3):
                await three.wait_text("Semua 2 sesi sedang dipakai. Silakan coba lagi sebentar lagi.")
                await three.wait_closed()
            assert chan3.get_exit_status() == 1
            await server.wait_log(r"refused a session terminal=JKT-03: 2 sessions running \(cap\)")
        await server.wait_log(r"session end terminal=JKT-0[12] ", count=2)
        async with terminal(server.port, keys[2]) as (three, _c3, _h3):
            await flows.login_screen(three, "JKT-03")
    finally:
        stop_server(server)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


@pytest.mark.parametrize("when", ["pty-req", "window-change"])
async def test_a_huge_window_is_clamped_before_the_kiosk_sees_it(kiosk_env, tmp_path, when):
    """65535x65535 asked for at the start or in a window change: the kiosk draws at most
    500x200 and stays under 150 MiB."""
    server, [key] = start_crowd_server(kiosk_env, tmp_path, 1)
    huge = (65535, 65535)
    try:
        async with terminal(server.port, key, size=(500, 200),
                            request_size=huge if when == "pty-req" else (80, 24)) as (term, _conn, chan):
            await term.wait_text(flows.LOGIN_LABEL)
            [kiosk] = server.session_pids("JKT-01")
            if when == "window-change":
                chan.change_terminal_size(*huge)
            await term.wait(lambda: "F2" in term.screen.display[199], "the key bar on row 200")
            await asyncio.sleep(1)
            assert rss_mib(kiosk) < 150
            assert term.find("Selamat datang")[1] < 500
        if when == "pty-req":
            await server.wait_log(r"session start terminal=JKT-01 .* size=500x200")
    finally:
        stop_server(server)
