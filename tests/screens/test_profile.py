"""Profil: snapshots; contact updates driven with keys and checked in the database; a changed phone
or email asks for the PIN/password again; every bad input names its field and rule and saves nothing."""

import pytest
from sqlmodel import func, select

from kidb_tui.models import AuditEvent, LoginThrottle, Notification, Participant
from tests import ui
from tests.conftest import BUDI, JOKO, SITI, settle

MARKUP = "[bold]x[/bold] [@click=app.quit]"
LABEL = {name: ui.t(f"field.{name}") for name in ("address", "postal_code", "phone", "email", "secret", "nib")}


def _profile_of(*steps):
    """Open Profil from the menu, then run each step: a key name, or a (field, text) pair to retype."""

    async def run_before(pilot) -> None:
        await ui.keys(pilot, "4")
        assert ui.at(pilot.app, "profile.title")
        for step in steps:
            if isinstance(step, tuple):
                field, text = step
                await ui.retype(pilot, LABEL[field], text)
            else:
                await ui.keys(pilot, step)

    return run_before


def _row(rt, person) -> Participant:
    with rt.read() as session:
        return session.exec(select(Participant).where(Participant.nib == person.nib)).one()


def _count(rt, model, **where) -> int:
    with rt.read() as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return session.exec(query).one()


def _status(app) -> str:
    return ui.status(app)


def _field_error(app, field: str) -> str:
    return ui.field_error(app, LABEL[field])


def _secret_shown(app) -> bool:
    return any(row.strip().startswith(LABEL["secret"]) for row in ui.lines(app))


def _snapshot_state(rt, person) -> tuple:
    row = _row(rt, person)
    return (
        row.address, row.postal_code, row.phone, row.email, row.contact_confirmed_at,
        _count(rt, Notification, participant_id=row.id, kind="contact_changed"),
        _count(rt, AuditEvent, action="profile.updated"), _count(rt, AuditEvent, action="profile.confirmed"),
    )


def test_profile_snapshot(snap_compare, make_app):
    assert snap_compare(make_app(signed_in=BUDI), run_before=_profile_of(), terminal_size=(80, 24))


def test_profile_errors_snapshot(snap_compare, make_app):
    steps = (("address", ""), ("postal_code", "0123"), ("phone", "12345"), ("email", "budi@"), "f5")
    assert snap_compare(make_app(signed_in=BUDI), run_before=_profile_of(*steps), terminal_size=(80, 24))


def test_profile_asks_for_secret_snapshot(snap_compare, make_app):
    steps = (("phone", "0812 9999 8888"), "f5")
    assert snap_compare(make_app(signed_in=JOKO), run_before=_profile_of(*steps), terminal_size=(80, 24))


async def test_shows_identity_read_only_and_contact_prefilled(make_app):
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=(80, 24)) as pilot:
        await _profile_of()(pilot)
        assert ui.row_after(app, LABEL["nib"]) == BUDI.nib
        assert ui.row_after(app, ui.t("field.full_name")) == BUDI.name
        assert ui.row_after(app, ui.t("field.birth_date")) == "17 Agustus 1978"
        assert ui.row_after(app, ui.t("field.membership_start")) == "1 Juli 2010"
        assert ui.row_after(app, LABEL["phone"]) == "0812-3456-7802"
        assert ui.row_after(app, LABEL["email"]) == "budi.santoso@example.co.id"
        assert not _secret_shown(app)
        reached = []
        for _ in range(6):
            reached.append(ui.focused_label(app))
            await ui.keys(pilot, "tab")
        assert reached[:4] == [LABEL[name] for name in ("address", "postal_code", "phone", "email")]
        assert LABEL["nib"] not in reached and ui.t("field.birth_date") not in reached


async def test_address_only_update_saves_without_secret(make_app, demo_rt):
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=(80, 24)) as pilot:
        await _profile_of(("address", "Jl. Braga No. 99, Bandung"), ("postal_code", "40112"), "f5")(pilot)
        assert not _secret_shown(app)
        assert "Alamat, Kode pos" in _status(app)
    row = _row(demo_rt, BUDI)
    assert (row.address, row.postal_code) == ("Jl. Braga No. 99, Bandung", "40112")
    assert row.contact_confirmed_at is not None
    with demo_rt.read() as session:
        kinds = session.exec(
            select(Notification.params).where(Notification.participant_id == row.id, Notification.kind == "contact_changed")
        ).all()
        audit = session.exec(select(AuditEvent).where(AuditEvent.action == "profile.updated")).one()
    assert sorted(params["field"] for params in kinds) == ["address", "postal_code"]
    assert audit.subject == BUDI.nib
    assert audit.details["fields"] == ["address", "postal_code"]


async def test_nothing_changed_confirms_the_data(make_app, demo_rt):
    confirmed = _count(demo_rt, AuditEvent, action="profile.confirmed")
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=(80, 24)) as pilot:
        await _profile_of("f5")(pilot)
        assert "dikonfirmasi" in _status(app)
        assert ui.shows(app, ui.t("profile.contact", confirmed_at="2026-11-25T03:00:00+00:00"))
    assert _count(demo_rt, AuditEvent, action="profile.confirmed") == confirmed + 1
    assert _count(demo_rt, Notification, kind="contact_changed") == 0


