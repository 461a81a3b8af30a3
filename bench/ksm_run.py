"""ksmd for a benchmark: turned on (`/sys/kernel/mm/ksm/run` = 1) with a given scan rate only
while memory is measured, and its previous settings (run, pages_to_scan, sleep_millisecs) put
back afterwards. Needs root; `available()` says whether this machine allows it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

KSM = Path("/sys/kernel/mm/ksm")
PAGES_TO_SCAN = 5000
SLEEP_MILLISECS = 20
OPERATOR_PAGES_TO_SCAN = 1000
"""The rate docs/openssh.md suggests, at which ksmd keeps running while sessions type."""
SETTINGS = ("run", "pages_to_scan", "sleep_millisecs")


def available() -> bool:
    return os.access(KSM / "run", os.W_OK)


def _read(name: str) -> int:
    return int((KSM / name).read_text().split()[0])


def _ksmd_cpu_seconds() -> float:
    """CPU time of the ksmd kernel thread so far (0 if it cannot be found)."""
    for comm in Path("/proc").glob("[0-9]*/comm"):
        with contextlib.suppress(OSError):
            if comm.read_text().strip() == "ksmd":
                fields = (comm.parent / "stat").read_text().rsplit(")", 1)[1].split()
                return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


@dataclass
class Merged:
    seconds: float
    """How long ksmd ran before the measurement."""
    full_scans: int
    cpu_seconds: float
    """ksmd's CPU time in that while."""
    pages_sharing: int
    pages_shared: int


@contextlib.contextmanager
def running(pages_to_scan: int = PAGES_TO_SCAN, sleep_millisecs: int = SLEEP_MILLISECS) -> Iterator[None]:
    """ksmd on at this scan rate; its earlier settings restored on the way out (run first)."""
    before = {name: _read(name) for name in SETTINGS}
    try:
        set_rate(pages_to_scan, sleep_millisecs)
        (KSM / "run").write_text("1")
        yield
    finally:
        for name in SETTINGS:
            (KSM / name).write_text(str(before[name]))


def set_rate(pages_to_scan: int, sleep_millisecs: int = SLEEP_MILLISECS) -> None:
    (KSM / "pages_to_scan").write_text(str(pages_to_scan))
    (KSM / "sleep_millisecs").write_text(str(sleep_millisecs))


async def settle(timeout: float, scans: int = 2) -> Merged:
    """Until ksmd has made `scans` full passes over the mergeable memory (the first finds
    candidates, the second merges them), or `timeout` seconds; what it did meanwhile."""
    started, cpu, first = time.monotonic(), _ksmd_cpu_seconds(), _read("full_scans")
    while _read("full_scans") < first + scans + 1 and time.monotonic() - started < timeout:
        await asyncio.sleep(0.5)
    return Merged(time.monotonic() - started, _read("full_scans") - first, _ksmd_cpu_seconds() - cpu,
                  _read("pages_sharing"), _read("pages_shared"))
