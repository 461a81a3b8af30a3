"""`python -m bench`: the kiosk's performance figures, each next to its baseline measured in the
same run, printed and written to bench/RESULTS.md with the machine described.

    python -m bench [--quick] [--output bench/RESULTS.md]
    python -m bench --throughput-only        (appends a dated throughput section)
    python -m bench --throughput-only --durable-only   (the same without PostgreSQL at fsync off)

Figures: cold start to the login screen against a bare Textual app (bench/startup.py); screen
transitions of the claim flow against a bare screen push (bench/transitions.py); the back
office's queue with 10,000 claims opened, paged, filtered and read again (bench/queue_screen.py);
bytes written to an 80x24 terminal for the whole claim flow (bench/flow_bytes.py); claims per second through
the service layer against the raw driver, and logins per second, 1 and 4 processes, SQLite and
PostgreSQL (bench/throughput.py); login verification at the configured argon2 parameters
(bench/login_time.py). PostgreSQL runs on a throwaway cluster (tests/pg_cluster.py, fsync on)
and is skipped with a note when its server binaries are missing. Nothing here is a test: no figure
fails anything, each is reported against its target.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, text

from bench import flow_bytes, login_time, machine, queue_screen, startup, throughput, transitions

START_TARGET = 1.5
TRANSITION_TARGET_MS = 50.0
QUEUE_TARGET_MS = 100.0
HERE = Path(__file__).resolve().parent


class Report:
    """Lines printed as they come and kept for RESULTS.md."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, line: str = "") -> None:
        print(line, flush=True)
        self.lines.append(line)


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _start_postgres(report: Report, durable: bool = True):
    """A throwaway cluster; `durable`: fsync on, as in production (off: the CPU-bound case)."""
    from tests.pg_cluster import PgCluster

    try:
        cluster = PgCluster(durable=durable)
    except KeyError:
        report.add("PostgreSQL: skipped (running as root and there is no `postgres` user to run the server)")
        return None
    if not (cluster.initdb and cluster.pg_ctl):
        shutil.rmtree(cluster.root, ignore_errors=True)
        report.add("PostgreSQL: skipped (server binaries initdb/pg_ctl not found)")
        return None
    cluster.start()
    return cluster


def _pg_database(cluster, name: str) -> str:
    admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
            server = connection.execute(text("SHOW server_version")).scalar_one()
    finally:
        admin.dispose()
    return cluster.url(name), server


def cold_start(report: Report, folder: Path, runs: int) -> startup.StartupResult:
    result = startup.measure(folder, runs)
    kidb, bare = statistics.median(result.kidb), statistics.median(result.bare)
    report.add(f"## Cold start to the first screen drawn (80x24 pty, median of {runs} runs)")
    report.add()
    report.add("| program | median | min | max |")
    report.add("|---|---|---|---|")
    report.add(f"| `kidb` (login screen) | {kidb:.3f} s | {min(result.kidb):.3f} s | {max(result.kidb):.3f} s |")
    report.add(f"| baseline: bare Textual app, one Input | {bare:.3f} s | {min(result.bare):.3f} s | {max(result.bare):.3f} s |")
    report.add()
    report.add(f"Ratio {result.ratio:.2f}x; target <= {START_TARGET}x: **{verdict(result.ratio <= START_TARGET)}**.")
    report.add()
    return result


def screen_transitions(report: Report, folder: Path, iterations: int) -> transitions.Summary:
    """The transitions' table; returns the bare push (the queue's table shows it too)."""
    result = transitions.measure(f"sqlite:///{folder / 'transitions.sqlite3'}", iterations)
    report.add(f"## Screen transitions of the claim flow (pilot, 80x24, {iterations} flows, argon2 excluded)")
    report.add()
    report.add("| transition | median | p95 | p95 <= 50 ms |")
    report.add("|---|---|---|---|")
    for name, summary in result.items():
        mark = "baseline" if name == transitions.BASELINE else verdict(summary.p95_ms <= TRANSITION_TARGET_MS)
        report.add(f"| {name} | {summary.median_ms:.1f} ms | {summary.p95_ms:.1f} ms | {mark} |")
    report.add()
    return result[transitions.BASELINE]


def back_office_queue(report: Report, folder: Path, runs: int, bare: transitions.Summary) -> None:
    count, result = queue_screen.measure(folder, runs)
    report.add(f"## Back office: the review queue with {count:,} claims (pilot, 80x24, {runs} sessions)")
    report.add()
    report.add(f"| step | median | p95 | p95 <= {QUEUE_TARGET_MS:.0f} ms |")
    report.add("|---|---|---|---|")
    for name, summary in result.items():
        report.add(f"| {name} | {summary.median_ms:.1f} ms | {summary.p95_ms:.1f} ms | "
                   f"{verdict(summary.p95_ms <= QUEUE_TARGET_MS)} |")
    report.add(f"| {transitions.BASELINE} (the transitions' run) | {bare.median_ms:.1f} ms | {bare.p95_ms:.1f} ms "
               "| baseline |")
    report.add()


