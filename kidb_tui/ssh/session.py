"""One SSH session: the kiosk on a pseudo-terminal of its own, bridged to the SSH channel.

The server admits the session or refuses it with a message naming why (the session caps of
the hub), opens the pty at the client's window size (clamped to protocol.MAX_COLUMNS x
MAX_ROWS, as every later change is), turns its terminal signals off (ISIG) and has the hub's
launcher start the kiosk on it: forked by the session host, or a new process (`--no-host`,
spawn.py). Either way the kiosk leads a new session whose controlling terminal is the pty,
ignores SIGINT, SIGQUIT and SIGTSTP, and logs into a pipe that the server reads into its own
log (child_log.py). While the session host is (re)starting, the terminal is told so and the
session waits for it, for at most HOST_WAIT_SECONDS. When the client goes away the kiosk
gets SIGHUP (the app logs the participant out and exits); when the server stops, SIGTERM.
Whatever is still alive in its process group after GRACE_SECONDS is killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import signal
import struct
import subprocess
import termios
import time

import asyncssh

from kidb_tui.host.protocol import clamp_size
from kidb_tui.logs import escape
from kidb_tui.ssh.child_log import ChildLog
from kidb_tui.ssh.host_client import HostUnavailable
from kidb_tui.ssh.key_lines import Terminal
from kidb_tui.ssh.log_limits import BOUNDED

log = logging.getLogger("kidb.ssh")

GRACE_SECONDS = 4.0
HOST_WAIT_SECONDS = 30.0
HOST_RETRY_SECONDS = 0.25
READ_SIZE = 65536
INPUT_LIMIT = 65536
TERM_LOG_LIMIT = 64


def set_window_size(fd: int, columns: int, rows: int, xpixels: int = 0, ypixels: int = 0) -> None:
    size = struct.pack("HHHH", min(rows, 0xFFFF), min(columns, 0xFFFF), xpixels & 0xFFFF, ypixels & 0xFFFF)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, size)


def terminal_signals_off(fd: int) -> None:
    """Ctrl+C, Ctrl+\\ and Ctrl+Z on this terminal become plain input, never a signal (ISIG off)."""
    attrs = termios.tcgetattr(fd)
    attrs[3] &= ~termios.ISIG
    termios.tcsetattr(fd, termios.TCSANOW, attrs)


class KioskSession(asyncssh.SSHServerSession):
    """An interactive session with a PTY; exec requests and subsystems (SFTP) are refused.
    `hub` (server.py) admits it, starts its kiosk (`hub.launcher`) and translates messages."""

    def __init__(self, terminal: Terminal, hub) -> None:
        self.terminal = terminal
        self.admitted = False
        self.connected = True
        self._hub = hub
        self._chan: asyncssh.SSHServerChannel | None = None
        self._term: tuple[str, tuple[int, int, int, int]] | None = None
        self._started = False
        self._master = -1
        self._child = None
        self._pending = b""
        self._ending: tuple[int, str] | None = None
        self._kill_timer: asyncio.TimerHandle | None = None
        self.finished: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()

    def connection_made(self, chan: asyncssh.SSHServerChannel) -> None:
        self._chan = chan

    def pty_requested(self, term_type: str, term_size: tuple[int, int, int, int], term_modes) -> bool:
        self._term = (term_type, term_size)
        return True

    def shell_requested(self) -> bool:
        if self._term is None:
            log.info("refused shell without a PTY terminal=%s", escape(self.terminal.terminal_id))
            return False
        return True

    def exec_requested(self, command: str) -> bool:
        log.info("refused exec request terminal=%s", escape(self.terminal.terminal_id))
        return False

    def subsystem_requested(self, subsystem: str) -> bool:
        log.info("refused subsystem %s terminal=%s", escape(subsystem[:40]), escape(self.terminal.terminal_id))
        return False

    def session_started(self) -> None:
        self._started = True
        refusal = self._hub.admit(self)
        if refusal is not None:
            self._say(refusal)
            self._finish(None)
            return
        asyncio.get_running_loop().create_task(self._run())

    def _say(self, text: str) -> None:
        """A plain line on the client's terminal (before the kiosk runs, or instead of it)."""
        if self.connected and self._chan is not None:
            self._chan.write(f"\r\n{text}\r\n".encode())

    async def _start_child(self, term_type: str, columns: int, rows: int, slave: int, log_fd: int):
        """The kiosk started by the launcher. While the session host is (re)starting (not ready,
        or not answering because it has just died), the terminal is told so, once, and the
        session waits for it, at most HOST_WAIT_SECONDS; None if it never came or the client left."""
        launcher = self._hub.launcher
        deadline = time.monotonic() + HOST_WAIT_SECONDS
        told = False
        while self._ending is None:
            failed = False
            if launcher.ready:
                try:
                    return await launcher.start(self.terminal, term_type, columns, rows, slave, log_fd)
                except HostUnavailable as error:
                    failed = True
                    log.warning("session host did not answer terminal=%s (%s); waiting for it",
                                escape(self.terminal.terminal_id), escape(error))
            if time.monotonic() >= deadline:
                self._say(self._hub.message("serve.host_not_ready"))
                log.warning("session not started terminal=%s: the session host is not ready",
                            escape(self.terminal.terminal_id))
                return None
            if not told:
                self._say(self._hub.message("serve.host_starting"))
                told = True
            if failed:
                await asyncio.sleep(HOST_RETRY_SECONDS)
            else:
                await launcher.wait_ready(HOST_RETRY_SECONDS)
        return None

    async def _run(self) -> None:
        assert self._term is not None
        if self._ending is not None:
            self._finish(None)
            return
        term_type, (columns, rows, xpixels, ypixels) = self._term
        columns, rows = clamp_size(columns, rows)
        master, slave = os.openpty()
        self._master = master
        child_log: ChildLog | None = None
        try:
            child_log = ChildLog(self.terminal.terminal_id)
            set_window_size(master, columns, rows, xpixels, ypixels)
            terminal_signals_off(slave)
            os.set_blocking(master, False)
            self._child = await self._start_child(term_type, columns, rows, slave, child_log.write_fd)
        except (OSError, subprocess.SubprocessError) as error:
            log.error("session failed to start terminal=%s: %s", escape(self.terminal.terminal_id), escape(error))
            self._say(self._hub.message("serve.host_not_ready"))
        finally:
            os.close(slave)
        if self._child is None:
            if child_log is not None:
                child_log.close()
            self._close_master()
            self._finish(None)
            return
        pid, started = self._child.pid, time.monotonic()
        child_log.started(pid)
        log.info("session start terminal=%s branch=%s role=%s pid=%d term=%s size=%dx%d",
                 escape(self.terminal.terminal_id), escape(self.terminal.branch), self.terminal.role, pid,
                 escape(term_type[:TERM_LOG_LIMIT]), columns, rows, extra=BOUNDED)
        asyncio.get_running_loop().add_reader(master, self._read_child)
        if self._ending is not None:
            self._signal_child(self._ending[0])
        self._flush_input()
        status = await self._child.wait()
        self._sweep_group()
        self._drain_output()
        self._close_master()
        child_log.close()
        reason = self._ending[1] if self._ending else "exit"
        log.info("session end terminal=%s pid=%d status=%s reason=%s duration=%.1fs",
                 escape(self.terminal.terminal_id), pid, status, reason, time.monotonic() - started, extra=BOUNDED)
        self._finish(status)

    def _finish(self, status: int | None) -> None:
        if self._kill_timer is not None:
            self._kill_timer.cancel()
        if self.connected and self._chan is not None:
            self._chan.exit(1 if status is None else status if status >= 0 else 128 - status)
        if not self.finished.done():
            self.finished.set_result(status)

    def _read_child(self) -> None:
        try:
            data = os.read(self._master, READ_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            asyncio.get_running_loop().remove_reader(self._master)
        elif self.connected and self._chan is not None:
            self._chan.write(data)

    def _drain_output(self) -> None:
        """What the child wrote just before it ended still reaches the client."""
        while True:
            try:
                data = os.read(self._master, READ_SIZE)
            except OSError:
                return
            if not data:
                return
            if self.connected and self._chan is not None:
                self._chan.write(data)

    def _close_master(self) -> None:
        loop = asyncio.get_running_loop()
        loop.remove_reader(self._master)
        loop.remove_writer(self._master)
        os.close(self._master)
        self._master = -1

    def data_received(self, data: bytes, datatype) -> None:
        self._pending += data
        if len(self._pending) > INPUT_LIMIT and self._chan is not None:
            self._chan.pause_reading()
        self._flush_input()

    def _flush_input(self) -> None:
        """Keystrokes to the child; what the pty cannot take yet waits (the channel pauses past a limit)."""
        if self._master < 0 or self._child is None:
            return
        loop = asyncio.get_running_loop()
        try:
            while self._pending:
                self._pending = self._pending[os.write(self._master, self._pending):]
        except BlockingIOError:
            loop.add_writer(self._master, self._flush_input)
            return
        except OSError:
            self._pending = b""
        loop.remove_writer(self._master)
        if self.connected and self._chan is not None:
            self._chan.resume_reading()

    def terminal_size_changed(self, width: int, height: int, pixwidth: int, pixheight: int) -> None:
        if self._master >= 0 and width and height:
            set_window_size(self._master, *clamp_size(width, height), pixwidth, pixheight)

    def pause_writing(self) -> None:
        if self._master >= 0:
            asyncio.get_running_loop().remove_reader(self._master)

    def resume_writing(self) -> None:
        if self._master >= 0:
            asyncio.get_running_loop().add_reader(self._master, self._read_child)

    def connection_lost(self, exc: Exception | None) -> None:
        """The client went away: hang the kiosk up; its output is read and dropped until it ends."""
        self.connected = False
        self._pending = b""
        self.resume_writing()
        self.end(signal.SIGHUP, "disconnect")

    def end(self, signum: int = signal.SIGTERM, reason: str = "shutdown") -> None:
        """Signal the kiosk to end (SIGHUP: client gone, SIGTERM: server stopping); SIGKILL for
        whatever is left of its process group after the grace period."""
        if self._ending is None:
            self._ending = (signum, reason)
        if self._child is not None:
            self._signal_child(signum)
        elif not self._started:
            self._finish(None)

    def _signal_child(self, signum: int) -> None:
        assert self._child is not None
        if self._child.ended:
            return
        self._killpg(signum)
        if self._kill_timer is None:
            self._kill_timer = asyncio.get_running_loop().call_later(GRACE_SECONDS, self._sweep_group)

    def _sweep_group(self) -> None:
        """SIGKILL whatever is left of the child's process group."""
        self._killpg(signal.SIGKILL)

    def _killpg(self, signum: int) -> None:
        assert self._child is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._child.pid, signum)
