"""What a crash report with local variables would show: the kidb_tui frames on the way to an error."""

from __future__ import annotations


def plain_in_frames(error: BaseException, plain: str) -> list[str]:
    """`function:local` of every kidb_tui frame on the way to `error` whose local is the plain secret."""
    found, trace = [], error.__traceback__
    while trace is not None:
        frame = trace.tb_frame
        if "kidb_tui" in frame.f_code.co_filename:
            found += [f"{frame.f_code.co_name}:{name}" for name, value in frame.f_locals.items() if value == plain]
        trace = trace.tb_next
    return found
