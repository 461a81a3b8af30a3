"""Where a claim's and a login's client time goes: cProfile over `submit_claim` and `auth.login`
on one process (argon2 excluded, as in bench/throughput.py), the top functions by own time and
the CPU per operation. Not part of `python -m bench`; run on its own:

    python -m bench.profile_claims [sqlite|URL] [--top N]

SQLite runs with `synchronous=OFF` so that only CPU counts, not the disk's fsync.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

from bench import data, throughput
from kidb_tui.services import auth
from kidb_tui.services.runtime import Runtime
from tests.crash import population

PARTICIPANTS = 40


def _runtime(url: str) -> Runtime:
    rt = Runtime.create(throughput.settings(url, 0))
    if rt.engine.dialect.name == "sqlite":
        @event.listens_for(rt.engine, "connect")
        def _no_fsync(dbapi_connection, _record) -> None:
            dbapi_connection.execute("PRAGMA synchronous = OFF")
    return rt


def _profiled(name: str, work, count: int, top: int) -> None:
    profile = cProfile.Profile()
    cpu, wall = time.process_time(), time.perf_counter()
    profile.enable()
    work()
    profile.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"## {name}: {count} in {wall:.2f} s wall, {cpu / count * 1000:.2f} ms CPU each (under cProfile)")
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(top)
    print(out.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_claims", description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default="sqlite")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="kidb-profile-"))
    try:
        url = f"sqlite:///{folder / 'profile.sqlite3'}" if args.url == "sqlite" else args.url
        data.populate(url, PARTICIPANTS + 1, throughput.NO_ARGON2).engine.dispose()
        rt = _runtime(url)
        warm_up, *people = throughput._people(rt, list(range(1, PARTICIPANTS + 2)))
        throughput._claims(rt, [warm_up])
        auth.login(rt, warm_up[0].nib, population.PIN)
        plain = time.process_time()
        done = throughput._claims(rt, people[: PARTICIPANTS // 2])
        print(f"claims without the profiler: {(time.process_time() - plain) / done * 1000:.2f} ms CPU each")
        rest = people[PARTICIPANTS // 2:]
        _profiled("submit_claim", lambda: throughput._claims(rt, rest), len(rest) * len(throughput.TYPES), args.top)
        plain = time.process_time()
        for identity, _contact in people:
            auth.login(rt, identity.nib, population.PIN)
        print(f"logins without the profiler: {(time.process_time() - plain) / len(people) * 1000:.2f} ms CPU each")
        _profiled("auth.login", lambda: [auth.login(rt, i.nib, population.PIN) for i, _ in people],
                  len(people), args.top)
        rt.engine.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
