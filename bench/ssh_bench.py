"""SSH benchmark of `kidb serve` and `kidb attach`: each figure with the session host (sessions
forked warm) and, in the same run, with one new process per session as before the host
(`kidb serve --no-host`; under sshd a forced command that execs `python -I -m kidb_tui
--kiosk`). Prints the figures and appends them to bench/RESULTS.md as a dated section.

    python -m bench.ssh_bench [--runs 10] [--crowd 20] [--sessions 100] [--typers 10]
                              [--spawn-sessions N] [--no-write]

Figures (targets from issue 9):
- SSH connect (TCP, key exchange, public-key auth, PTY session) -> login screen drawn, one
  session at a time, median of --runs (target <= 0.3 s); the same through sshd and `kidb
  attach`, and through `kidb attach` on a local pseudo-terminal without sshd;
- --crowd terminals connecting at once: all at the login screen (<= 1 s), all logged in at the
  menu (<= 2 s), argon2 at its default (OWASP) parameters;
- --sessions terminals logged in at once (arriving 20 at a time: SQLite serves the logins of
  a larger crowd only after waits past its 10 s busy timeout on a loaded machine): memory of
  each session (USS = Private_Clean +
  Private_Dirty of /proc/PID/smaps_rollup, target <= 20 MiB; PSS; RSS), of the host and of the
  server; then --typers of them log out and type an NIB, one key per 150 ms: the time from
  each key sent to its echo on the screen (p95 target <= 50 ms).

Every terminal has a key of its own; the clients run in this process, on the same machine.
Times are taken when the bytes that complete a screen arrive (no polling). Needs the test
extra (pyte); the sshd figures need Debian's sshd and root, and are skipped otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from unittest.mock import patch

import asyncssh

from bench import ksm_run, machine
from bench.ssh_sessions import (
    PIN,
    Memory,
    Person,
    TimedTerm,
    at_login,
    cpu_seconds,
    login,
    memory,
    mib,
    percentile,
    seed,
    summary,
    type_and_time,
)
from kidb_tui.bootstrap import build_demo
from kidb_tui.config import load_settings
from tests.ssh.harness import (
    ServeProcess,
    has_terminal,
    key_line,
    kiosk_environment,
    pids_with_environment,
    pty_terminal,
    start_crowd_server,
    stop_server,
    terminal,
)
from tests.ssh.sshd import SessionHost, client_environment, running_sshd, ssh_command, sshd_available

HERE = Path(__file__).resolve().parent
LOGIN_TARGET, CROWD_LOGIN_TARGET, CROWD_MENU_TARGET = 0.3, 1.0, 2.0
USS_TARGET_MIB, ECHO_TARGET = 20.0, 0.050
TYPED = "98765432109"
KEY_PAUSE = 0.15
WAIT = 600.0
CROWD_WAIT = 150.0
IDLE_SECONDS = "3600"
ARRIVING = 20
CLASSIC_KEX = "KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org\n"
"""docs/openssh.md's optional key exchange without OpenSSH's post-quantum sntrup761 (its cost measured beside the default)."""
"""Of the --sessions terminals, at most this many between connecting and the menu at a time."""


@dataclass
class Crowd:
    at_login: float
    at_menu: float
    busy: int
    kiosks: list[Memory]
    host: Memory | None
    server: Memory
    echoes: list[float]
    merged: ksm_run.Merged | None = None
    """With --ksm: what ksmd did before `merged_kiosks` and `merged_host` were measured."""
    merged_kiosks: list[Memory] = field(default_factory=list)
    merged_host: Memory | None = None


@dataclass
class ServeFigures:
    mode: str
    login: list[float]
    login_cpu: list[float]
    crowd: int
    few: Crowd
    sessions: int
    many: Crowd


def bench_database(folder: Path, count: int) -> tuple[dict[str, str], list[Person]]:
    """A demo database with `count` more participants, PINs hashed at the default argon2
    parameters; its environment and the participants."""
    folder.mkdir(parents=True)
    env = {name: value for name, value in kiosk_environment(folder).items() if not name.startswith("KIDB_ARGON2")}
    env["KIDB_IDLE_SECONDS"] = IDLE_SECONDS  # sessions waiting for the others must not be wiped meanwhile
    with patch.dict(os.environ, env):
        for name in [name for name in os.environ if name.startswith("KIDB_ARGON2")]:
            del os.environ[name]
        rt = build_demo(load_settings())
        crowd = seed(rt, count)
        rt.engine.dispose()
    return env, crowd


async def sessions_gone(data_dir: str, timeout: float = 60.0) -> None:
    """Until no kiosk session on this data directory runs any more."""
    deadline = time.monotonic() + timeout
    while [pid for pid in pids_with_environment("KIDB_DATA_DIR", data_dir) if has_terminal(pid)]:
        if time.monotonic() > deadline:
            raise AssertionError("sessions did not end")
        await asyncio.sleep(0.1)


async def sequential_logins(server: ServeProcess, key, runs: int, data_dir: str) -> tuple[list[float], list[float]]:
    """Seconds from connect to the login screen drawn, and the session's CPU seconds by then."""
    timings, cpu = [], []
    for _ in range(runs):
        started = time.perf_counter()
        async with terminal(server.port, key, term_class=TimedTerm) as (term, _conn, _chan):
            term.timeout = WAIT
            timings.append(await term.until(lambda term=term: at_login(term, "JKT-01"), "the login screen") - started)
            cpu += [cpu_seconds(pid) for pid in server.kiosk_pids()]
        await sessions_gone(data_dir)
    return timings, cpu


