"""Faults seen through a real terminal: the kiosk runs on a pseudo-terminal and everything it
writes is kept. An unexpected error while a secret is being checked, and a database locked by
another writer, must leave neither the pepper, nor the typed secret, nor a traceback on it."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import sqlite3
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pyte
import pytest

from tests.conftest import SITI

PEPPER = "PEPPER-SENTINEL-0123456789-abcdefghij"
TYPED_SECRET = "Rahasia-Sentinel-77"
DEADLINE = 60.0

_DRIVER = """
import sys
from kidb_tui import db
from kidb_tui.app import KidbApp
from kidb_tui.cli import main
from kidb_tui.services.hashing import SecretHasher

db.SQLITE_BUSY_TIMEOUT_MS = 100

def exploding_verify(self, *args):
    pepper, typed = self._pepper.get_secret_value(), args[-1]
    raise RuntimeError("verify exploded")

def run_with_a_fault(app, run=KidbApp.run):
    if sys.argv[1] == "explode":
        SecretHasher.verify = SecretHasher.verify_dummy = exploding_verify
    return run(app)

KidbApp.run = run_with_a_fault
sys.exit(main(["demo"]))
"""


class PtyKiosk:
    """The kiosk as a person at a terminal sees it: a pyte screen fed by a real PTY."""

    def __init__(self, data_dir: Path, mode: str) -> None:

        self.screen = pyte.Screen(80, 24)
        self.stream = pyte.ByteStream(self.screen)
        self.raw = bytearray()
        master, slave = pty.openpty()
        env = {
            "PATH": os.defpath, "HOME": str(data_dir), "TERM": "xterm-256color", "LANG": "C.UTF-8",
            "KIDB_DATA_DIR": str(data_dir), "KIDB_PEPPER": PEPPER, "KIDB_AUDIT_KEY": "audit-key-for-the-pty-test-0123456789",
            "KIDB_ARGON2_MEMORY_KIB": "1024", "KIDB_ARGON2_TIME_COST": "1", "KIDB_FAILURE_DELAY": "0",
            "COLUMNS": "80", "LINES": "24",
        }
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.process = subprocess.Popen(
            [sys.executable, "-c", _DRIVER, mode], stdin=slave, stdout=slave, stderr=slave,
            env=env, start_new_session=True, cwd=Path(__file__).resolve().parents[2],
        )
        os.close(slave)
        self.master = master

    def pump(self, seconds: float = 0.05) -> None:
        ready, _, _ = select.select([self.master], [], [], seconds)
        if ready:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            self.raw += data
            self.stream.feed(data)

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def wait_for(self, needle: str) -> None:
        end = time.monotonic() + DEADLINE
        while needle not in self.text():
            if time.monotonic() > end:
                raise AssertionError(f"{needle!r} never appeared; the screen shows:\n{self.text()}")
            self.pump()

    def wait_for_cursor_on(self, label: str) -> None:
        """Until the cursor stands on the line of the field labelled `label` (focus has moved)."""
        end = time.monotonic() + DEADLINE
        while label not in self.screen.display[self.screen.cursor.y]:
            if time.monotonic() > end:
                raise AssertionError(f"the cursor never reached {label!r}:\n{self.text()}")
            self.pump()

    def log_in(self, nib: str, secret: str) -> None:
        """NIB, Enter, then the secret once focus has reached its field, as a person would type
        (keys written in one burst: tests/faults/test_type_ahead_in_terminal.py)."""
        self.wait_for("NIB (nomor peserta)")
        self.send(nib)
        self.wait_for(nib)
        self.send("\r")
        self.wait_for_cursor_on("PIN / kata sandi")
        self.send(secret)
        self.wait_for("•" * len(secret))
        self.send("\r")

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def finish(self) -> int:
        end = time.monotonic() + DEADLINE
        while self.process.poll() is None and time.monotonic() < end:
            self.pump()
        for _ in range(20):
            self.pump(0.01)
        return self.process.wait(timeout=DEADLINE)


@pytest.fixture
def data_dir(tmp_path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    return folder


@pytest.fixture
def start_kiosk(data_dir):
    """`start_kiosk(mode)`; whatever a failed test leaves running is killed afterwards."""
    started: list[PtyKiosk] = []

    def start(mode: str) -> PtyKiosk:
        started.append(PtyKiosk(data_dir, mode))
        return started[-1]

    yield start
    for kiosk in started:
        if kiosk.process.poll() is None:
            os.killpg(kiosk.process.pid, signal.SIGKILL)
            kiosk.process.wait()


def _assert_nothing_secret(raw: bytes) -> None:
    assert PEPPER.encode() not in raw
    assert TYPED_SECRET.encode() not in raw
    assert b"Traceback" not in raw
    assert b"RuntimeError" not in raw and b"OperationalError" not in raw


def test_unexpected_error_while_checking_a_secret_shows_no_secret_and_no_traceback(data_dir, start_kiosk):
    kiosk = start_kiosk("explode")
    kiosk.log_in(SITI.nib, TYPED_SECRET)
    kiosk.wait_for("Maaf, terjadi kesalahan")
    kiosk.send("\r")
    kiosk.wait_for("NIB")
    kiosk.send("\x11")
    status = kiosk.finish()
    _assert_nothing_secret(bytes(kiosk.raw))
    assert status == 0
    log = (data_dir / "kidb.log").read_text()
    assert "event=session_error error=RuntimeError" in log and "Traceback" in log and "verify exploded" in log
    assert PEPPER not in log and TYPED_SECRET not in log


def test_locked_database_at_login_is_a_message_then_login_works(data_dir, start_kiosk):
    kiosk = start_kiosk("busy")
    kiosk.wait_for("NIB")
    holder = sqlite3.connect(data_dir / "demo.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        kiosk.log_in(SITI.nib, SITI.secret)
        kiosk.wait_for("Sistem sedang sibuk")
    finally:
        holder.rollback()
        holder.close()
    kiosk.send("\r")
    kiosk.wait_for("Siti Rahayu")
    kiosk.send("\x11")
    kiosk.finish()
    _assert_nothing_secret(bytes(kiosk.raw))
    assert SITI.secret.encode() not in kiosk.raw
