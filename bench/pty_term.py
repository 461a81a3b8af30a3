"""A program run in a real pseudo-terminal of 80x24: keys written to the master side, every byte
the program writes counted and fed to a pyte screen so the benchmark can wait for text."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import termios
import time

import pyte

COLUMNS, LINES = 80, 24
KEYS = {"enter": "\r", "tab": "\t", "down": "\x1b[B", "space": " ", "f5": "\x1b[15~"}


class PtyProgram:
    """`command` in its own session on a new pty; `received` counts the bytes it has written."""

    def __init__(self, command: list[str], env: dict[str, str], cwd: str | None = None) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            command, stdin=slave, stdout=slave, stderr=slave, env={**env, "TERM": "xterm-256color"},
            cwd=cwd, start_new_session=True, close_fds=True,
        )
        os.close(slave)
        self.master = master
        self.received = 0
        self.screen = pyte.Screen(COLUMNS, LINES)
        self.stream = pyte.ByteStream(self.screen)

    def _read(self, timeout: float) -> bool:
        """Read what is available within `timeout`; False when nothing came."""
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:
            return False
        self.received += len(data)
        self.stream.feed(data)
        return bool(data)

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def wait_for(self, needle: str, timeout: float = 60.0) -> float:
        """Read until `needle` is on the screen; the seconds since the program was started."""
        deadline = time.monotonic() + timeout
        while needle not in self.text():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{needle!r} not on the screen:\n{self.text()}")
            if self.process.poll() is not None and not self._read(0.05):
                raise RuntimeError(f"the program ended with {self.process.returncode}:\n{self.text()}")
            self._read(0.05)
        return time.perf_counter() - self.started

    def settle(self, quiet: float = 0.15) -> None:
        """Read until the program has written nothing for `quiet` seconds."""
        while self._read(quiet):
            pass

    def write(self, *keys: str) -> None:
        """Send keys: names from KEYS, or literal text."""
        os.write(self.master, "".join(KEYS.get(key, key) for key in keys).encode())

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        os.close(self.master)
