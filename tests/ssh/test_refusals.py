"""What `kidb serve` refuses: unknown keys, passwords, commands, subsystems, forwarding, a
session without a terminal or a second one; and what a kiosk child may see of its client."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import asyncssh
import pytest

from kidb_tui.ssh.host_client import MALLOC_TUNABLE
from tests.ssh.harness import asyncio_wait, connect, terminal
from tests.ssh.terminal import Term


@pytest.fixture
def server(shared_serve):
    """The module's server, and where its log stood when the test began."""
    server, key = shared_serve
    return server, key, len(server.log())


async def test_unknown_key_is_refused_and_logged(server):
    serve, _key, mark = server
    stranger = asyncssh.generate_private_key("ssh-ed25519")
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(serve.port, stranger)
    await serve.wait_log(rf"auth refused 127\.0\.0\.1:\d+: unknown key {re.escape(stranger.get_fingerprint())}",
                         since=mark)
    await serve.wait_log(r"connection closed 127\.0\.0\.1:\d+ terminal=-", since=mark)
    assert "auth ok" not in serve.log()[mark:]


@pytest.mark.parametrize("method", ["password", "keyboard-interactive"])
async def test_password_logins_are_refused(server, method):
    serve, _key, _mark = server
    options = {"password": "258147"} if method == "password" else {"password": "258147", "kbdint_auth": True}
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(serve.port, None, preferred_auth=method, **options)


async def refused(port: int, key: asyncssh.SSHKey, request, error=asyncssh.ChannelOpenError) -> None:
    conn = await connect(port, key)
    try:
        with pytest.raises(error):
            await asyncio_wait(request(conn))
    finally:
        conn.close()
        await asyncio_wait(conn.wait_closed())


async def test_exec_requests_are_refused(server):
    serve, terminal_key, mark = server
    await refused(serve.port, terminal_key, lambda conn: conn.run("id"))
    await refused(serve.port, terminal_key, lambda conn: conn.create_process("id", term_type="xterm"))
    await serve.wait_log(r"refused exec request terminal=JKT-01", count=2, since=mark)


async def test_sftp_and_other_subsystems_are_refused(server):
    serve, terminal_key, mark = server
    await refused(serve.port, terminal_key, lambda conn: conn.start_sftp_client())
    await refused(serve.port, terminal_key, lambda conn: conn.create_process(subsystem="netconf"))
    await serve.wait_log(r"refused subsystem sftp terminal=JKT-01", since=mark)


async def test_shell_without_a_pty_is_refused(server):
    serve, terminal_key, mark = server
    await refused(serve.port, terminal_key, lambda conn: conn.create_process())
    await serve.wait_log(r"refused shell without a PTY terminal=JKT-01", since=mark)


async def test_port_forwarding_is_refused(server):
    serve, terminal_key, mark = server
    await refused(serve.port, terminal_key,
                  lambda conn: conn.create_connection(asyncssh.SSHTCPSession, "127.0.0.1", serve.port))
    await refused(serve.port, terminal_key, lambda conn: conn.forward_remote_port("127.0.0.1", 0, "127.0.0.1", 1),
                  asyncssh.ChannelListenError)
    await refused(serve.port, terminal_key,
                  lambda conn: conn.create_unix_connection(asyncssh.SSHUNIXSession, "/run/sshd.sock"))
    await serve.wait_log(r"refused (remote |UNIX socket )?(port )?forwarding", count=3, since=mark)


async def test_x11_forwarding_is_refused(server):
    serve, terminal_key, _mark = server
    await refused(serve.port, terminal_key,
                  lambda conn: conn.create_process(term_type="xterm", x11_forwarding=True, x11_display="127.0.0.1:0"))


async def test_one_session_per_connection(server):
    serve, terminal_key, mark = server
    async with terminal(serve.port, terminal_key) as (term, conn, _chan):
        await term.wait_text("JKT-01")
        with pytest.raises(asyncssh.ChannelOpenError):
            await asyncio_wait(conn.create_process(term_type="xterm"))
    await serve.wait_log(r"refused a second session", since=mark)


async def test_kiosk_environment_is_clean(server):
    """Variables the client sends and agent forwarding never reach the kiosk: its process holds
    the session host's clean environment, and the terminal id is the key's."""
    serve, terminal_key, mark = server
    conn = await connect(serve.port, terminal_key, agent_forwarding=True, agent_path="/nonexistent/agent.sock")
    try:
        process = await asyncio_wait(conn.create_process(
            term_type="xterm-256color", term_size=(80, 24), encoding=None,
            env={"LD_PRELOAD": "/tmp/evil.so", "KIDB_TERMINAL_ID": "FAKE", "KIDB_DATABASE_URL": "sqlite:///x"},
        ))
        [pid] = await serve.wait_log(r"session start terminal=JKT-01 .*?pid=(\d+)", since=mark)
        environ = dict(entry.split("=", 1) for entry in
                       Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0") if entry)
        term = Term(lambda data: None)
        while "JKT-01 · Jakarta Pusat" not in term.text():
            term.feed(await asyncio_wait(process.stdout.read(65536)))
        process.close()
    finally:
        conn.close()
        await asyncio_wait(conn.wait_closed())
    assert {name for name in environ if not name.startswith("KIDB_")} <= {"PATH", "LANG", "TERM", "GLIBC_TUNABLES"}
    assert environ.get("GLIBC_TUNABLES", MALLOC_TUNABLE) == MALLOC_TUNABLE  # the host's, set by the server
    assert "LD_PRELOAD" not in environ and environ.get("KIDB_TERMINAL_ID", "") != "FAKE"
    assert environ["KIDB_DATABASE_URL"].endswith("/data/kidb.sqlite3")
    assert "FAKE" not in term.text()


async def test_sighup_rereads_the_keys_and_the_server_keeps_serving(server):
    """`systemctl reload kidb-serve` sends SIGHUP: the keys are reread, nothing stops."""
    serve, key, mark = server
    serve.process.send_signal(signal.SIGHUP)
    await serve.wait_log(r"authorized keys reloaded: \d+ terminal\(s\)", since=mark)
    assert serve.process.poll() is None
    connection = await connect(serve.port, key)
    connection.close()
