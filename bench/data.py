"""Benchmark databases: the synthetic participants of tests/crash/population.py with kiosk
accounts, on SQLite files or PostgreSQL databases, and the settings every benchmark shares.

Hashes are made with the fast argon2 parameters below so that the figures which exclude argon2
really do; the configured (OWASP) parameters are measured on their own in bench/login_time.py.
"""

from __future__ import annotations

import os
from pathlib import Path

from kidb_tui.bootstrap import prepare
from kidb_tui.config import Argon2Params, Settings
from kidb_tui.services import participants
from kidb_tui.services.runtime import Runtime
from tests.crash import population

PEPPER = "bench-pepper-0123456789abcdef-0123456789"
AUDIT_KEY = "bench-audit-key-0123456789abcdef-0123"
FAST_ARGON2 = Argon2Params(memory_kib=1024, time_cost=1, parallelism=1)
BALANCE = 90_000_000


def settings(database_url: str, argon2: Argon2Params = FAST_ARGON2) -> Settings:
    return Settings(
        database_url=database_url, pepper=PEPPER.encode(), audit_key=AUDIT_KEY.encode(), argon2=argon2,
        failure_delay_base=0.0, failure_delay_max=0.0,
    )


def kiosk_environment(data_dir: Path) -> dict[str, str]:
    """Environment for `python -m kidb_tui` with the same pepper, audit key and argon2 parameters."""
    return {
        **os.environ, "KIDB_PEPPER": PEPPER, "KIDB_AUDIT_KEY": AUDIT_KEY, "KIDB_DATA_DIR": str(data_dir),
        "KIDB_FAILURE_DELAY": "0",
        "KIDB_ARGON2_MEMORY_KIB": str(FAST_ARGON2.memory_kib), "KIDB_ARGON2_TIME_COST": str(FAST_ARGON2.time_cost),
        "KIDB_ARGON2_PARALLELISM": str(FAST_ARGON2.parallelism),
    }


def populate(database_url: str, count: int, argon2: Argon2Params = FAST_ARGON2) -> Runtime:
    """A migrated database with participants 1..count, each with a kiosk account (PIN population.PIN
    hashed with `argon2`)."""
    rt = prepare(settings(database_url, argon2))
    rows = [population.row(n, BALANCE) for n in range(1, count + 1)]
    report = participants.import_text(rt, population.csv_text(rows), actor="bench")
    if not report.ok:
        raise RuntimeError("; ".join(str(error) for error in report.errors))
    for n in range(1, count + 1):
        population.activate(rt, n)
    return rt