def terminal_bytes(report: Report, folder: Path, first: startup.StartupResult) -> None:
    result = flow_bytes.measure(folder)
    report.add("## Bytes written to the terminal for the whole claim flow (80x24 pty)")
    report.add()
    report.add("| part of the flow | bytes |")
    report.add("|---|---|")
    for name, count in result.per_screen.items():
        report.add(f"| {name} | {count:,} |")
    report.add(f"| **whole flow (login screen to receipt)** | **{result.total:,}** |")
    report.add()
    report.add(f"Typing the form: {result.typed_keys} keys, {result.bytes_per_typed_key:,.0f} bytes per key typed.")
    report.add()
    frames = result.total / first.bare_first_screen_bytes
    report.add(
        f"Baseline: the bare Textual app's first screen is {first.bare_first_screen_bytes:,} bytes, so the flow "
        f"carries about {frames:.0f} such screens; the kiosk's login screen is {first.kidb_first_screen_bytes:,} "
        f"bytes. The flow took {result.seconds:.1f} s of driving; an idle login screen whose cursor blinks writes "
        f"{first.idle_bytes_per_second:,.0f} bytes/s, which is included in the count while the driver waits."
    )
    report.add()


def service_throughput(report: Report, folder: Path, *clusters) -> None:
    """Claims and logins per second on SQLite (synchronous=FULL) and on each PostgreSQL cluster."""
    backends = {"SQLite": (f"sqlite:///{folder / 'service.sqlite3'}", f"sqlite:///{folder / 'raw.sqlite3'}")}
    for cluster in filter(None, clusters):
        service_url, server = _pg_database(cluster, "bench_service")
        raw_url, _ = _pg_database(cluster, "bench_raw")
        backends[f"PostgreSQL {server.split()[0]}, fsync {'on' if cluster.durable else 'off'}"] = (service_url, raw_url)
    figures = {backend: throughput.measure(service_url, raw_url) for backend, (service_url, raw_url) in backends.items()}
    for line in throughput.section(figures):
        report.add(line)
    if not any(clusters):
        report.add("PostgreSQL: skipped (no server binaries).")
        report.add()


def login_verification(report: Report, folder: Path, runs: int) -> None:
    result = login_time.measure(folder, runs)
    p = result.params
    report.add(f"## Login verification at the configured argon2id parameters (m={p.memory_kib} KiB, t={p.time_cost}, "
               f"p={p.parallelism}; median of {runs})")
    report.add()
    report.add("| operation | median | max |")
    report.add("|---|---|---|")
    report.add(f"| `auth.login` (service call, argon2 verify + reads + audit write) | "
               f"{login_time.median_ms(result.login):.1f} ms | {max(result.login) * 1000:.1f} ms |")
    report.add(f"| baseline: argon2-cffi `PasswordHasher.verify`, same parameters | "
               f"{login_time.median_ms(result.verify):.1f} ms | {max(result.verify) * 1000:.1f} ms |")
    report.add(f"| hashing a new PIN (activation, PIN change) | {login_time.median_ms(result.hash):.1f} ms | "
               f"{max(result.hash) * 1000:.1f} ms |")
    report.add()


def throughput_only(output: Path, durable_only: bool = False) -> int:
    """`--throughput-only`: the throughput section with the machine described, appended to `output`;
    `durable_only` leaves out the PostgreSQL cluster at fsync off (a third of the time)."""
    report = Report()
    described = machine.describe()
    report.add(f"## Throughput ({described['date']}, `python -m bench --throughput-only`)")
    report.add()
    report.add(f"Machine: {described['CPUs (nproc)']} CPUs ({described['CPU model']}), Python {described['Python']}, "
               f"SQLite {described['SQLite']}, SQLAlchemy {described['SQLAlchemy']}, psycopg {described['psycopg']}; "
               f"load average at start {described['load average at start (1/5/15 min)']} (the machine is shared).")
    report.add()
    folder = Path(tempfile.mkdtemp(prefix="kidb-bench-"))
    clusters = []
    try:
        clusters.append(_start_postgres(report, durable=True))
        if not durable_only:
            clusters.append(_start_postgres(report, durable=False))
        service_throughput(report, folder, *clusters)
    finally:
        for cluster in filter(None, clusters):
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
    report.add(f"Load average at the end (1/5/15 min): {machine.load_average()}.")
    with output.open("a", encoding="utf-8") as handle:
        handle.write("\n" + "\n".join("#" + line if line.startswith("## ") and "Throughput (" not in line else line
                                       for line in report.lines) + "\n")
    print(f"\nappended to {output}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run, not for RESULTS.md)")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--throughput-only", action="store_true",
                        help="only the claims and logins per second, appended to the output as a dated section")
    parser.add_argument("--durable-only", action="store_true",
                        help="with --throughput-only: PostgreSQL at fsync on only (the production setting)")
    args = parser.parse_args(argv)
    if args.throughput_only:
        return throughput_only(args.output, args.durable_only)
    runs, iterations, login_runs = (3, 5, 3) if args.quick else (7, 20, 10)
    report = Report()
    report.add("# KIDB benchmark results")
    report.add()
    report.add("Written by `python -m bench` (method: bench/README.md and each bench/*.py module's docstring).")
    report.add()
    report.add("| machine | |")
    report.add("|---|---|")
    for name, value in machine.describe().items():
        report.add(f"| {name} | {value} |")
    report.add()
    folder = Path(tempfile.mkdtemp(prefix="kidb-bench-"))
    cluster = None
    try:
        first = cold_start(report, folder, runs)
        bare = screen_transitions(report, folder, iterations)
        back_office_queue(report, folder, iterations, bare)
        terminal_bytes(report, folder, first)
        cluster = _start_postgres(report)
        service_throughput(report, folder, cluster)
        login_verification(report, folder, login_runs)
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
    report.add(f"Load average at the end (1/5/15 min): {machine.load_average()}.")
    args.output.write_text("\n".join(report.lines) + "\n", encoding="utf-8")
    print(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
