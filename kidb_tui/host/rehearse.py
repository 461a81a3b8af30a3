"""A session's database work done once in the session host before it forks, on a throwaway
in-memory SQLite database (the host's own database is not opened): a participant imported,
activated, a login, the menu's count, a sign-out, a wrong PIN. SQLAlchemy builds much of what
a statement needs on its first use (memoized attributes of tables, columns and mappers, cache
keys, the ORM's compile states); built here, it is shared by every forked session instead of
being built, and its pages copied, in each one. Nothing of it is logged (tests/ssh/
test_host_warm.py), unless it fails: settings that refuse its participant or its PIN, say.
Then the host logs one warning and starts all the same; its sessions build what the rehearsal
would have."""

from __future__ import annotations

import logging

from kidb_tui import bootstrap
from kidb_tui.config import Settings
from kidb_tui.logs import traceback_text
from kidb_tui.services import auth, notifications, participants

log = logging.getLogger("kidb.host")
PIN = "258147"
NIB, NIK = "26020000001", "3171011505800001"
ROW = (f"{NIB},{NIK},Peserta Latihan,1980-05-15,latihan@example.co.id,081234500001,Jl. Latihan 1,10110,"
       "50000000,inactive,active,2012-03-01,2020-01-01")


def rehearse(settings: Settings) -> bool:
    """Run the rehearsal; the in-memory database is gone when it returns. False if it failed."""
    rt = None
    try:
        rt = bootstrap.prepare(settings.with_(database_url="sqlite://"))
        header = ",".join([*participants.HEADER, "employment_end"])
        report = participants.import_text(rt, f"{header}\n{ROW}\n", actor="host")
        if not report.ok:
            raise ValueError(f"participant not imported: {report.errors}")
        auth.activate(rt, NIB, NIK, "15-05-1980", "pin", PIN, PIN)
        identity = auth.login(rt, NIB, PIN).identity
        if identity is None:
            raise ValueError("the login failed")
        notifications.unread_count(rt, identity.participant_id)
        auth.logout(rt, identity)
        auth.login(rt, NIB, "000000")
    except Exception as error:  # noqa: BLE001  (logged; the sessions do without it)
        log.warning("rehearsal of a session's database work skipped: %s", traceback_text(error))
        return False
    finally:
        if rt is not None:
            rt.engine.dispose()
    return True
