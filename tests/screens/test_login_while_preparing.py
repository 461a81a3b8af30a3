"""The local kiosk draws its login screen before its database is prepared (kidb_tui/
pending_runtime.py): what is typed meanwhile is kept, and a login submitted before the database
is ready waits for it and goes through, never an error."""

import threading

from sqlmodel import select

from kidb_tui.app import KidbApp
from kidb_tui.models import AuditEvent
from kidb_tui.pending_runtime import PendingRuntime
from tests import ui
from tests.conftest import SITI


def _held_back(rt):
    """A PendingRuntime on `rt` whose preparation finishes when the returned event is set."""
    release, started = threading.Event(), threading.Event()

    def prepare(settings, clock):
        started.set()
        release.wait(ui.WAIT_SECONDS)
        return rt

    return PendingRuntime(rt.settings, prepare, rt.clock), release, started


async def test_a_login_submitted_before_the_database_is_ready_waits_for_it(demo_rt):
    pending, release, started = _held_back(demo_rt)
    app = KidbApp(pending)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.until(pilot, started.is_set)
        assert ui.at(app, "login.title")
        await pilot.press(*SITI.nib, "enter", *SITI.secret, "enter")
        await ui.until(pilot, lambda: ui.status(app) == ui.t("login.checking"))
        assert not pending.ready
        release.set()
        await ui.until(pilot, lambda: ui.at(app, "menu.title"))
        assert SITI.name in ui.title(app)
    with demo_rt.read() as session:
        assert "auth.login" in session.exec(select(AuditEvent.action).where(AuditEvent.subject == SITI.nib)).all()


async def test_the_database_is_prepared_only_after_the_first_frame(demo_rt):
    calls: list[str] = []

    def prepare(settings, clock):
        calls.append(type(app.screen).__name__)
        return demo_rt

    app = KidbApp(PendingRuntime(demo_rt.settings, prepare, demo_rt.clock))
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.until(pilot, lambda: app.runtime_ready)
        assert calls == ["LoginScreen"]
        assert app.rt is demo_rt
