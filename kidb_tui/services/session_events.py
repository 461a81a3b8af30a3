"""Audit rows for what happens to a terminal session itself rather than to an account:
an unexpected error that ended it. Only the error's type is kept: its message may quote data."""

from __future__ import annotations

from kidb_tui.services import audit
from kidb_tui.services.runtime import Runtime


def record_error(rt: Runtime, actor: str, error_type: str, signed_in: bool) -> None:
    """The session met an unexpected error and was wiped (`actor`: who was signed in, or the app)."""
    with rt.write() as session:
        audit.record(session, rt, actor, "session.error", actor, error=error_type[:60], signed_in=signed_in)
