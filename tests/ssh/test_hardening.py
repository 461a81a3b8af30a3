"""`kidb serve` under attack and faults: no weak algorithm, no version in the banner, client
text escaped in the log, the back office locked down, and no traceback ever on a terminal."""

from __future__ import annotations

import re
import socket
import subprocess
from pathlib import Path

import asyncssh
import pytest

from tests.ssh import flows
from tests.ssh.harness import (
    ServeProcess,
    asyncio_wait,
    connect,
    is_running,
    key_line,
    start_server,
    stop_server,
    terminal,
)

FORGED = "2026-11-30 10:00:00,000 kidb-serve INFO auth ok forged"
COULD_NOT_START = "KIDB tidak dapat dimulai / could not start; ask the officer"


@pytest.fixture
def server(shared_serve):
    """The module's server, and where its log stood when the test began."""
    server, key = shared_serve
    return server, key, len(server.log())


def test_banner_names_no_software_and_no_version(server):
    serve, _key, _mark = server
    with socket.create_connection(("127.0.0.1", serve.port), timeout=10) as sock:
        banner = b""
        while not banner.endswith(b"\r\n"):
            chunk = sock.recv(256)
            assert chunk, banner
            banner += chunk
    assert banner == b"SSH-2.0-KIDB\r\n"
    assert b"AsyncSSH" not in banner and not re.search(rb"\d", banner.removeprefix(b"SSH-2.0"))


def openssh_client(port: int, *options: str) -> subprocess.CompletedProcess:
    """The OpenSSH client with `options`, no key and no config: it gets as far as the server lets it."""
    argv = ["ssh", "-F", "/dev/null", "-p", str(port), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "PubkeyAuthentication=no", "-o", "IdentityAgent=none",
            *options, "terminal@127.0.0.1", "true"]
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize(("options", "refusal"), [
    (("-o", "KexAlgorithms=diffie-hellman-group14-sha1"), "no matching key exchange method found"),
    (("-o", "KexAlgorithms=diffie-hellman-group-exchange-sha1"), "no matching key exchange method found"),
    (("-o", "Ciphers=aes128-ctr", "-o", "MACs=hmac-sha1"), "no matching MAC found"),
    (("-o", "Ciphers=aes128-ctr", "-o", "MACs=hmac-sha1-etm@openssh.com"), "no matching MAC found"),
    (("-o", "Ciphers=aes128-ctr", "-o", "MACs=umac-64@openssh.com"), "no matching MAC found"),
    (("-o", "Ciphers=aes128-ctr", "-o", "MACs=umac-64-etm@openssh.com"), "no matching MAC found"),
    (("-o", "Ciphers=aes128-ctr", "-o", "MACs=hmac-sha2-256-etm@openssh.com"), "Permission denied"),
    (("-o", "KexAlgorithms=curve25519-sha256"), "Permission denied"),
])
def test_sha1_and_umac64_are_refused(server, options, refusal):
    """Weak choices end the handshake; strong ones get as far as authentication."""
    serve, _key, _mark = server
    result = openssh_client(serve.port, *options)
    assert result.returncode == 255
    assert refusal in result.stderr, result.stderr


async def test_client_text_is_escaped_in_the_log(server):
    """A TERM or subsystem name with a newline or an escape sequence cannot forge a log line."""
    serve, key, mark = server
    term_type = f"xterm\n{FORGED}\x1b[2J"
    conn = await connect(serve.port, key)
    with pytest.raises(asyncssh.ChannelOpenError):
        await asyncio_wait(conn.create_process(subsystem=f"sftp\n{FORGED}"))
    conn.close()
    await asyncio_wait(conn.wait_closed())
    conn = await connect(serve.port, key)
    try:
        process = await asyncio_wait(conn.create_process(term_type=term_type, term_size=(80, 24)))
        await serve.wait_log(r"session start terminal=JKT-01 .*? term=xterm\\n2026", since=mark)
        process.close()
    finally:
        conn.close()
        await asyncio_wait(conn.wait_closed())
    await serve.wait_log(r"refused subsystem sftp\\n2026", since=mark)
    log = serve.log()[mark:]
    assert f"term=xterm\\n{FORGED}\\x1b[2J size=80x24" in log
    assert not [line for line in log.splitlines() if line.startswith(FORGED)]
    assert "\x1b" not in log


