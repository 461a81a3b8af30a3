"""The cyclic garbage collector set up for a kiosk process. CPython's defaults (700, 10, 10)
run a full collection every few hundred thousand allocations, and a full collection walks every
object the process holds: Textual, SQLAlchemy, the catalogues and a session's widgets, up to
200 ms on the UI thread, in the middle of a screen transition. `settle()`, called once the
process has everything loaded (the session host before it forks, a local kiosk once its
runtime is prepared), collects once, freezes what is left out of the collector (it is kept for
the process's life: collecting it again finds nothing), and raises the thresholds, so that the
young collections stay short and the full ones (now walking only what was made since) are
rarer."""

from __future__ import annotations

import gc

THRESHOLDS = (10_000, 20, 50)
"""Generation 0: allocations between young collections (CPython: 700); generations 1 and 2:
collections of the generation below between two of their own (CPython: 10 and 10)."""


def settle() -> None:
    """Collect, freeze the survivors, and set THRESHOLDS (a forked child keeps all three)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
