"""Shared-terminal guards: quit keys in kiosk mode, idle countdown and timeout, session limit,
nothing of a signed-out participant kept."""

import gc
import weakref

import pytest
from sqlmodel import select

from kidb_tui.models import AuditEvent
from kidb_tui.session_timer import EXPIRED, OK, WARN, SessionTimer
from tests import ui
from tests.conftest import FROZEN_AT, SITI, settle


def _kiosk(make_app, **kwargs):
    app = make_app(**kwargs)
    app.kiosk = True
    return app


def _logout_reasons(rt) -> list[str]:
    with rt.read() as session:
        rows = session.exec(select(AuditEvent).where(AuditEvent.action == "auth.logout")).all()
    return [row.details["reason"] for row in rows]


def test_timer_states():
    from datetime import timedelta

    timer = SessionTimer(180, 20, 1800, FROZEN_AT)
    timer.start(FROZEN_AT)
    assert timer.state(FROZEN_AT + timedelta(seconds=159)).status == OK
    warn = timer.state(FROZEN_AT + timedelta(seconds=165))
    assert (warn.status, warn.seconds_left, warn.reason) == (WARN, 15, "idle")
    assert timer.state(FROZEN_AT + timedelta(seconds=180)).status == EXPIRED
    timer.touch(FROZEN_AT + timedelta(seconds=1790))
    limit = timer.state(FROZEN_AT + timedelta(seconds=1795))
    assert (limit.status, limit.reason) == (WARN, "session_limit")


@pytest.mark.parametrize("key", ["ctrl+q", "ctrl+c", "ctrl+z", "ctrl+backslash"])
async def test_quit_keys_in_kiosk_mode_ask_then_log_out(make_app, demo_rt, key):
    app = _kiosk(make_app, signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, key)
        assert ui.shows(app, ui.t("session.leave_question"))
        await ui.keys(pilot, "n")
        assert ui.at(app, "menu.title")
        await ui.keys(pilot, key)
        await ui.keys(pilot, "y")
        assert ui.at(app, "login.title")
        assert SITI.name not in ui.text(app)
        assert app.is_running
    assert _logout_reasons(demo_rt) == ["user"]


async def test_a_signed_out_participants_screens_are_released(make_app):
    """After sign-out the kiosk holds none of the participant's screens (nor their widgets):
    Textual keeps a screen's language watcher until the language next changes, which in a
    kiosk that stays in Bahasa Indonesia all day would keep every screen ever shown."""
    app = _kiosk(make_app)
    async with app.run_test(size=(80, 24)) as pilot:
        menus = []
        for person in (SITI, SITI, SITI):
            await ui.keys(pilot, *person.nib, "enter", *person.secret, "enter")
            await ui.until(pilot, lambda: ui.at(app, "menu.title"))
            menus.append(weakref.ref(app.screen))
            await ui.keys(pilot, "ctrl+q", "y")
            assert ui.at(app, "login.title")
        gc.collect()
        assert [menu() is None for menu in menus[:2]] == [True, True]


async def test_a_sign_out_collects_the_garbage_while_nobody_waits(make_app):
    """The kiosk runs the collector's full collection just after a sign-out (kidb_tui/gc_tuning.py),
    so that the participant's screens are freed then, not in the middle of the next
    participant's screens whenever the collector's own thresholds say."""
    full = []

    def count(phase: str, info: dict) -> None:
        if phase == "stop" and info["generation"] == 2:
            full.append(info["collected"])

    app = _kiosk(make_app)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, *SITI.nib, "enter", *SITI.secret, "enter")
        await ui.until(pilot, lambda: ui.at(app, "menu.title"))
        gc.callbacks.append(count)
        try:
            await ui.keys(pilot, "ctrl+q", "y")
            await ui.until(pilot, lambda: bool(full))
        finally:
            gc.callbacks.remove(count)
        assert ui.at(app, "login.title")
        assert full[0] > 0  # the participant's screens and widgets, freed then


