"""Bytes written to the terminal for the whole claim flow at 80x24: `python -m kidb_tui` in a real
pty, driven with keys written to the master side (log in, "1", the first claim type, the form
typed key by key, F5, F5, PIN, Enter) until the receipt is on the screen. Every byte read from
the master side counts: this is what an SSH link carries, before SSH's own compression.

The count includes the Input cursor blinking while the benchmark waits for each screen; the idle
rate (bytes per second of a screen that only blinks) is measured by bench/startup.py, and the
flow's duration is reported so the two can be set against each other.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench import data
from bench.pty_term import KEYS, PtyProgram
from bench.startup import ROOT, login_markers
from kidb_tui.i18n import Translator
from tests.crash import population

FORM_DOCUMENTS = len(population.DOCUMENTS["biaya_medis"])


@dataclass(frozen=True)
class FlowBytes:
    total: int
    seconds: float
    per_screen: dict[str, int]
    typed_keys: int
    """Keys sent while typing the form (a character of text or one named key each)."""

    @property
    def bytes_per_typed_key(self) -> float:
        return self.per_screen["typing the form"] / self.typed_keys


def measure(folder: Path) -> FlowBytes:
    url = f"sqlite:///{folder / 'flow.sqlite3'}"
    data.populate(url, 1).engine.dispose()
    t = Translator("id")
    program = PtyProgram([sys.executable, "-m", "kidb_tui", "--database", url],
                         data.kiosk_environment(folder / "data"), cwd=str(ROOT))
    per_screen: dict[str, int] = {}

    def reach(name: str, title_key: str) -> None:
        before = program.received
        program.wait_for(f"KIDB · {t.t(title_key)}")
        program.settle()
        per_screen[name] = program.received - before

    try:
        for marker in login_markers():
            program.wait_for(marker)
        program.settle()
        per_screen["login"] = program.received
        started = time.perf_counter()
        program.write(population.nib(1), "enter")
        program.settle()
        program.write(population.PIN, "enter")
        reach("menu", "menu.title")
        program.write("1")
        reach("claim type", "claim.type_title")
        program.write("enter")
        reach("requirements", "claim.req_title")
        program.write("enter")
        reach("form", "claim.form_title")
        before = program.received
        typed = 0
        for keys in (("5000000", "enter"), ("enter",), ("down",), ("enter",), (population.ACCOUNT_NUMBER, "enter"),
                     (population.full_name(1), "enter"), ("Biaya rawat inap", "enter")):
            program.write(*keys)
            typed += _key_count(keys)
            program.settle()
        for box in range(FORM_DOCUMENTS):
            keys = ("space", *(["tab"] if box < FORM_DOCUMENTS - 1 else []))
            program.write(*keys)
            typed += _key_count(keys)
            program.settle()
        per_screen["typing the form"] = program.received - before
        program.write("f5")
        reach("personal data", "claim.personal_title")
        program.write("f5")
        reach("confirm", "claim.confirm_title")
        program.write(population.PIN, "enter")
        reach("receipt", "claim.receipt_title")
        seconds = time.perf_counter() - started
    finally:
        program.close()
    return FlowBytes(program.received, seconds, per_screen, typed)


def _key_count(keys: tuple[str, ...]) -> int:
    return sum(1 if key in KEYS else len(key) for key in keys)
