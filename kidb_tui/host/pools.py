"""The free blocks of the host's small-object pools, filled just before it starts forking.
CPython's allocator hands a new small object the first free block of a pool already in use;
in a forked session, that block lies on a page shared with the host, which the write copies
(4 KiB for one object). The host's start frees many objects (imports, the rehearsal), leaving
free blocks in most pools; here each size class's free blocks (as `sys._debugmallocstats`
counts them) are taken by bytes objects the host keeps, so that a session's new objects go to
pools of its own instead."""

from __future__ import annotations

import os
import re
import sys
import tempfile

_ROW = re.compile(r"^\s*\d+\s+(\d+)\s+\d+\s+\d+\s+(\d+)\s*$")
_BYTES_HEADER = sys.getsizeof(b"")  # 33: the object's fields and the trailing NUL
_KEPT: list[bytes] = []


def free_blocks() -> dict[int, int]:
    """Free blocks in used pools per block size (bytes), from `sys._debugmallocstats()`."""
    with tempfile.TemporaryFile() as out:
        saved = os.dup(2)
        try:
            sys.stderr.flush()
            os.dup2(out.fileno(), 2)
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        text = out.read().decode("ascii", "replace")
    counts: dict[int, int] = {}
    for line in text.split("# arenas", 1)[0].splitlines():
        row = _ROW.match(line)
        if row:
            counts[int(row[1])] = int(row[2])
    return counts


def fill() -> int:
    """Take every free block of the classes a bytes object fits (48 bytes and up); the blocks taken."""
    taken = 0
    for size, free in free_blocks().items():
        if size >= _BYTES_HEADER:
            _KEPT.extend(bytes(size - _BYTES_HEADER) for _ in range(free))
            taken += free
    return taken

