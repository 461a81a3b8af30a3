"""`python -m bench.import_bench [--rows 100000] [--runs 1]`: `kidb participants import` at real
size. A CSV of N synthetic participants (tests/crash/population.py) goes into a fresh SQLite
database (every row new), then again (every row an update). For each: the whole import, the
validation (no lock held), the write transaction (the lock every kiosk waits behind), the CPU
time of this process and of the validation workers; meanwhile another process plays a kiosk,
writing one small transaction every 20 ms, and reports its slowest write. Targets (issue 12):
the whole import <= 10 s and the write lock <= 2 s for 100,000 rows. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from bench.data import settings
from kidb_tui.bootstrap import prepare
from kidb_tui.services import participants
from tests.crash import population

TOTAL_TARGET = 10.0
LOCK_TARGET = 2.0
KIOSK = textwrap.dedent("""
    import sqlite3, sys, threading, time
    connection = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
    stop, slowest, writes = threading.Event(), 0.0, 0
    threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()
    print("ready", flush=True)
    while not stop.is_set():
        started = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("UPDATE login_throttle SET failures = failures WHERE key = 'bench'")
        connection.execute("COMMIT")
        slowest, writes = max(slowest, time.perf_counter() - started), writes + 1
        time.sleep(0.02)
    print(f"{slowest:.3f} {writes}", flush=True)
""")


def _import(rt, path: Path) -> dict[str, float]:
    marks: dict[str, float] = {}

    def progress(phase: str, done: int, total: int) -> None:
        marks.setdefault(phase, time.perf_counter())

    kiosk = subprocess.Popen([sys.executable, "-c", KIOSK, rt.engine.url.database], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    assert kiosk.stdout.readline().strip() == "ready"
    cpu, children = time.process_time(), os.times()
    started = time.perf_counter()
    report = participants.import_file(rt, path, actor="bench", progress=progress)
    total = time.perf_counter() - started
    after = os.times()
    slowest, writes = kiosk.communicate("stop\n", timeout=60)[0].split()
    if not report.ok:
        raise RuntimeError("; ".join(str(error) for error in report.errors[:5]))
    return {
        "total": total, "validate": marks["store"] - started, "lock": report.lock_seconds,
        "cpu": time.process_time() - cpu,
        "workers_cpu": after.children_user + after.children_system - children.children_user - children.children_system,
        "kiosk_slowest": float(slowest), "kiosk_writes": float(writes),
        "created": report.created, "updated": report.updated,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.import_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1, help="fresh databases to import into, one after another")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="kidb-import-bench-"))
    path = folder / "participants.csv"
    path.write_text(population.csv_text([population.row(n) for n in range(1, args.rows + 1)]), encoding="utf-8")
    print(f"{args.rows} rows, {path.stat().st_size / 1e6:.1f} MB; {os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{value:.2f}' for value in os.getloadavg())}; validation workers from "
          f"{participants.PARALLEL_FROM} rows")
    for run in range(1, args.runs + 1):
        rt = prepare(settings(f"sqlite:///{folder / f'kidb-{run}.sqlite3'}"))
        for kind in ("new", "update"):
            figures = _import(rt, path)
            verdict = "met" if figures["total"] <= TOTAL_TARGET and figures["lock"] <= LOCK_TARGET else "NOT met"
            print(f"run {run} {kind:6}: total {figures['total']:.2f} s (target {TOTAL_TARGET:.0f}), validation "
                  f"{figures['validate']:.2f} s, write lock {figures['lock']:.2f} s (target {LOCK_TARGET:.0f}), "
                  f"CPU {figures['cpu']:.2f} s + workers {figures['workers_cpu']:.2f} s; a kiosk writing every "
                  f"20 ms waited at most {figures['kiosk_slowest']:.2f} s ({figures['kiosk_writes']:.0f} writes) "
                  f"-> {verdict}", flush=True)
        rt.engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
