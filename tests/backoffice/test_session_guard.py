"""The back office shares the kiosk's guards: idle timeout and kiosk-mode quit keys."""

from sqlmodel import select

from kidb_tui.backoffice.screens.login import OfficerLoginScreen
from kidb_tui.models import AuditEvent
from kidb_tui.screens.session_modals import ConfirmLeaveScreen
from tests.backoffice.conftest import ANI
from tests.conftest import settle


def _logouts(rt) -> list[str]:
    with rt.read() as session:
        rows = session.exec(select(AuditEvent).where(AuditEvent.action == "officer.logout")).all()
    return [row.details["reason"] for row in rows]


async def test_idle_officer_is_signed_out(make_bo, demo_rt, clock):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        clock.advance(seconds=181)
        await app.check_session()
        await settle(pilot)
        assert isinstance(app.screen, OfficerLoginScreen)
        assert app.officer is None
        assert len(app.screen_stack) == 2
    assert _logouts(demo_rt) == ["idle"]


async def test_quit_key_in_kiosk_mode_logs_the_officer_out(make_bo, demo_rt):
    app = make_bo(signed_in=ANI)
    app.kiosk = True
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmLeaveScreen)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, OfficerLoginScreen)
        assert app.is_running
    assert _logouts(demo_rt) == ["user"]
