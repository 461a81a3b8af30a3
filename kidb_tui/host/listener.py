"""The session host's loop: one thread, no event loop. It listens on its UNIX socket (0600,
only this user or root may connect), reads one request per connection with the terminal's
descriptors (protocol.py), forks the session (child.py) and keeps no descriptor of it, answers
with the session's pid and a pidfd, reaps its children and reports each one's exit status on
the connection that asked for it. With spares (`host_spares`), it keeps that many children
forked ahead of demand, each having done the session's work that needs no terminal (child.py):
a request goes to a spare over its socket pair when one is waiting (else to a child forked for
it), and a spare that is used or dies is replaced between requests. A client that goes away leaves its session running. With
caps (`kidb host` under OpenSSH) a request is refused, with the reason for its terminal, when
as many sessions run as the global cap allows, or when the terminal already has as many
sessions as it may whose client is still connected (as `kidb serve` counts them)."""

from __future__ import annotations

import logging
import os
import select
import signal
import socket
import stat
import struct
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kidb_tui.host import protocol
from kidb_tui.logs import escape
from kidb_tui.ssh.limits import Limits

log = logging.getLogger("kidb.host")

REQUEST_SECONDS = 10.0
SPARE_SECONDS = 1.0
"""A spare that dies within this long of its fork delays the next one by as long (no fork loop)."""
POLL_MS = 1000
BACKLOG = 256
_PEERCRED = struct.Struct("3i")


class HostError(Exception):
    """The host cannot listen (another host answers on the socket, or the path is unusable)."""


@dataclass
class _Client:
    sock: socket.socket
    uid: int
    connected: float = field(default_factory=time.monotonic)
    pid: int = 0
    terminal_id: str = ""