async def crowd(server: ServeProcess, keys: list, crowd_people: list[Person], typers: int = 0,
                arriving_at_once: int | None = None, ksm_seconds: float = 0) -> Crowd:
    """`keys` connect (at most `arriving_at_once` between connecting and the menu at any time;
    all at once by default) and log in: seconds to all login screens and to all menus, how
    often the kiosk said the database was busy, the memory of every session, the host and the
    server then, and the keystroke echoes of `typers` of them typing. With `ksm_seconds`, ksmd
    is then turned on (ksm_run.py) and the memory measured again once it has merged (at most
    that many seconds later); the typing happens while ksmd goes on at the rate the operator
    docs suggest."""
    arriving_at_once = arriving_at_once or len(keys)
    started = time.perf_counter()
    drawn: list[float] = []
    greeted: list[float] = []
    terms: list[TimedTerm] = []
    opened: dict[int, TimedTerm] = {}
    busy: list[int] = []
    everyone_in = asyncio.Event()
    release = asyncio.Event()
    arriving = asyncio.Semaphore(arriving_at_once)

    async def one(number: int, key) -> None:
        await arriving.acquire()
        async with terminal(server.port, key, term_class=TimedTerm) as (term, _conn, _chan):
            term.timeout = WAIT
            opened[number] = term
            drawn.append(await term.until(lambda: at_login(term, f"JKT-{number:02d}"), "the login screen"))
            person = crowd_people[number - 1]
            at_menu, said_busy = await login(term, person.nib, PIN, person.name)
            arriving.release()
            greeted.append(at_menu)
            busy.append(said_busy)
            terms.append(term)
            if len(terms) == len(keys):
                everyone_in.set()
            await release.wait()

    tasks = [asyncio.create_task(one(number, key)) for number, key in enumerate(keys, start=1)]
    waiting = asyncio.create_task(everyone_in.wait())
    await asyncio.wait([waiting, *tasks], return_when=asyncio.FIRST_COMPLETED, timeout=CROWD_WAIT)
    if not everyone_in.is_set():
        stuck = {number: term for number, term in opened.items() if term not in terms}
        first = next(iter(stuck.values()), None)
        raise AssertionError(f"{len(keys) - len(terms)} terminal(s) not at the menu after {CROWD_WAIT:.0f} s "
                             f"({len(opened)} connected); one of them:\n{first.text() if first else '-'}")
    await asyncio.sleep(3)
    memories = [memory(pid) for pid in server.kiosk_pids()]
    hosts = server.host_pids()
    host, serving = (memory(hosts[0]) if hosts else None), memory(server.process.pid)
    merged: ksm_run.Merged | None = None
    merged_kiosks: list[Memory] = []
    merged_host: Memory | None = None
    with contextlib.ExitStack() as ksmd:
        if ksm_seconds:
            ksmd.enter_context(ksm_run.running())
            merged = await ksm_run.settle(ksm_seconds)
            merged_kiosks = [memory(pid) for pid in server.kiosk_pids()]
            merged_host = memory(hosts[0]) if hosts else None
            ksm_run.set_rate(ksm_run.OPERATOR_PAGES_TO_SCAN)
        echoes = await _typing(terms[:typers])
    release.set()
    await asyncio.gather(*tasks)
    return Crowd(max(drawn) - started, max(greeted) - started, sum(busy), memories, host, serving, echoes,
                 merged, merged_kiosks, merged_host)