@pytest.mark.parametrize(
    ("field", "typed", "stored", "shown"),
    [("phone", "0812 9999 8888", "+6281299998888", "0812-9999-8888"),
     ("email", "Joko.Baru@Example.co.id", "Joko.Baru@example.co.id", "Joko.Baru@example.co.id")],
)
async def test_phone_or_email_change_asks_for_secret(make_app, demo_rt, field, typed, stored, shown):
    before = _snapshot_state(demo_rt, JOKO)
    app = make_app(signed_in=JOKO)
    async with app.run_test(size=(80, 24)) as pilot:
        await _profile_of((field, typed), "f5")(pilot)
        assert _secret_shown(app)
        assert ui.focused_label(app) == LABEL["secret"]
        assert "PIN/sandi" in _status(app)
        assert _snapshot_state(demo_rt, JOKO) == before
        await pilot.press("enter")
        await settle(pilot)
        assert "PIN / kata sandi: wajib diisi." in _field_error(app, "secret")
        assert _snapshot_state(demo_rt, JOKO) == before
        await pilot.press(*"111333", "enter")
        await settle(pilot)
        assert "salah" in _status(app)
        assert "Sisa percobaan" in _field_error(app, "secret")
        assert "•" not in ui.focused_value(app)
        assert _snapshot_state(demo_rt, JOKO) == before
        await pilot.press(*JOKO.secret, "enter")
        await settle(pilot)
        assert not _secret_shown(app)
        assert ui.row_after(app, LABEL[field]) == shown
        assert "Tersimpan" in _status(app)
    row = _row(demo_rt, JOKO)
    assert getattr(row, field) == stored
    assert _count(demo_rt, Notification, participant_id=row.id, kind="contact_changed") == 1
    assert _count(demo_rt, AuditEvent, action="profile.updated") == 1
    assert _count(demo_rt, AuditEvent, action="auth.reauth_failed") == 1
    assert _count(demo_rt, LoginThrottle, key=JOKO.nib) == 0


async def test_too_many_wrong_secrets_lock_and_sign_out(make_app, demo_rt):
    before = _snapshot_state(demo_rt, JOKO)
    app = make_app(signed_in=JOKO)
    async with app.run_test(size=(80, 24)) as pilot:
        await _profile_of(("email", "joko@example.com"), "f5")(pilot)
        for _ in range(demo_rt.settings.lock_threshold):
            await pilot.press(*"111333", "enter")
            await settle(pilot)
        assert ui.at(app, "login.title")
        assert JOKO.name not in ui.text(app)
        assert "terkunci" in _status(app)
    assert _snapshot_state(demo_rt, JOKO) == before


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("address", "", "Alamat: wajib diisi."),
        ("address", "Jl. Mawar\u202e No. 1", "Alamat: berisi karakter kontrol"),
        ("postal_code", "0123", "Kode pos: harus 5 angka"),
        ("postal_code", "4011a", "Kode pos: harus 5 angka"),
        ("postal_code", "401112", "Kode pos: harus 5 angka"),
        ("phone", "12345", "Nomor HP: harus nomor HP Indonesia"),
        ("phone", "0212345678", "Nomor HP: harus nomor HP Indonesia"),
        ("email", "budi@", "Email: bukan alamat email yang sah"),
        ("email", "", "Email: wajib diisi."),
    ],
)
async def test_bad_input_names_field_and_rule_and_saves_nothing(make_app, demo_rt, field, typed, message):
    before = _snapshot_state(demo_rt, BUDI)
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=(80, 24)) as pilot:
        await _profile_of()(pilot)
        await ui.put(pilot, LABEL[field], typed)
        await ui.keys(pilot, "f5")
        assert message in _field_error(app, field)
        assert message in _status(app)
        assert ui.focused_label(app) == LABEL[field]
        assert not _secret_shown(app)
    assert _snapshot_state(demo_rt, BUDI) == before


async def test_several_bad_fields_each_get_their_message(make_app, demo_rt):
    before = _snapshot_state(demo_rt, SITI)
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await _profile_of(("postal_code", "123"), ("phone", "0800"), ("email", "siti at example"), "f5")(pilot)
        assert "Kode pos: harus 5 angka" in _field_error(app, "postal_code")
        assert "Nomor HP: harus nomor HP Indonesia" in _field_error(app, "phone")
        assert "Email: bukan alamat email" in _field_error(app, "email")
        assert _field_error(app, "address") == ""
        assert "3 isian" in _status(app)
    assert _snapshot_state(demo_rt, SITI) == before


async def test_markup_in_address_is_kept_and_shown_literally(make_app, demo_rt):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await _profile_of(("address", MARKUP), "f5")(pilot)
        assert "Diperbarui: Alamat" in _status(app)
        await ui.keys(pilot, "f2")
        assert app.is_running
        assert ui.at(app, "profile.title", "en")
        assert ui.row_after(app, ui.t("field.address", "en")) == MARKUP
    assert _row(demo_rt, SITI).address == MARKUP


async def test_language_switch_keeps_typed_values_and_the_secret_prompt(make_app):
    app = make_app(signed_in=JOKO)
    async with app.run_test(size=(80, 24)) as pilot:
        await _profile_of(("phone", "081299998888"), "f5", "f2")(pilot)
        assert ui.at(app, "profile.title", "en")
        assert ui.row_after(app, ui.t("field.phone", "en")) == "081299998888"
        assert any(row.strip().startswith(ui.t("field.secret", "en")) for row in ui.lines(app))
        assert ui.focused_label(app) == ui.t("field.secret", "en")
