"""Where a forked session's CPU goes: a session host (`kidb host`) whose forked sessions are
timed, and one terminal at a time (`kidb attach` on a local pseudo-terminal, no sshd) that goes
from connect to the menu as bench/ssh_bench.py's crowd does. For each session: the CPU (user +
system, /proc/PID/schedstat) used by the login screen drawn, with the NIB typed (11 keys sent at
once, as the bench sends them), with the cursor on the PIN, with the PIN typed, and at the menu;
then the wall time from starting `kidb attach` to the login screen drawn, and the CPU the
`kidb attach` process used by then (its interpreter's start, imports and hand-off).
With --profile DIR, each session also writes cProfile statistics to DIR/session-PID-N.prof: N=0
from the hand-off to the login screen drawn, 1 for the NIB, 2 from there to its end.

With --crowd N, N terminals instead connect at once and log in as bench/ssh_bench.py's crowd
does (the same host, `kidb attach` on local pseudo-terminals instead of `kidb serve`'s SSH):
the seconds until all are at the login screen and at the menu, and the CPU the N sessions used
by then, summed (the figure to compare on a shared machine), with this process's own CPU
(the terminals' emulation).

    python -m bench.ssh_profile [--runs 10] [--profile DIR] [--crowd N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from select import select

import asyncssh

from bench.ssh_bench import bench_database
from bench.ssh_sessions import PIN, TimedTerm, at_login, cpu_seconds, login
from kidb_tui.ssh.host_client import MALLOC_TUNABLE
from tests.ssh.flows import LOGIN_LABEL, SECRET_LABEL
from tests.ssh.harness import has_terminal, key_line, pty_terminal
from tests.ssh.terminal import ENTER

PHASES = ("login screen", "NIB typed", "on the PIN", "PIN typed", "menu")
PROFILED = """
import cProfile, os, signal, sys
from kidb_tui.host import child
run_app = child._run_app
state = {"phase": 0, "profile": None}
def dump():
    state["profile"].disable()
    name = f"session-{os.getpid()}-{state['phase']}.prof"
    state["profile"].dump_stats(os.path.join(os.environ["KIDB_PROFILE_DIR"], name))
    state["phase"] += 1
def start():
    state["profile"] = cProfile.Profile()
    state["profile"].enable()
def next_phase(signum, frame):
    dump()
    start()
def profiled(*args, **kwargs):
    signal.signal(signal.SIGUSR1, next_phase)
    start()
    try:
        return run_app(*args, **kwargs)
    finally:
        dump()