async def _typing(terms: list[TimedTerm]) -> list[float]:
    echoes: list[float] = []
    if terms:
        async def type_some(term: TimedTerm) -> list[float]:
            term.send("0")
            await term.until(lambda: term.line_has("NIB (nomor peserta)", "11 angka"), "the login screen")
            return [echo for _ in range(3) for echo in await type_and_time(term, TYPED, KEY_PAUSE)]

        for found in await asyncio.gather(*(type_some(term) for term in terms)):
            echoes += found
    return echoes


async def serve_figures(mode: str, env: dict[str, str], crowd_people: list[Person], folder: Path,
                        args) -> ServeFigures:
    sessions = args.sessions if mode == "host" else args.spawn_sessions
    extra = () if mode == "host" else ("--no-host",)
    server, keys = start_crowd_server(env, folder, max(args.crowd, sessions, 1), extra)
    data_dir = env["KIDB_DATA_DIR"]
    try:
        if mode == "host":
            await server.wait_log(r"session host pid=\d+ ready", timeout=WAIT)
        print(f"[{mode}] sequential logins", flush=True)
        logins, login_cpu = await sequential_logins(server, keys[0], args.runs, data_dir)
        print(f"[{mode}] {args.crowd} terminals at once", flush=True)
        few = await crowd(server, keys[:args.crowd], crowd_people)
        await sessions_gone(data_dir)
        print(f"[{mode}] {sessions} sessions, {args.typers} typing", flush=True)
        ksm_seconds = args.ksm if mode == "host" and ksm_run.available() else 0
        many = await crowd(server, keys[:sessions], crowd_people, args.typers, ARRIVING, ksm_seconds)
        await sessions_gone(data_dir)
        return ServeFigures(mode, logins, login_cpu, args.crowd, few, sessions, many)
    finally:
        stop_server(server)


