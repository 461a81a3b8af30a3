"""`kidb serve`: the SSH server the branch terminals log in to (asyncssh).

Public-key authentication only, against the terminals' authorized-keys file (see keys.py);
one interactive PTY session per connection, which runs the kiosk (session.py), forked by the
session host this server keeps running (host_client.py), or spawned (`--no-host`). Port and
agent forwarding, X11, exec requests and subsystems are refused; no SHA-1 key exchange or
MAC and no umac-64; the identification string names no software or version. Caps (limits.py):
connections not yet authenticated (past it a new one is closed at once), sessions at once,
sessions per terminal key. Logs one line per connection, per authentication result and per
session start and end, plus the sessions' own log lines (child_log.py); never a secret, text
from a client only escaped, and a flood of lines of one kind summarised (log_limits.py).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import resource
import signal
import sys
import tempfile
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path

import asyncssh
from asyncssh.kex import get_default_kex_algs
from asyncssh.mac import get_default_mac_algs

from kidb_tui.config import user_data_dir
from kidb_tui.i18n import Translator
from kidb_tui.logs import escape
from kidb_tui.ssh import limits as serve_limits
from kidb_tui.ssh.host_client import HostLauncher, host_environment
from kidb_tui.ssh.keys import AuthorizedKeys, KeyFileError, Terminal, load_or_create_host_key
from kidb_tui.ssh.limits import Limits
from kidb_tui.ssh.log_limits import FloodGuard, log_to_stderr
from kidb_tui.ssh.session import GRACE_SECONDS, KioskSession
from kidb_tui.ssh.spawn import SpawnLauncher

log = logging.getLogger("kidb.ssh")

DEFAULT_PORT = 2222
HOST_KEY_FILE = "ssh_host_ed25519_key"
AUTHORIZED_KEYS_FILE = "authorized_keys"
LOGIN_TIMEOUT = 30
KEEPALIVE_INTERVAL = 15
KEEPALIVE_COUNT_MAX = 3
SERVER_VERSION = "KIDB"
EXCEPTION_LOG_LIMIT = 200


def _strong(algs: list[bytes], weak: tuple[bytes, ...]) -> list[str]:
    """asyncssh's default algorithms, in its order, less those whose names contain a weak word."""
    return [alg.decode() for alg in algs if not any(word in alg for word in weak)]


KEX_ALGS = _strong(get_default_kex_algs(), (b"sha1",))
MAC_ALGS = _strong(get_default_mac_algs(), (b"sha1", b"umac-64"))


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
    """The server's open connections and kiosk sessions: what the caps count, and what a stop ends."""

    def __init__(self, keys: AuthorizedKeys, database_url: str, language: str | None,
                 limits: Limits | None = None, launcher=None, messages: Translator | None = None) -> None:
        self.keys = keys
        self.database_url = database_url
        self.language = language
        self.limits = limits or Limits()
        self.launcher = launcher or SpawnLauncher(database_url, language)
        self.messages = messages or Translator(language or "id")
        self.connections: set[asyncssh.SSHServerConnection] = set()
        self.unauthenticated = 0
        self.sessions: set[KioskSession] = set()

    def message(self, key: str, **params: object) -> str:
        return self.messages.t(key, **params)

    def new_session(self, terminal: Terminal) -> KioskSession:
        session = KioskSession(terminal, self)
        self.sessions.add(session)
        session.finished.add_done_callback(lambda _: self.sessions.discard(session))
        return session

    def admit(self, session: KioskSession) -> str | None:
        """Admit a session that asks to start, or say (to its terminal) why not: too many
        sessions, or this terminal's key already has as many as it may, its client connected."""
        running = [other for other in self.sessions if other.admitted and not other.finished.done()]
        name = escape(session.terminal.terminal_id)
        if len(running) >= self.limits.sessions:
            log.warning("refused a session terminal=%s: %d sessions running (cap)", name, len(running))
            return self.message("serve.server_full", limit=self.limits.sessions)
        same = [other for other in running if other.terminal.terminal_id == session.terminal.terminal_id
                and other.connected]
        if len(same) >= self.limits.per_terminal:
            log.warning("refused a session terminal=%s: %d session(s) of this terminal running (cap)",
                        name, len(same))
            return self.message("serve.terminal_busy", terminal=session.terminal.terminal_id)
        session.admitted = True
        return None

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
        self._waiting_auth = False
        self._refused = False

    def _name(self) -> str:
        return escape(self._terminal.terminal_id) if self._terminal else "-"

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        host, port = conn.get_extra_info("peername")[:2]
        self._peer = f"{host}:{port}"
        if self._hub.unauthenticated >= self._hub.limits.unauthenticated:
            self._refused = True
            log.warning("refused connection from %s: %d connections not authenticated yet (cap)",
                        self._peer, self._hub.unauthenticated)
            conn.abort()
            return
        self._hub.unauthenticated += 1
        self._waiting_auth = True
        self._hub.connections.add(conn)
        log.info("connection from %s", self._peer)

    def _authenticated(self) -> None:
        if self._waiting_auth:
            self._waiting_auth = False
            self._hub.unauthenticated -= 1

    def connection_lost(self, exc: Exception | None) -> None:
        if self._refused:
            return
        self._authenticated()
        if self._conn is not None:
            self._hub.connections.discard(self._conn)
        reason = f" ({escape(str(exc)[:EXCEPTION_LOG_LIMIT])})" if exc else ""
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
        self._authenticated()
        log.info("auth ok %s terminal=%s branch=%s key=%s", self._peer, escape(self._terminal.terminal_id),
                 escape(self._terminal.branch), self._terminal.fingerprint)

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


