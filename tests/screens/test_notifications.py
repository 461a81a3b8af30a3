"""Notifikasi: snapshots of the inbox and an opened notification; opening marks it read and the
menu's unread count drops; every kind has its texts in both languages."""

import json

import pytest
from sqlmodel import col, select

from kidb_tui.i18n import Translator
from kidb_tui.models import Notification, Participant
from kidb_tui.resources import data_dir
from kidb_tui.services import notifications
from tests import ui
from tests.conftest import BUDI, FROZEN_AT, SITI, settle

MARKUP = "[bold]x[/bold] [@click=app.quit]"
KINDS = {
    "account_activated": {},
    "secret_changed": {},
    "password_reset": {},
    "card_blocked": {"reason": "Kartu hilang, dilaporkan peserta"},
    "card_unblocked": {"reason": "Kartu ditemukan"},
    "contact_changed": {"field": "phone"},
    "claim_received": {"reference": "KIDB-2026-000001", "amount": 4_500_000},
    "claim_assessed": {"reference": "KIDB-2026-000001", "amount": 4_500_000},
    "claim_approved": {"reference": "KIDB-2026-000001", "amount": 4_500_000},
    "claim_paid": {"reference": "KIDB-2026-000001", "amount": 4_500_000},
    "claim_closed": {"reference": "KIDB-2026-000001", "amount": 4_500_000},
    "claim_rejected": {"reference": "KIDB-2026-000001", "reason": "Masa tunggu belum selesai", "reason_code": "waiting"},
}


def _inbox_of(*keys: str):
    async def run_before(pilot) -> None:
        await ui.keys(pilot, "5", *keys)

    return run_before


def _rows(app) -> list[str]:
    """The inbox's lines: each starts with its date (after the mark of an unread one)."""
    return [row.strip() for row in ui.lines(app) if " 2026 " in row and " WIB  " in row]


def _menu_item(app) -> str:
    return ui.row_after(app, "5 ")


def _notify(rt, person, kind: str, **params) -> None:
    with rt.write() as session:
        participant = session.exec(select(Participant).where(Participant.nib == person.nib)).one()
        session.add(Notification(participant_id=participant.id, kind=kind, params=params, created_at=rt.now()))


def test_inbox_snapshot(snap_compare, make_app):
    assert snap_compare(make_app(signed_in=BUDI), run_before=_inbox_of(), terminal_size=(80, 24))


def test_opened_notification_snapshot(snap_compare, make_app):
    assert snap_compare(make_app(signed_in=BUDI), run_before=_inbox_of("down", "enter"), terminal_size=(80, 24))


async def test_inbox_lists_newest_first_with_unread_marked(make_app, demo_rt):
    demo_rt.clock.advance(hours=1)
    _notify(demo_rt, BUDI, "claim_assessed", reference="KIDB-2026-000001", amount=4_500_000)
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=(80, 24)) as pilot:
        await _inbox_of()(pilot)
        assert ui.at(app, "inbox.title")
        rows = _rows(app)
        assert rows[0].startswith("● BARU  25 Nov 2026 11.00 WIB  Klaim KIDB-2026-000001 ditetapkan")
        assert rows[1].startswith("● BARU  25 Nov 2026 10.00 WIB  Klaim KIDB-2026-000001 diterima")
        assert ui.shows(app, "3 belum dibaca dari 3")


async def test_opening_marks_read_and_menu_count_drops(make_app, demo_rt):
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        assert "2 belum dibaca" in _menu_item(app)
        await ui.keys(pilot, "5", "enter")
        assert ui.shows(app, "Rp4.500.000")
        assert ui.shows(app, "Klaim KIDB-2026-000001 diterima")
        assert not _rows(app)[0].startswith("● BARU")
        assert ui.shows(app, "1 belum dibaca dari 2")
        await ui.keys(pilot, "escape")
        assert ui.at(app, "menu.title")
        assert "1 belum dibaca" in _menu_item(app)
        await ui.keys(pilot, "5", "down", "enter", "escape")
        assert _menu_item(app).endswith("Notifikasi")
    with demo_rt.read() as session:
        participant = session.exec(select(Participant).where(Participant.nib == BUDI.nib)).one()
        rows = session.exec(select(Notification).where(Notification.participant_id == participant.id)).all()
    assert len(rows) == 2
    assert all(row.read_at is not None for row in rows)
    assert notifications.unread_count(demo_rt, participant.id) == 0


async def test_opening_twice_keeps_the_first_read_time(make_app, demo_rt):
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=(80, 24)) as pilot:
        await _inbox_of("enter")(pilot)
        demo_rt.clock.advance(hours=1)
        await pilot.press("enter")
        await settle(pilot)
    with demo_rt.read() as session:
        read_at = session.exec(select(Notification.read_at).where(col(Notification.read_at).is_not(None))).all()
    assert [value.replace(tzinfo=FROZEN_AT.tzinfo) for value in read_at] == [FROZEN_AT]


async def test_markup_in_parameters_is_shown_literally(make_app, demo_rt):
    _notify(demo_rt, SITI, "claim_rejected", reference="KIDB-2026-000042", reason=MARKUP)
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await _inbox_of("enter")(pilot)
        assert ui.shows(app, MARKUP)
        assert app.is_running


async def test_unknown_kind_or_missing_parameter_gets_a_general_text(make_app, demo_rt):
    _notify(demo_rt, SITI, "claim_paid", reference="KIDB-2026-000042")
    demo_rt.clock.advance(minutes=1)
    _notify(demo_rt, SITI, "something_new")
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await _inbox_of("enter")(pilot)
        detail = [row.strip() for row in ui.lines(app)]
        assert "Pemberitahuan" in detail
        await ui.keys(pilot, "down", "enter")
        assert ui.shows(app, "petugas cabang")


async def test_empty_inbox_says_so_and_offers_no_read_key(make_app, demo_rt):
    with demo_rt.write() as session:
        participant = session.exec(select(Participant).where(Participant.nib == SITI.nib)).one()
        for row in session.exec(select(Notification).where(Notification.participant_id == participant.id)):
            session.delete(row)
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await _inbox_of("enter")(pilot)
        assert ui.shows(app, "Belum ada notifikasi")
        assert "Baca" not in ui.key_bar(app)


async def test_english_inbox(make_app):
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=(80, 24)) as pilot:
        await _inbox_of("enter", "f2")(pilot)
        rows = _rows(app)
        assert "Claim KIDB-2026-000001 received" in rows[0]
        assert rows[1].startswith("● NEW")
        assert ui.shows(app, "We have received claim KIDB-2026-000001 for Rp4.500.000")


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_has_title_and_body(language, kind):
    translator = Translator(language)
    for part in ("title", "body"):
        key = f"notif.{kind}.{part}"
        text = translator.t(key, **KINDS[kind])
        assert text != key
        assert "{" not in text
    if "amount" in KINDS[kind]:
        assert "Rp4.500.000" in translator.t(f"notif.{kind}.body", **KINDS[kind])
    if kind == "contact_changed":
        assert translator.t("field.phone") in translator.t(f"notif.{kind}.title", **KINDS[kind])


def test_account_catalogues_have_the_same_keys():
    catalogues = [json.loads((data_dir() / "i18n" / lang / "account.json").read_text("utf-8")) for lang in ("id", "en")]
    assert catalogues[0].keys() == catalogues[1].keys()
