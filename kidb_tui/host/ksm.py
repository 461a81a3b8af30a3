"""Kernel same-page merging (KSM) for the session host. A forked session copies each page of
the host it writes, and reference counts are writes: about half of the host's pages end up
copied in every session, most of them with the same bytes in each. With KSM the kernel's
ksmd finds such identical pages and keeps one copy of each; merged pages count as shared,
not private. `enable()` asks the kernel to consider all of the host's memory, and so its
forked sessions' (the flag is inherited across fork): `prctl(PR_SET_MEMORY_MERGE)`, Linux
6.4 and later. ksmd itself runs only when the operator turns it on (`/sys/kernel/mm/ksm/run`
= 1, docs/openssh.md); with it off the flag costs nothing."""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

PR_SET_MEMORY_MERGE = 67
PR_GET_MEMORY_MERGE = 68
KSM_RUN = Path("/sys/kernel/mm/ksm/run")


def _prctl(option: int, value: int = 0) -> tuple[int, int]:
    libc = ctypes.CDLL(None, use_errno=True)
    result = libc.prctl(option, ctypes.c_ulong(value), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
    return result, ctypes.get_errno()


def supported() -> bool:
    """Whether this kernel knows PR_SET_MEMORY_MERGE (Linux 6.4 and later)."""
    return _prctl(PR_GET_MEMORY_MERGE)[0] >= 0


def merging() -> bool:
    """Whether this process's memory is offered to KSM (PR_GET_MEMORY_MERGE)."""
    result, _ = _prctl(PR_GET_MEMORY_MERGE)
    return result == 1


def ksmd_running(run_file: Path = KSM_RUN) -> bool:
    try:
        return run_file.read_text().strip() == "1"
    except OSError:
        return False


def enable(run_file: Path = KSM_RUN) -> str:
    """Offer this process's memory (and its future children's) to KSM; one line for the log
    saying whether merging is active, waits for the operator, or is impossible here."""
    result, errno = _prctl(PR_SET_MEMORY_MERGE, 1)
    if result != 0:
        return f"memory merging (KSM) not available: {os.strerror(errno)} (needs Linux 6.4 or later)"
    if not ksmd_running(run_file):
        return f"memory merging (KSM) requested, but inactive: {run_file} is not 1"
    return "memory merging (KSM) active"