def _bind(path: Path) -> socket.socket:
    """A listening SOCK_SEQPACKET socket at `path`, mode 0600; a stale socket file is replaced,
    a live one (another host) or any other file is refused."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.exists() or path.is_symlink():
        if not stat.S_ISSOCK(path.lstat().st_mode):
            raise HostError(f"{path} exists and is not a socket")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            probe.connect(str(path))
        except OSError:
            path.unlink()
        else:
            raise HostError(f"another session host already answers on {path}")
        finally:
            probe.close()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    old_umask = os.umask(0o177)
    try:
        sock.bind(str(path))
    except OSError as error:
        sock.close()
        raise HostError(f"cannot listen on {path}: {error.strerror}") from None
    finally:
        os.umask(old_umask)
    os.chmod(path, 0o600)
    sock.listen(BACKLOG)
    sock.setblocking(False)
    return sock


def _check_descriptors(fds: list[int], report: bool) -> None:
    """A terminal, perhaps a log pipe, and the report socket when the request has one."""
    if not fds or len(fds) > 2 + report or not os.isatty(fds[0]):
        raise protocol.ProtocolError("expected a terminal (a log pipe, a report socket)")
    if report and (len(fds) < 2 or not stat.S_ISSOCK(os.fstat(fds[-1]).st_mode)):
        raise protocol.ProtocolError("expected a report socket")
    if len(fds) - report > 1 and not stat.S_ISFIFO(os.fstat(fds[1]).st_mode):
        raise protocol.ProtocolError("expected a log pipe")


@dataclass
class _Spare:
    pid: int
    sock: socket.socket
    forked: float = field(default_factory=time.monotonic)


class Host:
    """The loop. `start_session(request, fds, close_in_child)` runs in a forked child and never
    returns; `close_in_child` detaches every socket of the host there. With `spares` > 0,
    `start_spare(channel, close_in_child)` runs in each spare and never returns: it waits for
    one request with its descriptors on `channel` (protocol.receive), then is that session."""

    def __init__(self, path: Path, start_session: Callable[[dict, list[int], Callable[[], None]], None],
                 caps: Limits | None = None, spares: int = 0,
                 start_spare: Callable[[socket.socket, Callable[[], None]], None] | None = None) -> None:
        self.path = path
        self._start_session = start_session
        self._caps = caps
        self._spare_count = spares if start_spare is not None else 0
        self._start_spare = start_spare
        self._spares: dict[int, _Spare] = {}
        self._spares_after = 0.0
        self._listener = _bind(path)
        self._inode = os.stat(path).st_ino
        self._clients: dict[int, _Client] = {}
        self._by_pid: dict[int, _Client] = {}
        self._stopping = False
        self._wake_read, self._wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._poll = select.poll()
        self._poll.register(self._listener, select.POLLIN)
        self._poll.register(self._wake_read, select.POLLIN)

    def serve(self, on_tick: Callable[[], bool] = lambda: True) -> int:
        """Until SIGTERM or SIGINT, or `on_tick` (called about every second) returns False; then
        stop listening and return 0 (sessions go on)."""
        signal.set_wakeup_fd(self._wake_write)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._stop)
        try:
            while not self._stopping:
                self._refill()
                for fd, events in self._poll.poll(POLL_MS):
                    if fd == self._listener.fileno():
                        self._accept()
                    elif fd == self._wake_read:
                        self._drain_wakeup()
                    elif fd in self._clients:
                        self._readable(self._clients[fd], events)
                self._reap()
                self._expire()
                if not on_tick():
                    self._stopping = True
        finally:
            self._close()
        return 0

    def _stop(self, *_: object) -> None:
        self._stopping = True

    def _drain_wakeup(self) -> None:
        try:
            while os.read(self._wake_read, 512):
                pass
        except BlockingIOError:
            pass

    def _accept(self) -> None:
        try:
            sock, _ = self._listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError as error:
            log.error("accept failed: %s", escape(error.strerror))
            return
        pid, uid, _gid = _PEERCRED.unpack(sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size))
        if uid not in (os.getuid(), 0):
            log.warning("refused a client of uid %d (pid %d)", uid, pid)
            sock.close()
            return
        sock.setblocking(False)
        self._clients[sock.fileno()] = _Client(sock, uid)
        self._poll.register(sock, select.POLLIN)

    def _readable(self, client: _Client, events: int) -> None:
        if client.pid:
            try:
                more = bool(client.sock.recv(protocol.PACKET_LIMIT))
            except BlockingIOError:
                return
            except OSError:
                more = False
            if not more or events & (select.POLLHUP | select.POLLERR):
                self._forget(client)
            return
        try:
            message, fds = protocol.receive(client.sock)
        except BlockingIOError:
            return
        except (OSError, protocol.ProtocolError) as error:
            log.warning("bad request: %s", escape(error))
            self._forget(client)
            return
        if message is None:
            self._forget(client)
            return
        try:
            request = protocol.check_request(message)
            _check_descriptors(fds, request["report"])
        except protocol.ProtocolError as error:
            log.warning("bad request: %s", escape(error))
            self._refuse(client, {"error": str(error)}, fds)
            return
        refusal = self._over_cap(request["terminal_id"])
        if refusal is not None:
            self._refuse(client, refusal, fds)
            return
        self._fork(client, request, fds)

    def _over_cap(self, terminal_id: str) -> dict | None:
        """The refusal for a new session of this terminal, or None when the caps admit it."""
        if self._caps is None:
            return None
        if len(self._by_pid) >= self._caps.sessions:
            log.warning("refused a session terminal=%s: %d sessions running (cap)", terminal_id, len(self._by_pid))
            return {"error": "too many sessions", "refused": protocol.SERVER_FULL, "limit": self._caps.sessions}
        same = [client for client in self._by_pid.values() if client.terminal_id == terminal_id
                and self._clients.get(client.sock.fileno()) is client]
        if len(same) >= self._caps.per_terminal:
            log.warning("refused a session terminal=%s: %d session(s) of this terminal running (cap)",
                        terminal_id, len(same))
            return {"error": "terminal busy", "refused": protocol.TERMINAL_BUSY, "terminal": terminal_id}
        return None

    def _refuse(self, client: _Client, answer: dict, fds: list[int]) -> None:
        self._answer(client, answer)
        for fd in fds:
            os.close(fd)
        self._forget(client)

    def _fork(self, client: _Client, request: dict, fds: list[int]) -> None:
        pid = self._hand_to_spare(request, fds)
        if pid is None:
            sys.stdout.flush()
            sys.stderr.flush()
            try:
                pid = os.fork()
            except OSError as error:
                log.error("fork failed terminal=%s: %s", request["terminal_id"], escape(error.strerror))
                self._answer(client, {"error": "fork failed"})
                for fd in fds:
                    os.close(fd)
                self._forget(client)
                return
            if pid == 0:
                try:
                    self._start_session(request, fds, self._close_in_child)
                finally:
                    os._exit(1)
        for fd in fds:
            os.close(fd)
        client.pid = pid
        client.terminal_id = request["terminal_id"]
        self._by_pid[pid] = client
        pidfd = os.pidfd_open(pid)
        try:
            self._answer(client, {"pid": pid}, [pidfd])
        finally:
            os.close(pidfd)
        log.info("session forked terminal=%s role=%s pid=%d", request["terminal_id"], request["role"], pid)

    def _hand_to_spare(self, request: dict, fds: list[int]) -> int | None:
        """The pid of the spare now running this session, or None when no spare took it."""
        while self._spares:
            spare = self._spares.pop(next(iter(self._spares)))
            try:
                protocol.send(spare.sock, request, fds)
            except OSError as error:  # it died since the last reap (reaped later)
                log.warning("spare pid=%d did not take a session: %s", spare.pid, escape(error.strerror))
                continue
            finally:
                spare.sock.close()
            return spare.pid
        return None

    def _refill(self) -> None:
        """Fork spares until there are as many as configured (none while paused after one died young)."""
        while len(self._spares) < self._spare_count and time.monotonic() >= self._spares_after:
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            sys.stdout.flush()
            sys.stderr.flush()
            try:
                pid = os.fork()
            except OSError as error:
                log.error("fork of a spare failed: %s", escape(error.strerror))
                ours.close()
                theirs.close()
                self._spares_after = time.monotonic() + SPARE_SECONDS
                return
            if pid == 0:
                try:
                    ours.detach()
                    assert self._start_spare is not None
                    self._start_spare(theirs, self._close_in_child)
                finally:
                    os._exit(1)
            theirs.close()
            self._spares[pid] = _Spare(pid, ours)

    def _close_in_child(self) -> None:
        """In a forked session: drop the host's sockets without closing descriptors that the
        child closes itself (their numbers may be reused by then), and its signal set-up."""
        signal.set_wakeup_fd(-1)
        for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, signal.SIG_DFL)
        self._listener.detach()
        for client in self._clients.values():
            client.sock.detach()
        for spare in self._spares.values():
            spare.sock.detach()

    def _answer(self, client: _Client, message: dict, fds: Sequence[int] = ()) -> None:
        try:
            protocol.send(client.sock, message, fds)
        except OSError:
            self._forget(client)

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            code = os.waitstatus_to_exitcode(status)
            spare = self._spares.pop(pid, None)
            if spare is not None:
                spare.sock.close()
                log.warning("spare pid=%d ended with status %d before it had a session; replacing it", pid, code)
                if time.monotonic() - spare.forked < SPARE_SECONDS:
                    self._spares_after = time.monotonic() + SPARE_SECONDS
                continue
            client = self._by_pid.pop(pid, None)
            log.info("session ended pid=%d status=%d", pid, code)
            if client is not None and client.sock.fileno() in self._clients:
                self._answer(client, {"exit": code})
                self._forget(client)

    def _expire(self) -> None:
        """A connection that sent no request in time is closed."""
        now = time.monotonic()
        for client in list(self._clients.values()):
            if not client.pid and now - client.connected > REQUEST_SECONDS:
                log.warning("closed a client that sent no request in %.0f s", REQUEST_SECONDS)
                self._forget(client)

    def _forget(self, client: _Client) -> None:
        fd = client.sock.fileno()
        if fd >= 0 and self._clients.get(fd) is client:
            self._poll.unregister(fd)
            del self._clients[fd]
        client.sock.close()

    def _close(self) -> None:
        for client in list(self._clients.values()):
            self._forget(client)
        for spare in self._spares.values():
            spare.sock.close()  # the spare reads the end and leaves
        self._spares.clear()
        self._listener.close()
        try:
            if os.stat(self.path).st_ino == self._inode:
                self.path.unlink()
        except OSError:
            pass
        signal.set_wakeup_fd(-1)
        os.close(self._wake_read)
        os.close(self._wake_write)
