"""One SSH session: the kiosk in a child process on a pseudo-terminal of its own, bridged to
the SSH channel.

The child (`python -I -m kidb_tui --kiosk`, or `backoffice` for a back-office terminal) leads
a new session whose controlling terminal is the pty, so the kernel signals SIGWINCH to it
when the window size is set. It gets a clean environment: the server's KIDB_* settings, the
terminal id and branch of the key that logged in, the client's TERM and the server's
database URL. When the client goes away the child gets SIGHUP (the app logs the participant
out and exits); when the server stops, SIGTERM. Whatever is still alive in its process group
after GRACE_SECONDS is killed.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import re
import signal
import struct
import subprocess
import sys
import termios
import time

import asyncssh

from kidb_tui.config import user_data_dir
from kidb_tui.ssh.keys import Terminal

log = logging.getLogger("kidb.ssh")

GRACE_SECONDS = 4.0
READ_SIZE = 65536
INPUT_LIMIT = 65536
_TERM = re.compile(r"[A-Za-z0-9._+-]{1,64}")


def child_command(terminal: Terminal, language: str | None) -> list[str]:
    argv = [sys.executable, "-I", "-m", "kidb_tui"]
    if language:
        argv += ["--language", language]
    return argv + (["backoffice"] if terminal.role == "backoffice" else ["--kiosk"])


def child_environment(terminal: Terminal, term: str, extra: dict[str, str]) -> dict[str, str]:
    """A clean environment: this process's KIDB_* settings, the terminal of the key, a sane TERM."""
    env = {name: value for name, value in os.environ.items() if name.startswith("KIDB_")}
    env.update(
        PATH=os.defpath,
        LANG="C.UTF-8",
        TERM=term if _TERM.fullmatch(term) else "xterm",
        KIDB_TERMINAL_ID=terminal.terminal_id,
        KIDB_BRANCH=terminal.branch,
        **extra,
    )
    return env


def set_window_size(fd: int, columns: int, rows: int, xpixels: int = 0, ypixels: int = 0) -> None:
    size = struct.pack("HHHH", min(rows, 0xFFFF), min(columns, 0xFFFF), xpixels & 0xFFFF, ypixels & 0xFFFF)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, size)


def _take_controlling_terminal() -> None:
    """Runs in the child after setsid(): its stdin (the pty) becomes its controlling terminal."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class KioskSession(asyncssh.SSHServerSession):
    """An interactive session with a PTY; exec requests and subsystems (SFTP) are refused."""

    def __init__(self, terminal: Terminal, database_url: str, language: str | None) -> None:
        self.terminal = terminal
        self._database_url = database_url
        self._language = language
        self._chan: asyncssh.SSHServerChannel | None = None
        self._term: tuple[str, tuple[int, int, int, int]] | None = None
        self._started = False
        self._connected = True
        self._master = -1
        self._process: asyncio.subprocess.Process | None = None
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
            log.info("refused shell without a PTY terminal=%s", self.terminal.terminal_id)
            return False
        return True

    def exec_requested(self, command: str) -> bool:
        log.info("refused exec request terminal=%s", self.terminal.terminal_id)
        return False

    def subsystem_requested(self, subsystem: str) -> bool:
        log.info("refused subsystem %r terminal=%s", subsystem[:40], self.terminal.terminal_id)
        return False

    def session_started(self) -> None:
        self._started = True
        asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        assert self._term is not None
        if self._ending is not None:
            self._finish(None)
            return
        term_type, (columns, rows, xpixels, ypixels) = self._term
        columns, rows = columns or 80, rows or 24
        master, slave = os.openpty()
        self._master = master
        try:
            set_window_size(master, columns, rows, xpixels, ypixels)
            os.set_blocking(master, False)
            self._process = await asyncio.create_subprocess_exec(
                *child_command(self.terminal, self._language),
                stdin=slave, stdout=slave, stderr=slave,
                env=child_environment(self.terminal, term_type, {
                    "KIDB_DATABASE_URL": self._database_url, "KIDB_DATA_DIR": str(user_data_dir()),
                }),
                start_new_session=True, preexec_fn=_take_controlling_terminal,
            )
        except (OSError, subprocess.SubprocessError) as error:
            log.error("session failed to start terminal=%s: %s", self.terminal.terminal_id, error)
            self._close_master()
            self._finish(None)
            return
        finally:
            os.close(slave)
        pid, started = self._process.pid, time.monotonic()
        log.info("session start terminal=%s branch=%s role=%s pid=%d term=%s size=%dx%d",
                 self.terminal.terminal_id, self.terminal.branch, self.terminal.role, pid, term_type, columns, rows)
        asyncio.get_running_loop().add_reader(master, self._read_child)
        if self._ending is not None:
            self._signal_child(self._ending[0])
        self._flush_input()
        status = await self._process.wait()
        self._sweep_group()
        self._drain_output()
        self._close_master()
        reason = self._ending[1] if self._ending else "exit"
        log.info("session end terminal=%s pid=%d status=%s reason=%s duration=%.1fs",
                 self.terminal.terminal_id, pid, status, reason, time.monotonic() - started)
        self._finish(status)

    def _finish(self, status: int | None) -> None:
        if self._kill_timer is not None:
            self._kill_timer.cancel()
        if self._connected and self._chan is not None:
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
        elif self._connected and self._chan is not None:
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
            if self._connected and self._chan is not None:
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
        if self._master < 0 or self._process is None:
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
        if self._connected and self._chan is not None:
            self._chan.resume_reading()

    def terminal_size_changed(self, width: int, height: int, pixwidth: int, pixheight: int) -> None:
        if self._master >= 0 and width and height:
            set_window_size(self._master, width, height, pixwidth, pixheight)

    def pause_writing(self) -> None:
        if self._master >= 0:
            asyncio.get_running_loop().remove_reader(self._master)

    def resume_writing(self) -> None:
        if self._master >= 0:
            asyncio.get_running_loop().add_reader(self._master, self._read_child)

    def connection_lost(self, exc: Exception | None) -> None:
        """The client went away: hang the kiosk up; its output is read and dropped until it ends."""
        self._connected = False
        self._pending = b""
        self.resume_writing()
        self.end(signal.SIGHUP, "disconnect")

    def end(self, signum: int = signal.SIGTERM, reason: str = "shutdown") -> None:
        """Signal the kiosk to end (SIGHUP: client gone, SIGTERM: server stopping); SIGKILL for
        whatever is left of its process group after the grace period."""
        if self._ending is None:
            self._ending = (signum, reason)
        if self._process is not None:
            self._signal_child(signum)
        elif not self._started:
            self._finish(None)

    def _signal_child(self, signum: int) -> None:
        assert self._process is not None
        if self._process.returncode is not None:
            return
        self._killpg(signum)
        if self._kill_timer is None:
            self._kill_timer = asyncio.get_running_loop().call_later(GRACE_SECONDS, self._sweep_group)

    def _sweep_group(self) -> None:
        """SIGKILL whatever is left of the child's process group."""
        self._killpg(signal.SIGKILL)

    def _killpg(self, signum: int) -> None:
        assert self._process is not None
        try:
            os.killpg(self._process.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass
