"""SSH benchmark of `kidb serve`: the time from SSH connect to the login screen drawn (median of
N sequential sessions), and the resident memory of each kiosk process with 10 sessions open at
once, logged in. Runs on a throwaway demo database on 127.0.0.1; prints the numbers.

    python -m bench.ssh_bench [--runs 7] [--sessions 10]

Needs the test extra (pyte) and is not run by pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import asyncssh

from kidb_tui.services.demo import PEOPLE
from tests.ssh import flows
from tests.ssh.harness import ServeProcess, demo_database, start_server, stop_server, terminal

SITI = PEOPLE[0]


def rss_kib(pid: int) -> int:
    """VmRSS of a process, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise ValueError(f"no VmRSS for pid {pid}")


async def time_to_login_screen(server: ServeProcess, key: asyncssh.SSHKey, runs: int) -> list[float]:
    """One session at a time: connect, wait for the login screen, disconnect, wait for the kiosk to end."""
    timings = []
    for run in range(runs):
        started = time.monotonic()
        async with terminal(server.port, key) as (term, _conn, _chan):
            await flows.login_screen(term, timeout=60)
            timings.append(time.monotonic() - started)
        await server.wait_log(r"session end terminal=JKT-01", count=run + 1, timeout=30)
    return timings


async def concurrent_rss(server: ServeProcess, key: asyncssh.SSHKey, sessions: int) -> tuple[list[int], float]:
    """`sessions` terminals at once, each logged in to the menu; (RSS of each kiosk in KiB, seconds to all menus)."""
    opened: list[asyncio.Event] = [asyncio.Event() for _ in range(sessions)]
    measured = asyncio.Event()

    async def one(index: int) -> None:
        async with terminal(server.port, key) as (term, _conn, _chan):
            term.timeout = 120
            await flows.login(term, SITI.nib, SITI.secret, SITI.name)
            opened[index].set()
            await measured.wait()

    started = time.monotonic()
    tasks = [asyncio.create_task(one(index)) for index in range(sessions)]
    await asyncio.wait_for(asyncio.gather(*(event.wait() for event in opened)), timeout=300)
    elapsed = time.monotonic() - started
    sizes = [rss_kib(pid) for pid in server.kiosk_pids()]
    measured.set()
    await asyncio.gather(*tasks)
    return sizes, elapsed


async def main(runs: int, sessions: int) -> None:
    with tempfile.TemporaryDirectory(prefix="kidb-bench-") as folder:
        env = demo_database(Path(folder) / "data")
        key = asyncssh.generate_private_key("ssh-ed25519")
        server = start_server(env, key, Path(folder))
        try:
            timings = await time_to_login_screen(server, key, runs)
            sizes, elapsed = await concurrent_rss(server, key, sessions)
            server_rss = rss_kib(server.process.pid)
        finally:
            stop_server(server)
    print(f"ssh connect -> login screen drawn: median {statistics.median(timings):.2f} s "
          f"(min {min(timings):.2f}, max {max(timings):.2f}, n={runs})")
    print(f"{sessions} concurrent sessions logged in to the menu after {elapsed:.1f} s")
    mib = [size / 1024 for size in sizes]
    print(f"resident memory per kiosk session ({len(mib)} concurrent): median {statistics.median(mib):.1f} MiB "
          f"(min {min(mib):.1f}, max {max(mib):.1f}), total {sum(mib):.0f} MiB")
    print(f"resident memory of kidb serve itself: {server_rss / 1024:.1f} MiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="sequential sessions timed (default 7)")
    parser.add_argument("--sessions", type=int, default=10, help="concurrent sessions measured (default 10)")
    options = parser.parse_args()
    asyncio.run(main(options.runs, options.sessions))
