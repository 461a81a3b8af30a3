"""`python -m bench.queue_bench [--claims 10000] [--runs 20]`: what opening the back office's claim
queue reads, on a demo database grown to `--claims` claims: the first page (`review.queue`,
as many rows as an 80x24 window shows, oldest first, with the counts per stage), the branches
and the claim types, as the officer's login reads them in its worker thread (`queue.read`).
Median and p95 of `--runs`; the target is 100 ms. The claims are copies of a demo claim with
their own reference and key."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlmodel import select
from textual.geometry import Size

from bench import data
from kidb_tui.backoffice.screens import queue
from kidb_tui.bootstrap import build_demo
from kidb_tui.models import Claim
from kidb_tui.services.runtime import Runtime

ROWS = queue.page_rows(Size(80, 24))


def grow(rt: Runtime, claims: int) -> int:
    """Copy the demo's first claim until there are `claims` claims; the number there is."""
    with rt.write() as session:
        model = session.exec(select(Claim)).first()
        assert model is not None, "the demo database has claims"
        fields = model.model_dump(exclude={"id", "reference", "idempotency_key"})
        have = len(session.exec(select(Claim.id)).all())
        session.add_all([Claim(**fields, reference=f"BENCH-{n:06d}", idempotency_key=f"bench-{n}")
                         for n in range(claims - have)])
    with rt.read() as session:
        return len(session.exec(select(Claim.id)).all())


def open_queue(rt: Runtime) -> float:
    started = time.perf_counter()
    queue.read(rt, queue.QueueRequest(limit=ROWS))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.queue_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        rt = build_demo(data.settings(f"sqlite:///{Path(folder) / 'queue.sqlite3'}"))
        count = grow(rt, args.claims)
        open_queue(rt)
        times = sorted(open_queue(rt) for _ in range(args.runs))
        rt.engine.dispose()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    print(f"queue first page of {ROWS} with {count:,} claims: median {statistics.median(times) * 1000:.1f} ms, "
          f"p95 {p95 * 1000:.1f} ms (target <= 100 ms)")


if __name__ == "__main__":
    main()
