"""Login verification at the configured argon2 parameters (the defaults of kidb_tui.config,
OWASP's m=19 MiB, t=2, p=1): `auth.login` for a participant with an account hashed at those
parameters (the whole service call: NIB check, reads, pepper + argon2id verify, audit write),
against argon2-cffi's bare `PasswordHasher.verify` with the same parameters as the baseline.
The hash that activation and PIN changes pay is reported too.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher, Type

from bench import data
from kidb_tui.bootstrap import prepare
from kidb_tui.config import Argon2Params
from kidb_tui.services import auth, participants
from tests.crash import population


@dataclass(frozen=True)
class LoginTimes:
    params: Argon2Params
    login: list[float]
    verify: list[float]
    hash: list[float]


def _timed(call, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def measure(folder: Path, runs: int) -> LoginTimes:
    params = Argon2Params()
    settings = data.settings(f"sqlite:///{folder / 'login.sqlite3'}").with_(argon2=params)
    rt = prepare(settings)
    try:
        assert participants.import_text(rt, population.csv_text([population.row(1)])).ok
        population.activate(rt, 1)

        def log_in() -> None:
            assert auth.login(rt, population.nib(1), population.PIN).ok

        login = _timed(log_in, runs)
        hashing = _timed(lambda: rt.hasher.hash(population.PIN), runs)
    finally:
        rt.engine.dispose()
    bare = PasswordHasher(time_cost=params.time_cost, memory_cost=params.memory_kib,
                          parallelism=params.parallelism, type=Type.ID)
    stored = bare.hash(population.PIN)
    verify = _timed(lambda: bare.verify(stored, population.PIN), runs)
    return LoginTimes(params, login, verify, hashing)


def median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000