async def test_ctrl_c_and_ctrl_backslash_at_start_show_no_traceback(server):
    """Terminal signals are off before Python starts: the keys typed from the first moment on
    never end the kiosk, and the terminal never shows a traceback."""
    serve, key, mark = server
    async with terminal(serve.port, key) as (term, _conn, _chan):
        await flows.signal_keys_until_drawn(term)
        await flows.login_screen(term)
        [pid] = await serve.wait_log(r"session start terminal=JKT-01 .*?pid=(\d+)", since=mark)
        assert is_running(pid)
    assert b"Traceback" not in term.raw and b"KeyboardInterrupt" not in term.raw
    await serve.wait_log(rf"session end terminal=JKT-01 pid={pid} status=0 reason=disconnect", since=mark)


async def test_session_log_goes_to_the_server_log(server):
    """The child logs into a pipe of its own (fd 3, KIDB_LOG_FD), never into the pty; a client's
    own KIDB_LOG_FD is not passed on."""
    serve, key, mark = server
    conn = await connect(serve.port, key)
    try:
        process = await asyncio_wait(conn.create_process(term_type="xterm", term_size=(80, 24),
                                                         env={"KIDB_LOG_FD": "2"}))
        [pid] = await serve.wait_log(r"session start terminal=JKT-01 .*?pid=(\d+)", since=mark)
        kiosk_fds = {int(fd.name): fd.readlink() for fd in Path(f"/proc/{pid}/fd").iterdir()}
        server_fds = [fd.readlink() for fd in Path(f"/proc/{serve.process.pid}/fd").iterdir()]
        process.close()
    finally:
        conn.close()
        await asyncio_wait(conn.wait_closed())
    assert all(str(kiosk_fds[fd]).startswith("/dev/pts/") for fd in (0, 1, 2))
    assert str(kiosk_fds[3]).startswith("pipe:") and kiosk_fds[3] in server_fds
    shared = [fd for fd, target in kiosk_fds.items()
              if target in server_fds and str(target).startswith(("pipe:", "socket:"))]
    assert shared == [3], kiosk_fds


async def test_backoffice_over_ssh_is_locked_down(kiosk_env, tmp_path):
    """A back-office terminal runs in kiosk mode: Ctrl+C on its login screen neither quits nor asks
    (there is nothing to leave), and the screen goes on taking keys."""
    key = asyncssh.generate_private_key("ssh-ed25519")
    keys = tmp_path / "backoffice_keys"
    keys.write_text(key_line(key, "terminal=JKT-BO1 branch=Jakarta Pusat role=backoffice") + "\n")
    server = ServeProcess.start(kiosk_env, keys, tmp_path / "host_key", tmp_path / "serve.log")
    try:
        async with terminal(server.port, key) as (term, _conn, _chan):
            await term.wait_text("Masuk petugas")
            [pid] = server.session_pids("JKT-BO1")
            assert server.kiosk_pids() == [pid]
            term.send(b"\x03")
            term.send("ani.petugas")
            await term.wait(lambda: term.line_has("Nama pengguna", "ani.petugas"), "the name typed after Ctrl+C")
            assert flows.LEAVE_QUESTION not in term.text()
            assert "Masuk petugas" in term.text() and not term.closed.is_set()
            assert server.kiosk_pids() == [pid]
    finally:
        assert server.stop() == 0


async def test_a_kiosk_that_cannot_start_shows_one_plain_line(kiosk_env, terminal_key, tmp_path):
    """The database became unusable after the server started: the terminal reads one plain line,
    the server log has the traceback as one escaped line with the terminal id."""
    server = start_server({**kiosk_env, "KIDB_AUDIT_CHECKPOINT_SECONDS": "0", "KIDB_AUDIT_SEAL_SECONDS": "3600"},
                          terminal_key, tmp_path)
    try:
        database = Path(kiosk_env["KIDB_DATABASE_URL"].removeprefix("sqlite:///"))
        database.write_bytes(b"this is not a database\n" * 512)
        async with terminal(server.port, terminal_key) as (term, _conn, chan):
            await term.wait_text(COULD_NOT_START)
            await term.wait_closed()
        assert chan.get_exit_status() == 1
        assert b"Traceback" not in term.raw and b'File "' not in term.raw
        [line] = await server.wait_log(r"(?m)^.*terminal=JKT-01 pid=\d+ .*level=CRITICAL .*could not start: Traceback.*$")
        assert "Traceback (most recent call last):\\" in line and "file is not a database" in line
        assert not re.search(r"(?m)^\s+File ", server.log())
    finally:
        stop_server(server)
