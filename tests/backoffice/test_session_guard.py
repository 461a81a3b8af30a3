"""The back office shares the kiosk's guards: idle timeout and kiosk-mode quit keys."""

from sqlmodel import select

from kidb_tui.models import AuditEvent
from tests import ui
from tests.backoffice.conftest import ANI


def _logouts(rt) -> list[str]:
    with rt.read() as session:
        rows = session.exec(select(AuditEvent).where(AuditEvent.action == "officer.logout")).all()
    return [row.details["reason"] for row in rows]


async def test_idle_officer_is_signed_out(make_bo, demo_rt, clock):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        clock.advance(seconds=181)
        await app.check_session()
        await ui.settle(pilot)
        assert ui.at(app, "bo.login.title")
        assert "ani.petugas (petugas)" not in ui.text(app)
    assert _logouts(demo_rt) == ["idle"]


async def test_quit_key_in_kiosk_mode_logs_the_officer_out(make_bo, demo_rt):
    app = make_bo(signed_in=ANI)
    app.kiosk = True
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, "ctrl+c")
        assert ui.shows(app, ui.t("session.leave_question"))
        await ui.keys(pilot, "y")
        assert ui.at(app, "bo.login.title")
        assert app.is_running
    assert _logouts(demo_rt) == ["user"]