def _loop_errors(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    """An error the event loop could not hand to anyone (a failed accept when descriptors run
    out, say): one line, no traceback; a flood of them is summarised by the log's FloodGuard."""
    error = context.get("exception")
    detail = f"{type(error).__name__}: {escape(str(error)[:EXCEPTION_LOG_LIMIT])}" if error else ""
    log.error("event loop: %s %s", escape(context.get("message", "")), detail)


async def _summarise(guard: FloodGuard) -> None:
    while True:
        await asyncio.sleep(guard.window)
        guard.summarise()


async def run_server(
    host: str, port: int, host_key: asyncssh.SSHKey, hub: Hub,
    background: Sequence[Callable[[], Coroutine[object, object, None]]] = (),
    flood_guard: FloodGuard | None = None,
    at_stop: Callable[[], None] | None = None,
) -> int:
    """Serve until SIGTERM or SIGINT, then end every session and return 0; SIGHUP rereads the
    authorized keys. Each of `background` runs as a task meanwhile (`kidb serve`: the audit
    sealer, the periodic audit checkpoints and the outbox sender); `at_stop` runs in a thread once every session
    has ended (`kidb serve`: seal their last audit rows). A session host launcher is started
    first and stopped last (it reports the sessions' ends until then)."""
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(_loop_errors)
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    loop.add_signal_handler(signal.SIGHUP, hub.keys.reload)
    if isinstance(hub.launcher, HostLauncher):
        hub.launcher.start_host()
    acceptor = await asyncssh.create_server(
        lambda: TerminalServer(hub), host, port,
        server_host_keys=[host_key], server_version=SERVER_VERSION,
        kex_algs=KEX_ALGS, mac_algs=MAC_ALGS,
        public_key_auth=True, password_auth=False, kbdint_auth=False, host_based_auth=False, gss_auth=False,
        agent_forwarding=False, x11_forwarding=False, allow_pty=True, allow_scp=False,
        line_editor=False, encoding=None,
        login_timeout=LOGIN_TIMEOUT, keepalive_interval=KEEPALIVE_INTERVAL, keepalive_count_max=KEEPALIVE_COUNT_MAX,
    )
    bound_host, bound_port = acceptor.sockets[0].getsockname()[:2]
    print(f"listening on {bound_host}:{bound_port}", flush=True)
    log.info("listening on %s:%s with %d terminal key(s) from %s; caps: %d unauthenticated, %d sessions, "
             "%d per terminal", bound_host, bound_port, len(hub.keys), hub.keys.path, hub.limits.unauthenticated,
             hub.limits.sessions, hub.limits.per_terminal)
    tasks = [asyncio.create_task(job()) for job in background]
    if flood_guard is not None:
        tasks.append(asyncio.create_task(_summarise(flood_guard)))
    await stopping.wait()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    log.info("stopping: ending %d session(s)", len(hub.sessions))
    acceptor.close()
    await hub.stop()
    await acceptor.wait_closed()
    if isinstance(hub.launcher, HostLauncher):
        await hub.launcher.stop()
    if at_stop is not None:
        await asyncio.to_thread(at_stop)
    log.info("stopped")
    return 0


def _raise_descriptor_limit() -> None:
    """The soft limit on open files up to the hard one: each session holds a few."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _host_socket(args) -> tuple[Path, tempfile.TemporaryDirectory | None]:
    """`--host-socket`, else KIDB_HOST_SOCKET, else a socket in a private directory of this run."""
    chosen = args.host_socket or os.environ.get("KIDB_HOST_SOCKET")
    if chosen:
        return Path(chosen), None
    folder = tempfile.TemporaryDirectory(prefix="kidb-serve-", dir=os.environ.get("XDG_RUNTIME_DIR"))
    return Path(folder.name) / "host.sock", folder


def _audit_jobs(rt) -> tuple[list[Callable[[], Coroutine[object, object, None]]], Callable[[], None]]:
    """`kidb serve`'s audit work: the sealer every `audit_seal_seconds` and the checkpoints every
    `audit_checkpoint_seconds` (none when 0) as tasks, and the last seal once the sessions have
    ended (a checkpoint, which seals first, when checkpoints are on)."""
    from kidb_tui.services.audit_checkpoint import checkpoint_every, default_path, write_checkpoint
    from kidb_tui.services.audit_seal import seal_at_stop, seal_every

    job = functools.partial(seal_every, rt, rt.settings.audit_seal_seconds)
    jobs: list[Callable[[], Coroutine[object, object, None]]] = [job]
    seconds = rt.settings.audit_checkpoint_seconds
    if seconds > 0:
        jobs.append(functools.partial(checkpoint_every, rt, default_path(), seconds))
    finish = functools.partial(write_checkpoint, rt, default_path()) if seconds > 0 else None
    return jobs, functools.partial(seal_at_stop, rt, finish)


def serve(rt, args) -> int:
    """The `kidb serve` subcommand."""
    guard = log_to_stderr(sys.stderr, "kidb-serve")
    data_dir = user_data_dir()
    host_key_path: Path = args.host_key or data_dir / HOST_KEY_FILE
    keys_path: Path = args.authorized_keys or data_dir / AUTHORIZED_KEYS_FILE
    try:
        host, port = parse_listen(args.listen)
        limits = serve_limits.from_arguments(args)
        host_key, created = load_or_create_host_key(host_key_path)
        keys = AuthorizedKeys.open(keys_path)
    except (ValueError, KeyFileError, OSError) as error:
        print(f"kidb serve: {error}", file=sys.stderr)
        return 2
    print(f"host key {host_key.get_fingerprint()} ({host_key_path}{', created' if created else ''})", flush=True)
    if not len(keys):
        print(f"no terminal keys yet: add one line per terminal to {keys_path}", flush=True)
    _raise_descriptor_limit()
    background, last_seal = _audit_jobs(rt)
    from kidb_tui.delivery import runner, transports

    channels = transports.configured(rt.settings)
    if channels:
        background = [*background, functools.partial(runner.send_every, rt, channels)]
    database_url = rt.settings.database_url
    rt.engine.dispose()
    socket_folder = None
    launcher = None
    if serve_limits.use_host(args):
        socket_path, socket_folder = _host_socket(args)
        launcher = HostLauncher(socket_path, host_environment(database_url, data_dir), args.language)
    hub = Hub(keys, database_url, args.language, limits, launcher, Translator(args.language or rt.settings.language))
    try:
        return asyncio.run(run_server(host, port, host_key, hub, background, guard, last_seal))
    finally:
        if socket_folder is not None:
            socket_folder.cleanup()
