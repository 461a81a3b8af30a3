"""`kidb serve`: the SSH server the branch terminals log in to (asyncssh).

Public-key authentication only, against the terminals' authorized-keys file (see keys.py);
one interactive PTY session per connection, which runs the kiosk (session.py). Port and
agent forwarding, X11, exec requests and subsystems are refused. Logs one line per
connection, per authentication result and per session start and end; never a secret.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path

import asyncssh

from kidb_tui.config import user_data_dir
from kidb_tui.ssh.keys import AuthorizedKeys, KeyFileError, Terminal, load_or_create_host_key
from kidb_tui.ssh.session import GRACE_SECONDS, KioskSession

log = logging.getLogger("kidb.ssh")

DEFAULT_PORT = 2222
HOST_KEY_FILE = "ssh_host_ed25519_key"
AUTHORIZED_KEYS_FILE = "authorized_keys"
LOGIN_TIMEOUT = 30
KEEPALIVE_INTERVAL = 15
KEEPALIVE_COUNT_MAX = 3


def parse_listen(text: str) -> tuple[str, int]:
    """`HOST:PORT`, `[IPv6]:PORT` or `HOST` (port 2222); port 0 picks a free port."""
    host, colon, port_text = text.rpartition(":")
    if not colon or (text.startswith("[") and not host.endswith("]")):
        host, port_text = text, str(DEFAULT_PORT)
    host = host.removeprefix("[").removesuffix("]")
    if not host or not port_text.isdigit() or int(port_text) > 65535:
        raise ValueError(f"--listen {text!r}: expected HOST:PORT")
    return host, int(port_text)


class Hub:
    """The server's open connections and kiosk sessions, so that a stop can end them all."""

    def __init__(self, keys: AuthorizedKeys, database_url: str, language: str | None) -> None:
        self.keys = keys
        self.database_url = database_url
        self.language = language
        self.connections: set[asyncssh.SSHServerConnection] = set()
        self.sessions: set[KioskSession] = set()

    def new_session(self, terminal: Terminal) -> KioskSession:
        session = KioskSession(terminal, self.database_url, self.language)
        self.sessions.add(session)
        session.finished.add_done_callback(lambda _: self.sessions.discard(session))
        return session

    async def stop(self) -> None:
        """SIGTERM every kiosk, wait for them (bounded by the grace period), close every connection."""
        sessions = list(self.sessions)
        for session in sessions:
            session.end()
        if sessions:
            await asyncio.wait([session.finished for session in sessions], timeout=GRACE_SECONDS + 2)
        for conn in list(self.connections):
            conn.close()
        for conn in list(self.connections):
            try:
                await asyncio.wait_for(conn.wait_closed(), timeout=2)
            except TimeoutError:
                log.warning("connection did not close in time")


class TerminalServer(asyncssh.SSHServer):
    """One connection from a branch terminal."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self._conn: asyncssh.SSHServerConnection | None = None
        self._peer = "?"
        self._terminal: Terminal | None = None
        self._session: KioskSession | None = None

    def _name(self) -> str:
        return self._terminal.terminal_id if self._terminal else "-"

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        host, port = conn.get_extra_info("peername")[:2]
        self._peer = f"{host}:{port}"
        self._hub.connections.add(conn)
        log.info("connection from %s", self._peer)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._conn is not None:
            self._hub.connections.discard(self._conn)
        reason = f" ({exc})" if exc else ""
        log.info("connection closed %s terminal=%s%s", self._peer, self._name(), reason)

    def begin_auth(self, username: str) -> bool:
        return True

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        terminal = self._hub.keys.lookup(key)
        if terminal is None:
            log.warning("auth refused %s: unknown key %s", self._peer, key.get_fingerprint())
            return False
        self._terminal = terminal
        return True

    def auth_completed(self) -> None:
        assert self._terminal is not None
        log.info("auth ok %s terminal=%s branch=%s key=%s",
                 self._peer, self._terminal.terminal_id, self._terminal.branch, self._terminal.fingerprint)

    def session_requested(self) -> KioskSession | bool:
        if self._terminal is None or (self._session is not None and not self._session.finished.done()):
            log.info("refused a second session %s terminal=%s", self._peer, self._name())
            return False
        self._session = self._hub.new_session(self._terminal)
        return self._session

    def connection_requested(self, dest_host: str, dest_port: int, orig_host: str, orig_port: int) -> bool:
        log.info("refused port forwarding %s terminal=%s", self._peer, self._name())
        return False

    def server_requested(self, listen_host: str, listen_port: int) -> bool:
        log.info("refused remote port forwarding %s terminal=%s", self._peer, self._name())
        return False

    def unix_connection_requested(self, dest_path: str) -> bool:
        log.info("refused UNIX socket forwarding %s terminal=%s", self._peer, self._name())
        return False

    def unix_server_requested(self, listen_path: str) -> bool:
        log.info("refused remote UNIX socket forwarding %s terminal=%s", self._peer, self._name())
        return False


async def run_server(host: str, port: int, host_key: asyncssh.SSHKey, hub: Hub) -> int:
    """Serve until SIGTERM or SIGINT, then end every session and return 0."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    acceptor = await asyncssh.create_server(
        lambda: TerminalServer(hub), host, port,
        server_host_keys=[host_key],
        public_key_auth=True, password_auth=False, kbdint_auth=False, host_based_auth=False, gss_auth=False,
        agent_forwarding=False, x11_forwarding=False, allow_pty=True, allow_scp=False,
        line_editor=False, encoding=None,
        login_timeout=LOGIN_TIMEOUT, keepalive_interval=KEEPALIVE_INTERVAL, keepalive_count_max=KEEPALIVE_COUNT_MAX,
    )
    bound_host, bound_port = acceptor.sockets[0].getsockname()[:2]
    print(f"listening on {bound_host}:{bound_port}", flush=True)
    log.info("listening on %s:%s with %d terminal key(s) from %s", bound_host, bound_port, len(hub.keys), hub.keys.path)
    await stopping.wait()
    log.info("stopping: ending %d session(s)", len(hub.sessions))
    acceptor.close()
    await hub.stop()
    await acceptor.wait_closed()
    log.info("stopped")
    return 0


def serve(rt, args) -> int:
    """The `kidb serve` subcommand."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s kidb-serve %(levelname)s %(message)s")
    logging.getLogger("asyncssh").setLevel(logging.WARNING)
    data_dir = user_data_dir()
    host_key_path: Path = args.host_key or data_dir / HOST_KEY_FILE
    keys_path: Path = args.authorized_keys or data_dir / AUTHORIZED_KEYS_FILE
    try:
        host, port = parse_listen(args.listen)
        host_key, created = load_or_create_host_key(host_key_path)
        keys = AuthorizedKeys.open(keys_path)
    except (ValueError, KeyFileError, OSError) as error:
        print(f"kidb serve: {error}", file=sys.stderr)
        return 2
    print(f"host key {host_key.get_fingerprint()} ({host_key_path}{', created' if created else ''})", flush=True)
    if not len(keys):
        print(f"no terminal keys yet: add one line per terminal to {keys_path}", flush=True)
    database_url = rt.settings.database_url
    rt.engine.dispose()
    return asyncio.run(run_server(host, port, host_key, Hub(keys, database_url, args.language)))
