"""The cyclic garbage collector set up for a kiosk process. CPython's defaults (700, 10, 10)
ran three full collections in a claim flow, and a full collection walks every object the
process holds: Textual, SQLAlchemy, the catalogues and a session's widgets, up to 270 ms on
the UI thread, in the middle of a screen transition. `settle()`, called once the
process has everything loaded (the session host before it forks, a local kiosk once its
runtime is prepared), collects once, freezes what is left out of the collector (it is kept for
the process's life: collecting it again finds nothing), and raises the thresholds, so that the
young collections stay short and the full ones (now walking only what was made since) are
rarer; `between_sessions()` runs the full collection when nobody waits for a screen: just
after a sign-out, with the login screen drawn."""

from __future__ import annotations

import gc

THRESHOLDS = (2000, 10, 100)
"""Generation 0: allocations between young collections (CPython 3.11: 700; 3.13 uses 2000);
generation 1: young collections between two of its own (10, as CPython); generation 2: those
between two full collections (CPython: 10). Measured on the claim flow (bench/RESULTS.md,
"Session 5: transitions"): in a forked session no full collection and young ones under 30 ms;
much higher generation-0/1 thresholds made the middle collections walk 200,000 objects (300 ms)
in a long-lived kiosk."""


def hold() -> None:
    """No collection until `settle()` or `release()`: a process starting makes objects it keeps,
    and the hundred young collections of a kiosk's start (about 15 ms before its first frame)
    free little; `settle()` collects once, after the first frame."""
    gc.disable()


def release() -> None:
    """The collector back on (a command that is not the kiosk, or a kiosk that ended)."""
    gc.enable()


def settle() -> None:
    """Collect, freeze the survivors, set THRESHOLDS (a forked child keeps all three), and turn
    the collector back on if `hold()` stopped it."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
    gc.enable()


def between_sessions() -> None:
    """A full collection between two participants, so that none falls in the next one's screens."""
    gc.collect()