async def pty_logins(argv: list[str], env: dict[str, str], runs: int, data_dir: str) -> list[float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        async with pty_terminal(argv, env, term_class=TimedTerm) as (term, _process):
            term.timeout = WAIT
            timings.append(await term.until(lambda term=term: at_login(term, "JKT-01"), "the login screen") - started)
        await sessions_gone(data_dir)
    return timings


async def client_runs(argv: list[str], runs: int) -> list[float]:
    """Seconds from starting the OpenSSH client to its exit."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            *argv, env=client_environment(), stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        await process.wait()
        timings.append(time.perf_counter() - started)
    return timings


async def attach_figures(env: dict[str, str], folder: Path, runs: int) -> dict[str, list[float]]:
    """Connect -> login screen through `kidb attach`: on a local pty, and through sshd (host, and
    the baseline forced command that execs a new kiosk)."""
    data_dir = env["KIDB_DATA_DIR"]
    socket_dir = Path(tempfile.mkdtemp(prefix="kidb-bench-"))
    host_env = {**env, "KIDB_HOST_SOCKET": str(socket_dir / "host.sock")}
    figures: dict[str, list[float]] = {}
    key_folder = folder / "attach"
    key_folder.mkdir()
    key = asyncssh.generate_private_key("ssh-ed25519")
    keys = key_folder / "authorized_keys"
    keys.write_text(key_line(key, "terminal=JKT-01 branch=Jakarta Pusat") + "\n")
    auth = key_folder / "auth_info"
    auth.write_text("publickey " + key.export_public_key().decode())
    host = SessionHost(host_env)
    try:
        print("[attach] local pty", flush=True)
        local_env = {**host_env, "PATH": os.defpath, "LANG": "C.UTF-8", "TERM": "xterm-256color",
                     "SSH_USER_AUTH": str(auth)}
        figures["kidb attach on a local pty (no sshd)"] = await pty_logins(
            [sys.executable, "-I", "-m", "kidb_tui", "attach", str(keys)], local_env, runs, data_dir)
        if sshd_available():
            print("[attach] sshd", flush=True)
            (folder / "sshd").mkdir()
            with running_sshd(host_env, folder / "sshd") as sshd:
                figures["sshd + kidb attach"] = await pty_logins(
                    ssh_command(sshd.port, sshd.identity, "-tt"), client_environment(), runs, data_dir)
            (folder / "sshd-kex").mkdir()
            with running_sshd(host_env, folder / "sshd-kex", server_options=CLASSIC_KEX) as sshd:
                figures[f"sshd ({CLASSIC_KEX.strip()}) + kidb attach"] = await pty_logins(
                    ssh_command(sshd.port, sshd.identity, "-tt"), client_environment(), runs, data_dir)
    finally:
        host.stop()
    if sshd_available():
        print("[attach] sshd alone", flush=True)
        (folder / "sshd-floor").mkdir()
        with running_sshd(env, folder / "sshd-floor", force_command="true") as sshd:
            figures["floor: sshd running `true` (until the client exits)"] = await client_runs(
                ssh_command(sshd.port, sshd.identity, "-tt"), runs)
        (folder / "sshd-floor-kex").mkdir()
        with running_sshd(env, folder / "sshd-floor-kex", force_command="true", server_options=CLASSIC_KEX) as sshd:
            figures[f"floor: sshd ({CLASSIC_KEX.strip()}) running `true`"] = await client_runs(
                ssh_command(sshd.port, sshd.identity, "-tt"), runs)
        print("[attach] sshd baseline", flush=True)
        (folder / "sshd-spawn").mkdir()
        spawn_env = {**env, "KIDB_TERMINAL_ID": "JKT-01", "KIDB_BRANCH": "Jakarta"}
        command = f"trap '' INT QUIT TSTP; exec {sys.executable} -I -m kidb_tui --kiosk"
        with running_sshd(spawn_env, folder / "sshd-spawn", force_command=command) as sshd:
            figures["baseline: sshd + exec python -m kidb_tui --kiosk"] = await pty_logins(
                ssh_command(sshd.port, sshd.identity, "-tt"), client_environment(), runs, data_dir)
    return figures


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _per_session(figures: ServeFigures, field: str) -> str:
    values = [getattr(m, field) for m in figures.many.kiosks]
    return f"median {mib(statistics.median(values))}, max {mib(max(values))} (n={len(values)})"


def _ms(seconds: list[float]) -> str:
    return f"{statistics.median(seconds) * 1000:.0f} ms (n={len(seconds)})" if seconds else "-"


def _echo(echoes: list[float]) -> str:
    return f"{statistics.median(echoes) * 1000:.1f} / {percentile(echoes, 0.95) * 1000:.1f} ms (n={len(echoes)})"


def report(serve: list[ServeFigures], attach: dict[str, list[float]], started_load: str, args) -> list[str]:
    host, spawn = serve
    described = machine.describe()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"## SSH sessions: session host against one process per session ({when}, `python -m bench.ssh_bench`)", "",
        f"Machine: {described['CPUs (nproc)']} CPUs ({described['CPU model']}), Python {described['Python']}, "
        f"Textual {described['Textual']}; load average at start {started_load}, at the end "
        f"{machine.load_average()} (the machine is shared with other jobs). Method: bench/ssh_bench.py's "
        "docstring; argon2 at its default parameters (m=19456 KiB, t=2); each terminal logs in as a "
        "participant of its own; SQLite.", "",
        "| figure | session host | one process per session (`--no-host`) | target |", "|---|---|---|---|",
    ]

    def row(figure: str, with_host: str, without: str, target: str, met: bool | None = None) -> None:
        mark = target if met is None else f"{target}: **{verdict(met)}**"
        lines.append(f"| {figure} | {with_host} | {without} | {mark} |")

    row(f"SSH connect -> login screen drawn, median of {args.runs}", summary(host.login), summary(spawn.login),
        f"<= {LOGIN_TARGET} s", statistics.median(host.login) <= LOGIN_TARGET)
    row("a session's CPU (user + system) when its login screen is drawn, median", _ms(host.login_cpu),
        _ms(spawn.login_cpu), "(reported)")
    row(f"{host.crowd} terminals at once: all at the login screen", f"{host.few.at_login:.2f} s",
        f"{spawn.few.at_login:.2f} s", f"<= {CROWD_LOGIN_TARGET} s", host.few.at_login <= CROWD_LOGIN_TARGET)
    row(f"{host.crowd} terminals at once: all logged in at the menu", f"{host.few.at_menu:.2f} s",
        f"{spawn.few.at_menu:.2f} s", f"<= {CROWD_MENU_TARGET} s", host.few.at_menu <= CROWD_MENU_TARGET)
    row(f"{host.crowd} terminals at once: times the kiosk said the database was busy (Enter again)",
        str(host.few.busy), str(spawn.few.busy), "(reported)")
    uss = statistics.median(m.uss for m in host.many.kiosks) / 1024
    row(f"USS per session, {host.sessions} (host) / {spawn.sessions} (spawned) logged in at once",
        _per_session(host, "uss"), _per_session(spawn, "uss"), f"<= {USS_TARGET_MIB:.0f} MiB", uss <= USS_TARGET_MIB)
    row("PSS per session", _per_session(host, "pss"), _per_session(spawn, "pss"), "(reported)")
    row("RSS per session", _per_session(host, "rss"), _per_session(spawn, "rss"), "(reported)")
    host_pss = host.many.host.pss if host.many.host else 0
    row("all sessions together (PSS, with the host)", mib(sum(m.pss for m in host.many.kiosks) + host_pss),
        mib(sum(m.pss for m in spawn.many.kiosks)), "(reported)")
    row("session host: RSS / PSS", f"{mib(host.many.host.rss)} / {mib(host_pss)}" if host.many.host else "-", "-",
        "(reported)")
    row("`kidb serve` itself: RSS", mib(host.many.server.rss), mib(spawn.many.server.rss), "(reported)")
    merged = host.many.merged
    if merged is not None:
        uss = statistics.median(m.uss for m in host.many.merged_kiosks) / 1024
        values = {name: [getattr(m, name) for m in host.many.merged_kiosks] for name in ("uss", "pss")}
        row(f"with KSM: USS per session after ksmd ran {merged.seconds:.0f} s ({merged.full_scans} full scans, "
            f"{merged.cpu_seconds:.1f} s of CPU; pages_to_scan {ksm_run.PAGES_TO_SCAN}, sleep_millisecs "
            f"{ksm_run.SLEEP_MILLISECS})", f"median {mib(statistics.median(values['uss']))}, max "
            f"{mib(max(values['uss']))} (n={len(values['uss'])})", "-", f"<= {USS_TARGET_MIB:.0f} MiB",
            uss <= USS_TARGET_MIB)
        row("with KSM: PSS per session", f"median {mib(statistics.median(values['pss']))}", "-", "(reported)")
        host_merged = host.many.merged_host.pss if host.many.merged_host else 0
        row("with KSM: all sessions together (PSS, with the host); pages shared / sharing",
            f"{mib(sum(values['pss']) + host_merged)}; {merged.pages_shared} / {merged.pages_sharing}", "-",
            "(reported)")
    row(f"logging those in, {ARRIVING} at a time: times the kiosk said the database was busy", str(host.many.busy),
        str(spawn.many.busy), "(reported)")
    during = "" if merged is None else \
        f" (host: ksmd running at {ksm_run.OPERATOR_PAGES_TO_SCAN} pages per {ksm_run.SLEEP_MILLISECS} ms)"
    row(f"keystroke echo while {args.typers} of them type: median / p95{during}", _echo(host.many.echoes),
        _echo(spawn.many.echoes), f"p95 <= {ECHO_TARGET * 1000:.0f} ms",
        percentile(host.many.echoes, 0.95) <= ECHO_TARGET)
    lines += ["", f"Connect -> login screen through `kidb attach` (median of {args.runs}):", "",
              "| path | time | target |", "|---|---|---|"]
    for name, timings in attach.items():
        met = statistics.median(timings) <= LOGIN_TARGET
        target = "(comparison)" if name.startswith(("baseline", "floor")) else \
            f"<= {LOGIN_TARGET} s: **{verdict(met)}**"
        lines.append(f"| {name} | {summary(timings)} | {target} |")
    if not sshd_available():
        lines.append("| through sshd | skipped: needs Debian's sshd and root | |")
    return [*lines, ""]


async def run(args) -> list[str]:
    started_load = machine.load_average()
    with tempfile.TemporaryDirectory(prefix="kidb-bench-") as folder:
        env, crowd_people = bench_database(Path(folder) / "data", max(args.crowd, args.sessions, args.spawn_sessions))
        serve = []
        for mode in ("host", "spawn"):
            (Path(folder) / mode).mkdir()
            serve.append(await serve_figures(mode, env, crowd_people, Path(folder) / mode, args))
        attach = await attach_figures(env, Path(folder), args.runs)
    return report(serve, attach, started_load, args)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ssh_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="sequential sessions timed (default 10)")
    parser.add_argument("--crowd", type=int, default=20, help="terminals connecting at once (default 20)")
    parser.add_argument("--sessions", type=int, default=100, help="sessions open at once, session host (default 100)")
    parser.add_argument("--spawn-sessions", type=int, help="the same without the host (default: --sessions)")
    parser.add_argument("--typers", type=int, default=10, help="of those, sessions typing (default 10)")
    parser.add_argument("--ksm", type=float, default=0, metavar="SECONDS",
                        help="after measuring the host's sessions, turn ksmd on (root; its settings restored "
                             "afterwards) and measure again once merged, waiting at most SECONDS")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--no-write", action="store_true", help=f"print only, do not append to {HERE / 'RESULTS.md'}")
    args = parser.parse_args()
    args.spawn_sessions = args.spawn_sessions or args.sessions
    lines = asyncio.run(run(args))
    print("\n".join(lines))
    if not args.no_write:
        with args.output.open("a", encoding="utf-8") as handle:
            handle.write("\n" + "\n".join(lines))
        print(f"appended to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
