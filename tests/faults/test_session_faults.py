"""Faults inside a session: a busy database is a message that keeps what was typed; any other
error is logged without locals, audited, and answered with an apology on a wiped session."""

from __future__ import annotations

import logging
import sqlite3

import pytest
from sqlalchemy.engine import make_url
from sqlmodel import col, select

from kidb_tui import db
from kidb_tui.models import AuditEvent
from kidb_tui.screens.auth.login import LoginScreen
from kidb_tui.services import auth, notifications
from tests import ui
from tests.conftest import SITI, settle

SECRET_SENTINEL = "SECRET-SENTINEL-4711"


def screen_text(app) -> str:
    """Everything the current screen shows, as a person reads it."""
    return ui.flat(app)


@pytest.fixture
def locked_database(demo_rt, monkeypatch):
    """Another writer holds SQLite's write lock longer than the (shortened) busy timeout."""
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 50)
    demo_rt.engine.dispose()
    holder = sqlite3.connect(make_url(demo_rt.settings.database_url).database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    yield holder
    holder.rollback()
    holder.close()


async def test_busy_database_at_login_is_a_message_and_the_form_is_kept(make_app, locked_database):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, *SITI.nib, "enter", *SITI.secret, "enter")
        assert ui.at(app, "login.title")
        assert "Sistem sedang sibuk" in screen_text(app)
        assert ui.row_after(app, ui.t("field.nib")) == SITI.nib
        assert ui.focused_label(app) == ui.t("field.secret")
        assert ui.focused_value(app) == "•" * len(SITI.secret)
        locked_database.rollback()
        await ui.keys(pilot, "enter")
        assert ui.at(app, "menu.title")
        assert SITI.name in ui.title(app)
    assert app.return_code in (0, None)


async def test_busy_database_in_english_says_so_in_english(make_app, locked_database):
    app = make_app(language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, *SITI.nib, "enter", *SITI.secret, "enter")
        assert "The system is busy" in screen_text(app)


def _boom(*_args, **_kwargs):
    pepper_copy = b"pepper-in-a-local"  # noqa: F841  (a local the crash report must never show)
    raise RuntimeError("unexpected failure")


async def test_unexpected_error_on_a_screen_apologises_wipes_and_audits(make_app, demo_rt, monkeypatch, caplog):
    monkeypatch.setattr(notifications, "inbox", _boom)
    app = make_app(signed_in=SITI)
    caplog.set_level(logging.ERROR, logger="kidb.session")
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        assert ui.at(app, "menu.title")
        await ui.keys(pilot, "5")
        assert "Maaf, terjadi kesalahan" in screen_text(app)
        assert app.identity is None
        await ui.keys(pilot, "enter")
        assert ui.at(app, "login.title")
        assert ui.focused_value(app) == ui.t("login.nib_placeholder")
        app._exception = None
    assert app.return_code in (0, None)
    with demo_rt.read() as session:
        rows = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
    error_rows = [row for row in rows if row.action == "session.error"]
    assert error_rows and error_rows[-1].actor == SITI.nib
    assert error_rows[-1].details == {"error": "RuntimeError", "signed_in": True}
    logouts = [row for row in rows if row.action == "auth.logout"]
    assert logouts[-1].details == {"reason": "error"}
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "event=session_error error=RuntimeError" in logged and "Traceback" in logged
    assert "pepper-in-a-local" not in logged


async def test_unexpected_error_in_a_worker_is_handled_the_same(make_app, demo_rt, monkeypatch):
    monkeypatch.setattr(auth, "login", _boom)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, *SITI.nib, "enter", *SECRET_SENTINEL, "enter")
        assert "Maaf, terjadi kesalahan" in screen_text(app)
        await ui.keys(pilot, "enter")
        assert ui.at(app, "login.title")
        assert SITI.nib not in ui.text(app) and "•" not in ui.text(app)
        app._exception = None
    with demo_rt.read() as session:
        row = session.exec(select(AuditEvent).where(AuditEvent.action == "session.error")).one()
    assert row.actor == "kiosk" and row.details == {"error": "RuntimeError", "signed_in": False}


async def test_error_in_the_apps_own_loop_ends_the_session_with_a_plain_apology(make_app, demo_rt):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.call_later(_boom)
        await app._exception_event.wait()
        app._exception = None
    assert app.return_code == 1
    with demo_rt.read() as session:
        rows = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
    assert [row.action for row in rows[-2:]] == ["session.error", "auth.logout"]
    assert rows[-1].details == {"reason": "error"}


async def test_a_screen_that_keeps_failing_ends_the_session(make_app, monkeypatch):
    """An error that comes back on every fresh login screen must not loop for ever."""
    monkeypatch.setattr(LoginScreen, "compose_body", _boom)
    app = make_app()
    async with app.run_test(size=(80, 24)):
        await app._exception_event.wait()
        app._exception = None
    assert app.return_code == 1


def test_apology_snapshot(snap_compare, make_app, monkeypatch):
    monkeypatch.setattr(notifications, "inbox", _boom)

    async def fail_on_a_screen(pilot):
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        pilot.app._exception = None

    assert snap_compare(make_app(signed_in=SITI), run_before=fail_on_a_screen, terminal_size=(80, 24))


def test_busy_snapshot(snap_compare, make_app, locked_database):
    async def log_in_while_locked(pilot):
        await pilot.press(*SITI.nib, "enter", *SITI.secret, "enter")
        await ui.settle(pilot)  # the login worker's SystemBusy is the screen's to show, not the test's

    assert snap_compare(make_app(), run_before=log_in_while_locked, terminal_size=(80, 24))


async def test_busy_database_on_a_screen_handler_keeps_the_session(make_app, demo_rt, monkeypatch):
    """Opening a notification writes (read mark) from the screen's own handler: with the
    database locked the screen says so, the participant stays signed in, and the app answers."""
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, "5")
        monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 50)
        demo_rt.engine.dispose()
        holder = sqlite3.connect(make_url(demo_rt.settings.database_url).database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            await ui.keys(pilot, "enter")
            assert "Sistem sedang sibuk" in screen_text(app)
            assert SITI.name in ui.title(app)
        finally:
            holder.rollback()
            holder.close()
        await ui.keys(pilot, "enter")
        assert "Sistem sedang sibuk" not in screen_text(app)
        await ui.keys(pilot, "escape")
        assert ui.at(app, "menu.title")
    assert app.return_code in (0, None)


async def test_busy_database_in_a_key_binding_keeps_the_session(make_app, monkeypatch):
    from kidb_tui.errors import SystemBusy
    from kidb_tui.screens.menu import MenuScreen as Menu

    async def busy(self, item):
        raise SystemBusy()

    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        monkeypatch.setattr(Menu, "action_open", busy)
        await ui.keys(pilot, "2")
        assert "Sistem sedang sibuk" in screen_text(app)
        monkeypatch.undo()
        await ui.keys(pilot, "2")
        assert ui.at(app, "status.title")
    assert app.identity is not None
