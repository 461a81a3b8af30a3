"""Cold start: from spawning the process to its first screen drawn in a real 80x24 pty, for
`python -m kidb_tui --database URL` (login screen: title and key bar on the screen) against
`python -m bench.bare_app` (a Textual app with one Input: its placeholder on the screen).

Each run is a new interpreter; the two programs alternate so that load on the machine hits both
alike. The same pty run gives the bytes of the first screen and the bytes written per second
by an idle screen whose Input cursor blinks.
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench import data
from bench.bare_app import PLACEHOLDER
from bench.pty_term import PtyProgram
from kidb_tui.i18n import Translator

ROOT = Path(__file__).resolve().parent.parent
IDLE_SECONDS = 3.0


@dataclass(frozen=True)
class StartupResult:
    kidb: list[float]
    bare: list[float]
    kidb_first_screen_bytes: int
    bare_first_screen_bytes: int
    idle_bytes_per_second: float

    @property
    def ratio(self) -> float:
        return statistics.median(self.kidb) / statistics.median(self.bare)


def login_markers() -> tuple[str, str]:
    t = Translator("id")
    return f"KIDB · {t.t('login.title')}", f"F1 {t.t('key.help')}"


def _first_screen(command: list[str], env: dict[str, str], markers: tuple[str, ...]) -> tuple[float, int, PtyProgram]:
    program = PtyProgram(command, env, cwd=str(ROOT))
    elapsed = max(program.wait_for(marker) for marker in markers)
    program.settle()
    return elapsed, program.received, program


def measure(folder: Path, runs: int) -> StartupResult:
    url = f"sqlite:///{folder / 'startup.sqlite3'}"
    data.populate(url, 1).engine.dispose()
    kidb_command = [sys.executable, "-m", "kidb_tui", "--database", url]
    bare_command = [sys.executable, "-m", "bench.bare_app"]
    env = data.kiosk_environment(folder / "data")
    kidb, bare = [], []
    kidb_bytes = bare_bytes = 0
    idle_rate = 0.0
    for run in range(runs + 1):
        elapsed, bare_bytes, program = _first_screen(bare_command, env, (PLACEHOLDER,))
        program.close()
        if run:
            bare.append(elapsed)
        elapsed, kidb_bytes, program = _first_screen(kidb_command, env, login_markers())
        if run == runs:
            before, started = program.received, time.perf_counter()
            time.sleep(IDLE_SECONDS)
            program.settle(0.05)
            idle_rate = (program.received - before) / (time.perf_counter() - started)
        program.close()
        if run:
            kidb.append(elapsed)
    return StartupResult(kidb, bare, kidb_bytes, bare_bytes, idle_rate)
