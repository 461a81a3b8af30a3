"""Ganti PIN: snapshot at 80x24 and the flows for SITI, checked in the database."""

from sqlmodel import select

from kidb_tui.errors import AuthError
from kidb_tui.masked import SecretStr
from kidb_tui.models import AuditEvent, KioskAccount, Notification, Participant
from kidb_tui.services import auth
from kidb_tui.services.auth import login
from tests import ui
from tests.conftest import SITI, settle

CURRENT, NEW, REPEAT = ui.t("field.secret_current"), ui.t("change.new_secret"), ui.t("change.new_secret_confirm")

NEW_PIN = "369147"


async def _change(pilot, current=SITI.secret, secret=NEW_PIN, confirm=None, kind="pin"):
    """From the menu: 7 opens Ganti PIN; everything is typed with the keyboard."""
    await ui.keys(pilot, "7")
    assert ui.at(pilot.app, "change.title")
    await ui.keys(pilot, *current, "enter")
    if kind == "password":
        await ui.keys(pilot, "right")
    await ui.keys(pilot, "enter", *secret, "enter", *(secret if confirm is None else confirm), "enter")


def _siti_account(rt) -> KioskAccount:
    with rt.read() as session:
        return session.exec(
            select(KioskAccount).join(Participant).where(Participant.nib == SITI.nib)
        ).one()


def test_change_secret_errors_snapshot(snap_compare, make_app):
    async def weak_new_pin(pilot):
        await _change(pilot, secret="111111")

    assert snap_compare(make_app(signed_in=SITI), run_before=weak_new_pin, terminal_size=(80, 24))


async def test_good_change_new_pin_logs_in_old_does_not(make_app, demo_rt):
    before = _siti_account(demo_rt).secret_hash
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _change(pilot)
        assert ui.at(app, "menu.title")
        assert ui.shows(app, "sudah diganti")
        assert ui.shows(app, "Notifikasi (2 belum dibaca)")
    assert _siti_account(demo_rt).secret_hash != before
    assert login(demo_rt, SITI.nib, NEW_PIN).ok
    assert not login(demo_rt, SITI.nib, SITI.secret).ok
    with demo_rt.read() as session:
        siti_id = _siti_account(demo_rt).participant_id
        kinds = session.exec(select(Notification.kind).where(Notification.participant_id == siti_id)).all()
        changed = session.exec(select(AuditEvent).where(AuditEvent.action == "auth.secret_changed")).one()
    assert "secret_changed" in kinds
    assert NEW_PIN not in str(changed.details) and SITI.secret not in str(changed.details)


async def test_change_to_password(make_app, demo_rt):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await _change(pilot, kind="password", secret="Merdeka-Tepi-Laut")
        assert ui.at(app, "menu.title")
    assert _siti_account(demo_rt).secret_kind == "password"
    assert login(demo_rt, SITI.nib, "Merdeka-Tepi-Laut").ok


async def test_wrong_current_pin_says_tries_left_and_changes_nothing(make_app, demo_rt):
    before = _siti_account(demo_rt).secret_hash
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await _change(pilot, current="999999")
        assert ui.at(app, "change.title")
        status = ui.status(app)
        assert "salah" in status and "4" in status
        assert "4" in ui.field_error(app, CURRENT)
        assert ui.focused_label(app) == CURRENT
        assert "•" not in ui.focused_value(app)
    assert _siti_account(demo_rt).secret_hash == before
    with demo_rt.read() as session:
        assert not session.exec(select(Notification).where(Notification.kind == "secret_changed")).all()


async def test_empty_current_pin_is_required_and_not_counted(make_app, demo_rt):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await _change(pilot, current="")
        message = ui.field_error(app, CURRENT)
        assert "PIN / sandi sekarang" in message and "wajib diisi" in message
    with demo_rt.read() as session:
        assert not session.exec(select(AuditEvent).where(AuditEvent.action == "auth.reauth_failed")).all()


async def test_weak_new_pin_names_field_and_rule(make_app, demo_rt):
    before = _siti_account(demo_rt).secret_hash
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await _change(pilot, secret="220485")
        message = ui.field_error(app, NEW)
        assert "PIN / kata sandi" in message and "tanggal lahir" in message
        assert ui.focused_label(app) == NEW
        assert "•" not in ui.focused_value(app)
    assert _siti_account(demo_rt).secret_hash == before


async def test_confirmation_mismatch_names_the_repeat_field(make_app, demo_rt):
    before = _siti_account(demo_rt).secret_hash
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await _change(pilot, confirm="369148")
        message = ui.field_error(app, REPEAT)
        assert "Ulangi PIN / sandi" in message and "tidak sama" in message
    assert _siti_account(demo_rt).secret_hash == before


async def test_unchanged_secret_is_refused(make_app, demo_rt):
    before = _siti_account(demo_rt).secret_hash
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await _change(pilot, secret=SITI.secret)
        message = ui.field_error(app, NEW)
        assert "sama dengan yang lama" in message
    assert _siti_account(demo_rt).secret_hash == before


async def test_too_many_wrong_current_pins_lock_and_log_out(make_app, demo_rt):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _change(pilot, current="999999")
        for _ in range(demo_rt.settings.lock_threshold - 1):
            await pilot.press(*"999999", "enter", "enter", "enter", "enter")
            await settle(pilot)
        assert ui.at(app, "login.title")
        assert SITI.name not in ui.text(app)
        assert "terkunci" in ui.status(app)
    assert not login(demo_rt, SITI.nib, SITI.secret).ok


async def test_escape_returns_to_menu(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, "7")
        assert ui.at(app, "change.title")
        await ui.keys(pilot, "escape")
        assert ui.at(app, "menu.title")


async def test_the_secrets_reach_the_service_masked(make_app, monkeypatch):
    seen = []

    def change_secret(rt, identity, current, kind, secret, confirmation):
        seen.extend([current, secret, confirmation])
        raise AuthError("auth.reauth_failed", left=4)

    monkeypatch.setattr(auth, "change_secret", change_secret)
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await _change(pilot)
    assert [type(value) for value in seen] == [SecretStr] * 3
    assert [value.get_secret_value() for value in seen] == [SITI.secret, NEW_PIN, NEW_PIN]
