"""Activation screen: snapshots at 80x24 and the flows driven with keys, checked in the database."""

import json

import pytest
from sqlmodel import select

from kidb_tui.errors import AuthError
from kidb_tui.masked import SecretStr
from kidb_tui.models import AuditEvent, KioskAccount, Participant
from kidb_tui.services import auth
from tests import ui
from tests.conftest import RINA, SITI

TALL = (80, 40)

GOOD_PIN = "482915"
RINA_BIRTH = "15-12-1995"


async def _activate(pilot, nib=RINA.nib, nik=RINA.nik, birth=RINA_BIRTH, kind="pin", secret=GOOD_PIN, confirm=None):
    """Open activation from the login screen with F3 and type everything with the keyboard."""
    await ui.keys(pilot, "f3")
    assert ui.at(pilot.app, "activation.title")
    await ui.keys(pilot, *nib, "enter", *nik, "enter", *birth, "enter")
    if kind == "password":
        await ui.keys(pilot, "right")
    await ui.keys(pilot, "enter", *secret, "enter", *(secret if confirm is None else confirm), "enter")


def _rina_account(rt):
    with rt.read() as session:
        participant = session.exec(select(Participant).where(Participant.nib == RINA.nib)).one()
        return session.exec(select(KioskAccount).where(KioskAccount.participant_id == participant.id)).first()


def test_activation_snapshot(snap_compare, make_app):
    assert snap_compare(make_app(), press=["f3"], terminal_size=(80, 24))


def test_activation_errors_snapshot(snap_compare, make_app):
    async def malformed(pilot):
        await _activate(pilot, nib="2601", nik="3201", birth="15121995")

    assert snap_compare(make_app(), run_before=malformed, terminal_size=(80, 24))


def test_activation_mismatch_snapshot(snap_compare, make_app):
    async def wrong_nik(pilot):
        await _activate(pilot, nik=SITI.nik)

    assert snap_compare(make_app(), run_before=wrong_nik, terminal_size=(80, 24))


async def test_rina_activates_lands_on_menu_and_can_log_in(make_app, demo_rt):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _activate(pilot)
        assert ui.at(app, "menu.title")
        assert RINA.name in ui.title(app)
        assert ui.shows(app, "sudah aktif")
        await ui.keys(pilot, "0")
        assert ui.at(app, "login.title")
        await ui.keys(pilot, *RINA.nib, "enter", *GOOD_PIN, "enter")
        assert ui.at(app, "menu.title")
        assert RINA.name in ui.title(app)
    account = _rina_account(demo_rt)
    assert account is not None and account.secret_kind == "pin" and account.status == "active"
    with demo_rt.read() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.subject == RINA.nib)).all()
    activated = [event for event in events if event.action == "auth.activated"]
    assert len(activated) == 1
    for event in events:
        details = json.dumps(event.details)
        assert GOOD_PIN not in details and RINA.nik not in details


async def test_password_kind_activates(make_app, demo_rt):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _activate(pilot, kind="password", secret="Bogor-Hujan-77")
        assert ui.at(app, "menu.title")
    assert _rina_account(demo_rt).secret_kind == "password"


WEAK = [
    ("pin", "111111", None, "secret", "berulang"),
    ("pin", "123456", None, "secret", "berturut-turut"),
    ("pin", "654321", None, "secret", "berturut-turut"),
    ("pin", "151295", None, "secret", "tanggal lahir"),
    ("pin", "951215", None, "secret", "tanggal lahir"),
    ("pin", "260100", None, "secret", "dari NIB"),
    ("pin", "015512", None, "secret", "dari NIK"),
    ("pin", "123123", None, "secret", "paling sering"),
    ("pin", "48291", None, "secret", "tepat 6 angka"),
    ("password", "password", None, "secret", "paling sering"),
    ("password", "Kopi-77", None, "secret", "minimal 8"),
    ("pin", GOOD_PIN, "482916", "secret_confirm", "tidak sama"),
]


@pytest.mark.parametrize(("kind", "secret", "confirm", "field", "rule_text"), WEAK)
async def test_weak_secret_is_refused_with_field_and_rule(make_app, demo_rt, kind, secret, confirm, field, rule_text):
    app = make_app()
    async with app.run_test(size=TALL) as pilot:
        await _activate(pilot, kind=kind, secret=secret, confirm=confirm)
        assert ui.at(app, "activation.title")
        label = ui.t(f"field.{field}")
        message = ui.field_error(app, label)
        assert label in message and rule_text in message
        assert label in ui.status(app)
        assert "•" not in ui.row_after(app, ui.t("field.secret"))
        assert "•" not in ui.row_after(app, ui.t("field.secret_confirm"))
        assert ui.row_after(app, ui.t("field.nik")) == RINA.nik
        assert ui.focused_label(app) == ui.t("field.secret")
    assert _rina_account(demo_rt) is None