async def test_ctrl_q_quits_outside_kiosk_mode(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running


def test_leave_confirmation_snapshot(snap_compare, make_app):
    assert snap_compare(_kiosk(make_app, signed_in=SITI), press=["ctrl+c"], terminal_size=(80, 24))


async def test_idle_countdown_any_key_cancels(make_app, clock):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        clock.advance(seconds=165)
        await app.check_session()
        await ui.settle(pilot)
        assert ui.shows(app, "15 detik")
        await ui.keys(pilot, "x")
        assert ui.at(app, "menu.title")
        assert not ui.shows(app, "15 detik")
        assert SITI.name in ui.title(app)


def test_countdown_snapshot(snap_compare, make_app, clock):
    async def idle(pilot):
        await settle(pilot)
        clock.advance(seconds=170)
        await pilot.app.check_session()
        await pilot.pause()

    assert snap_compare(make_app(signed_in=SITI), run_before=idle, terminal_size=(80, 24))


async def test_idle_timeout_wipes_the_session(make_app, demo_rt, clock):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, "4")
        clock.advance(seconds=181)
        await app.check_session()
        await ui.settle(pilot)
        assert ui.at(app, "login.title")
        assert ui.focused_value(app) == ui.t("login.nib_placeholder")
        assert SITI.name not in ui.text(app)
        assert "tidak ada aktivitas" in ui.status(app)
        await ui.keys(pilot, "escape")
        assert ui.at(app, "login.title")
    assert _logout_reasons(demo_rt) == ["idle"]


async def test_session_limit_ends_even_an_active_session(make_app, demo_rt, clock):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for _ in range(12):
            clock.advance(seconds=151)
            await pilot.press("down")
            await app.check_session()
        await ui.settle(pilot)
        assert ui.at(app, "login.title")
    assert _logout_reasons(demo_rt) == ["session_limit"]


async def test_typed_login_input_is_wiped_when_idle(make_app, clock):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, *SITI.nib)
        clock.advance(seconds=181)
        await app.check_session()
        await ui.settle(pilot)
        assert ui.focused_value(app) == ui.t("login.nib_placeholder")
        assert SITI.nib not in ui.text(app)


async def test_the_running_app_watches_the_session_by_itself(make_app, demo_rt, clock):
    """Nothing here calls the session check: the app's own timer must notice the idle session,
    count down, and wipe it."""
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        assert ui.at(app, "menu.title")
        clock.advance(seconds=demo_rt.settings.idle_seconds - 5)
        await ui.until(pilot, lambda: ui.shows(app, "detik"))
        clock.advance(seconds=6)
        await ui.until(pilot, lambda: ui.at(app, "login.title"))
        assert SITI.name not in ui.text(app)
        assert "tidak ada aktivitas" in ui.status(app)
    assert _logout_reasons(demo_rt) == ["idle"]


@pytest.mark.parametrize("leave", [["ctrl+c", "y"], ["0"]])
async def test_kiosk_sign_out_returns_to_indonesian_with_nothing_kept(make_app, leave):
    app = _kiosk(make_app, signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        await ui.keys(pilot, "f2")
        assert ui.at(app, "menu.title", "en")
        await ui.keys(pilot, *leave)
        await ui.until(pilot, lambda: ui.at(app, "login.title"))
        assert ui.shows(app, ui.t("login.welcome"))
        assert SITI.name not in ui.text(app)
        assert app.language == "id"
        assert len(app.screen_stack) == 1


async def test_ctrl_c_on_the_kiosk_login_screen_asks_nothing(make_app):
    app = _kiosk(make_app)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        await ui.keys(pilot, *"2601", "ctrl+c")
        assert not ui.shows(app, ui.t("session.leave_question"))
        assert ui.at(app, "login.title")
        assert ui.focused_value(app) == "2601"
        assert app.is_running


@pytest.mark.parametrize("dialog", ["leave", "countdown"])
async def test_session_dialogs_are_compact_and_leave_the_screen_readable(make_app, clock, dialog):
    from textual._context import visible_screen_stack

    app = _kiosk(make_app, signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        if dialog == "leave":
            await ui.keys(pilot, "ctrl+c")
        else:
            clock.advance(seconds=165)
            await app.check_session()
            await ui.settle(pilot)
        box = app.screen.query_one(".modal-box")
        assert box.region.height <= 6 and box.region.width <= 62, box.region
        assert app.screen.styles.background.a <= 0.25
        token = visible_screen_stack.set(app._background_screens)
        try:
            behind = [strip.text for strip in app.screen._compositor.render_strips()]
        finally:
            visible_screen_stack.reset(token)
        greeting = ui.t("menu.greeting", name=SITI.name, nib=SITI.nib)
        assert greeting.split(".")[0][:40] in " ".join(" ".join(behind).split())