child._run_app = profiled
sys.argv = ["kidb_tui", "host"]
from kidb_tui.cli import main
raise SystemExit(main())
"""


def start_host(env: dict[str, str], profile_dir: Path | None) -> subprocess.Popen:
    argv = [sys.executable, "-I", "-m", "kidb_tui", "host"]
    if profile_dir is not None:
        env = {**env, "KIDB_PROFILE_DIR": str(profile_dir)}
        argv = [sys.executable, "-I", "-c", PROFILED]
    process = subprocess.Popen(argv, env={"PATH": os.defpath, "LANG": "C.UTF-8", "GLIBC_TUNABLES": MALLOC_TUNABLE,
                                          **env},
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    ready, _, _ = select([process.stdout], [], [], 300)
    line = process.stdout.readline() if ready else b""
    assert line.startswith(b"session host ready on"), line
    return process


def session_pid(host: int) -> int:
    found = session_pids(host)
    assert len(found) == 1, found
    return found[0]


async def one_session(argv: list[str], env: dict[str, str], host: int, nib: str, name: str,
                      profiled: bool) -> list[float]:
    """The session's CPU seconds at each of PHASES; `profiled`: the session is told (SIGUSR1) when
    the login screen is drawn, and when the NIB is typed, to start new statistics."""
    started = time.perf_counter()
    async with pty_terminal(argv, env, term_class=TimedTerm) as (term, process):
        term.timeout = 60
        drawn = await term.until(lambda: at_login(term, "JKT-01"), "the login screen")
        pid = session_pid(host)
        cpu = [cpu_seconds(pid)]
        attach = [drawn - started, cpu_seconds(process.pid)]
        if profiled:
            os.kill(pid, signal.SIGUSR1)
            await asyncio.sleep(0.1)
        term.send(nib)
        await term.until(lambda: term.line_has(LOGIN_LABEL, nib), "the NIB")
        cpu.append(cpu_seconds(pid))
        if profiled:
            os.kill(pid, signal.SIGUSR1)
            await asyncio.sleep(0.1)
        term.send(ENTER)
        await term.until(lambda: term.cursor_on(SECRET_LABEL), "the cursor on the PIN")
        cpu.append(cpu_seconds(pid))
        term.send(PIN)
        await term.until_text("•" * len(PIN))
        cpu.append(cpu_seconds(pid))
        term.send(ENTER)
        await term.until_text(f"Halo, {name}")
        await asyncio.sleep(0.3)
        cpu.append(cpu_seconds(pid))
    for _ in range(100):
        if not Path(f"/proc/{pid}").exists():
            break
        await asyncio.sleep(0.05)
    return cpu + attach


def session_pids(host: int) -> list[int]:
    children = Path(f"/proc/{host}/task/{host}/children").read_text().split()
    return [int(pid) for pid in children if has_terminal(int(pid))]


async def crowd(argv: list[str], env: dict[str, str], auths: list[Path], host: int, people) -> None:
    started, bench_cpu = time.perf_counter(), time.process_time()
    drawn: list[float] = []
    greeted: list[float] = []
    everyone_in, release = asyncio.Event(), asyncio.Event()

    async def one(number: int, auth: Path) -> None:
        person = people[number - 1]
        async with pty_terminal(argv, {**env, "SSH_USER_AUTH": str(auth)}, term_class=TimedTerm) as (term, _):
            term.timeout = 120
            drawn.append(await term.until(lambda: at_login(term, f"JKT-{number:02d}"), "the login screen"))
            greeted.append((await login(term, person.nib, PIN, person.name))[0])
            if len(greeted) == len(auths):
                everyone_in.set()
            await release.wait()

    tasks = [asyncio.create_task(one(number, auth)) for number, auth in enumerate(auths, start=1)]
    await asyncio.wait_for(everyone_in.wait(), 300)
    cpu = [cpu_seconds(pid) for pid in session_pids(host)]
    bench_cpu = time.process_time() - bench_cpu
    release.set()
    await asyncio.gather(*tasks)
    print(f"{len(auths)} terminals at once: all at the login screen {max(drawn) - started:.2f} s, all at the menu "
          f"{max(greeted) - started:.2f} s; the sessions' CPU by then {sum(cpu) * 1000:.0f} ms in all "
          f"(median {statistics.median(cpu) * 1000:.0f} ms, n={len(cpu)}); this process {bench_cpu * 1000:.0f} ms")


async def run(args) -> None:
    count = args.crowd or args.runs
    with tempfile.TemporaryDirectory(prefix="kidb-profile-") as folder:
        env, people = bench_database(Path(folder) / "data", count)
        env = {**env, "KIDB_HOST_SOCKET": str(Path(folder) / "host.sock")}
        keys, auths, lines = Path(folder) / "authorized_keys", [], []
        for number in range(1, count + 1):
            key = asyncssh.generate_private_key("ssh-ed25519")
            lines.append(key_line(key, f"terminal=JKT-{number:02d} branch=Jakarta Pusat"))
            auths.append(Path(folder) / f"auth_info_{number}")
            auths[-1].write_text("publickey " + key.export_public_key().decode())
        keys.write_text("\n".join(lines) + "\n")
        host = start_host(env, args.profile)
        try:
            local = {**env, "PATH": os.defpath, "LANG": "C.UTF-8", "TERM": "xterm-256color",
                     "SSH_USER_AUTH": str(auths[0])}
            argv = [sys.executable, "-I", "-m", "kidb_tui", "attach", str(keys)]
            if args.crowd:
                await crowd(argv, local, auths, host.pid, people)
                return
            sessions = [await one_session(argv, local, host.pid, person.nib, person.name, bool(args.profile))
                        for person in people]
        finally:
            host.terminate()
            host.wait(30)
    print(f"CPU of a forked session (ms, median of {len(sessions)}; cumulative, then the step):")
    previous = 0.0
    for index, phase in enumerate(PHASES):
        total = statistics.median(cpu[index] for cpu in sessions) * 1000
        print(f"  {phase:14s} {total:7.1f}  (+{total - previous:.1f})")
        previous = total
    wall = statistics.median(cpu[len(PHASES)] for cpu in sessions) * 1000
    attach = statistics.median(cpu[len(PHASES) + 1] for cpu in sessions) * 1000
    print(f"connect -> login screen drawn {wall:.1f} ms (median); kidb attach's own CPU by then {attach:.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ssh_profile", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--profile", type=Path, help="write each session's cProfile statistics here")
    parser.add_argument("--crowd", type=int, help="this many terminals at once instead (see above)")
    args = parser.parse_args()
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