async def test_malformed_identity_fields_each_get_their_rule(make_app, demo_rt):
    app = make_app()
    async with app.run_test(size=TALL) as pilot:
        await _activate(pilot, nib="2601", nik="3201", birth="15121995")
        nib, nik, birth = (ui.field_error(app, ui.t(f"field.{name}")) for name in ("nib", "nik", "birth_date"))
        assert "NIB" in nib and "11 angka" in nib
        assert "NIK" in nik and "16 angka" in nik
        assert "Tanggal lahir" in birth and "HH-BB-TTTT" in birth
        assert "3 isian" in ui.status(app)
        assert ui.focused_label(app) == ui.t("field.nib")
    assert _rina_account(demo_rt) is None


async def test_wrong_nik_gets_the_mismatch_message_and_no_account(make_app, demo_rt):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _activate(pilot, nik=SITI.nik)
        assert ui.at(app, "activation.title")
        status = ui.status(app)
        for part in ("NIB di kartu peserta", "NIK di KTP", "tanggal lahir", "dihitung", "5 kali", "30 menit"):
            assert part in status
        assert "NIK salah" not in status
        assert ui.focused_label(app) == ui.t("field.nib")
        assert ui.focused_value(app) == RINA.nib
    assert _rina_account(demo_rt) is None
    with demo_rt.read() as session:
        failed = session.exec(select(AuditEvent).where(AuditEvent.action == "auth.activation_failed")).all()
    assert len(failed) == 1 and SITI.nik not in json.dumps(failed[0].details)


async def test_wrong_birth_date_gets_the_same_message(make_app, demo_rt):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _activate(pilot, nik=SITI.nik)
        wrong_nik = ui.status(app)
        await ui.keys(pilot, "escape")
        assert ui.at(app, "login.title")
        await _activate(pilot, birth="16-12-1995")
        assert ui.status(app) == wrong_nik
    assert _rina_account(demo_rt) is None


async def test_already_active_account_points_to_login(make_app, demo_rt):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _activate(pilot, nib=SITI.nib, nik=SITI.nik, birth="22-04-1985")
        assert ui.at(app, "activation.title")
        status = ui.status(app)
        assert "sudah aktif" in status and "petugas cabang" in status
        assert SITI.name not in ui.title(app)
    with demo_rt.read() as session:
        assert len(session.exec(select(KioskAccount)).all()) == 5


async def test_language_switch_keeps_kind_and_typed_values(make_app):
    app = make_app()
    async with app.run_test(size=TALL) as pilot:
        await ui.keys(pilot, "f3")
        await ui.keys(pilot, *RINA.nib, "tab", "tab", "tab", "right", "enter")
        await ui.keys(pilot, "f2")
        assert ui.at(app, "activation.title", "en")
        assert ui.row_after(app, ui.t("field.nib", "en")) == RINA.nib
        assert "●▌ " + ui.t("policy.password", "en") in ui.row_after(app, ui.t("policy.kind_label", "en"))
        assert ui.focused_label(app) == ui.t("field.secret", "en")
        assert ui.focused_value(app) == "at least 8 characters"


async def test_escape_returns_to_login(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, "f3")
        assert ui.at(app, "activation.title")
        await ui.keys(pilot, "escape")
        assert ui.at(app, "login.title")


async def test_tab_visits_every_field_and_the_button_then_wraps(make_app):
    app = make_app()
    async with app.run_test(size=TALL) as pilot:
        await ui.keys(pilot, "f3")
        visited = []
        for _ in range(7):
            visited.append(ui.focused_label(app))
            await ui.keys(pilot, "tab")
        labels = [ui.t(f"field.{name}") for name in ("nib", "nik", "birth_date")]
        labels += [ui.t("policy.kind_label"), ui.t("field.secret"), ui.t("field.secret_confirm"),
                   ui.t("activation.submit")]
        assert visited == labels
        assert ui.focused_label(app) == ui.t("field.nib")


def _block_card(rt, nib: str) -> None:
    with rt.write() as session:
        row = session.exec(select(Participant).where(Participant.nib == nib)).one()
        row.card_status = "blocked"
        session.add(row)


async def test_a_blocked_card_is_refused_as_at_login_and_not_signed_in(make_app, demo_rt):
    _block_card(demo_rt, RINA.nib)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _activate(pilot)
        assert ui.at(app, "activation.title")
        assert "Kartu diblokir" in ui.status(app)
        assert RINA.name not in ui.title(app)
    assert _rina_account(demo_rt) is None


async def test_the_new_secret_reaches_the_service_masked(make_app, monkeypatch):
    seen = []

    def activate(rt, nib, nik, birth_date, kind, secret, confirmation):
        seen.extend([secret, confirmation])
        raise AuthError("activation.mismatch")

    monkeypatch.setattr(auth, "activate", activate)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _activate(pilot)
    assert [type(value) for value in seen] == [SecretStr, SecretStr]
    assert [value.get_secret_value() for value in seen] == [GOOD_PIN, GOOD_PIN]
