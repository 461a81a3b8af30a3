"""Daftar Pencairan driven with keys from the menu to the receipt, read back from the screen,
asserting the rows written."""

import json
import threading

from sqlmodel import select

from kidb_tui.errors import AuthError, SystemBusy
from kidb_tui.masked import SecretStr
from kidb_tui.models import AuditEvent, ClaimEvent, LoginThrottle, Notification
from kidb_tui.services import claims
from kidb_tui.services.claims import ClaimDraft
from kidb_tui.services.profile import get_profile
from tests import ui
from tests.conftest import BUDI, FROZEN_AT, SITI, settle, sign_in
from tests.screens.claim_steps import (
    LABEL,
    MEDIS_DOCUMENTS,
    claim_count,
    claims_of,
    fill_form,
    open_form,
    open_requirements,
    participant,
    save,
    to_confirm,
    to_personal_data,
    type_form,
)

SIZE = (80, 24)
TALL = (80, 40)
"""For checks of everything a screen holds at once; at 80x24 a person scrolls to read it."""


async def test_siti_files_a_claim_end_to_end_with_keys(make_app, demo_rt):
    reserved_before = participant(demo_rt, SITI).reserved
    app = make_app(signed_in=SITI)
    async with app.run_test(size=TALL) as pilot:
        await ui.keys(pilot, "1")
        assert ui.at(app, "claim.type_title")
        await ui.keys(pilot, "enter")
        assert ui.at(app, "claim.req_title")
        assert ui.shows(app, ui.t("claim.limit_rule_share", pct=30, available_amount=85_000_000, max_amount=25_500_000))
        await ui.keys(pilot, "enter")
        assert ui.at(app, "claim.form_title")
        assert ui.shows(app, "Rp25.500.000")
        assert ui.focused_label(app) == LABEL["amount"]
        await type_form(pilot)
        assert "= Rp5.000.000" in ui.row_after(app, LABEL["amount"])
        assert "10 angka" in ui.row_after(app, LABEL["account_number"])
        await ui.keys(pilot, "f5")
        assert ui.at(app, "claim.personal_title")
        assert "siti.rahayu@example.co.id" in ui.row_after(app, LABEL["email"])
        await ui.keys(pilot, "f5")
        assert ui.at(app, "claim.confirm_title")
        assert ui.shows(app, "Rp5.000.000", "BCA · rekening 1234567890", "Surat keterangan dokter", "Jl. Merdeka No. 10")
        assert ui.focused_label(app) == LABEL["secret"]
        await save(pilot, SITI.secret)
        assert ui.at(app, "claim.receipt_title")
        assert ui.shows(app, "KIDB-2026-000003", "Agenda Klaim (diterima)", "Penetapan Klaim",
                        "paling lambat 2 Desember 2026 (5 hari kerja)", "Kuitansi rumah sakit")
        await ui.keys(pilot, "f10")
        assert ui.at(app, "menu.title")
        await ui.keys(pilot, "1")
        await ui.keys(pilot, "escape")
        assert ui.at(app, "menu.title")
    [claim] = claims_of(demo_rt, SITI)
    assert (claim.amount, claim.reference, claim.stage) == (5_000_000, "KIDB-2026-000003", "agenda")
    assert (claim.bank_code, claim.account_number, claim.account_holder) == ("014", "1234567890", "Siti Rahayu")
    assert tuple(claim.documents) == MEDIS_DOCUMENTS
    assert participant(demo_rt, SITI).reserved == reserved_before + 5_000_000
    with demo_rt.read() as session:
        events = session.exec(select(ClaimEvent).where(ClaimEvent.claim_id == claim.id)).all()
        notes = session.exec(select(Notification).where(Notification.participant_id == claim.participant_id,
                                                        Notification.kind == "claim_received")).all()
        audits = session.exec(select(AuditEvent).where(AuditEvent.action == "claim.submitted",
                                                       AuditEvent.subject == claim.reference)).all()
    assert [event.stage for event in events] == ["agenda"]
    assert len(notes) == 1 and notes[0].params["reference"] == claim.reference
    assert len(audits) == 1
    details = json.dumps(audits[0].details)
    assert "1234567890" not in details and "******7890" in details


async def test_simpan_pressed_again_while_saving_creates_one_claim(make_app, demo_rt, monkeypatch):
    gate = threading.Event()
    submit = claims.submit_claim
    calls = []

    def held_submit(*args):
        calls.append(args)
        gate.wait(10)
        return submit(*args)

    monkeypatch.setattr(claims, "submit_claim", held_submit)
    app = make_app(signed_in=SITI)
    async with app.run_test(size=SIZE) as pilot:
        await to_confirm(pilot)
        await pilot.press(*SITI.secret, "enter", "f5", "f5")
        await pilot.pause()
        assert ui.at(app, "claim.confirm_title")
        assert "Menyimpan" in ui.status(app)
        gate.set()
        await settle(pilot)
        assert ui.at(app, "claim.receipt_title")
    assert len(calls) == 1
    assert len(claims_of(demo_rt, SITI)) == 1


async def test_a_retry_after_a_lost_answer_returns_the_first_claim(make_app, demo_rt, monkeypatch):
    """The claim was written but the answer never came back (the database went away at commit):
    Simpan again sends the same key and shows the claim already written."""
    submit = claims.submit_claim
    keys = []

    def lost_once(rt, identity, draft, contact, secret, key):
        keys.append(key)
        receipt = submit(rt, identity, draft, contact, secret, key)
        if len(keys) == 1:
            raise SystemBusy()
        return receipt

    monkeypatch.setattr(claims, "submit_claim", lost_once)
    app = make_app(signed_in=SITI)
    async with app.run_test(size=SIZE) as pilot:
        await to_confirm(pilot)
        await save(pilot, SITI.secret)
        assert ui.at(app, "claim.confirm_title")
        assert "sibuk" in ui.status(app)
        await save(pilot, SITI.secret)
        assert ui.at(app, "claim.receipt_title")
        assert ui.shows(app, "KIDB-2026-000003")
    assert len(keys) == 2 and keys[0] == keys[1]
    assert len(claims_of(demo_rt, SITI)) == 1


async def test_wrong_pin_creates_nothing_then_retry_creates_one(make_app, demo_rt):
    before = claim_count(demo_rt)
    app = make_app(signed_in=SITI)
    async with app.run_test(size=SIZE) as pilot:
        await to_confirm(pilot)
        await save(pilot, "999999")
        assert ui.at(app, "claim.confirm_title")
        assert "PIN/sandi salah" in ui.status(app) and "4" in ui.status(app)
        assert "PIN/sandi salah" in ui.field_error(app, LABEL["secret"])
        assert ui.focused_label(app) == LABEL["secret"]
        assert "•" not in ui.focused_value(app)
        assert claim_count(demo_rt) == before
        assert participant(demo_rt, SITI).reserved == 0
        await save(pilot, SITI.secret)
        assert ui.at(app, "claim.receipt_title")
    assert claim_count(demo_rt) == before + 1
    assert len(claims_of(demo_rt, SITI)) == 1


async def test_empty_pin_names_the_field(make_app, demo_rt):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=SIZE) as pilot:
        await to_confirm(pilot)
        await ui.keys(pilot, "f5")
        assert "PIN / kata sandi: wajib diisi." in ui.status(app)
        assert ui.at(app, "claim.confirm_title")
    assert claims_of(demo_rt, SITI) == []


async def test_too_many_wrong_pins_lock_and_sign_out(make_app, demo_rt):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=SIZE) as pilot:
        await to_confirm(pilot)
        for _ in range(demo_rt.settings.lock_threshold):
            await save(pilot, "999999")
        assert ui.at(app, "login.title")
        assert SITI.name not in ui.text(app)
        assert "akun terkunci 30 menit" in ui.status(app)
        await ui.keys(pilot, "escape")
        assert ui.at(app, "login.title")
    assert claims_of(demo_rt, SITI) == []
    with demo_rt.read() as session:
        assert session.get(LoginThrottle, SITI.nib).locked_until is not None
        logout = session.exec(select(AuditEvent).where(AuditEvent.action == "auth.logout")).one()
    assert logout.details["reason"] == "locked"


async def test_contact_corrected_in_the_flow_is_saved_with_the_claim(make_app, demo_rt):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=TALL) as pilot:
        await to_personal_data(pilot)
        await ui.put(pilot, LABEL["address"], "Jl. Kenanga No. 5, Depok")
        await ui.put(pilot, LABEL["phone"], "0812 9999 8888")
        await ui.keys(pilot, "f5")
        assert ui.at(app, "claim.confirm_title")
        assert ui.row_after(app, LABEL["phone"]) == "0812-9999-8888"
        await save(pilot, "999999")
        assert participant(demo_rt, SITI).phone == "+6281234567801"
        await save(pilot, SITI.secret)
        assert ui.at(app, "claim.receipt_title")
    row = participant(demo_rt, SITI)
    assert (row.phone, row.address) == ("+6281299998888", "Jl. Kenanga No. 5, Depok")
    assert row.contact_confirmed_at.replace(tzinfo=FROZEN_AT.tzinfo) == FROZEN_AT
    with demo_rt.read() as session:
        changed = session.exec(select(Notification).where(Notification.participant_id == row.id,
                                                          Notification.kind == "contact_changed")).all()
        audit = session.exec(select(AuditEvent).where(AuditEvent.action == "profile.updated",
                                                      AuditEvent.subject == SITI.nib)).all()
    assert sorted(note.params["field"] for note in changed) == ["address", "phone"]
    assert len(audit) == 1
    assert len(claims_of(demo_rt, SITI)) == 1


async def test_escape_goes_back_and_keeps_what_was_typed(make_app, demo_rt, monkeypatch):
    submit = claims.submit_claim
    keys = []

    def spy(rt, identity, draft, contact, secret, key):
        keys.append(key)
        return submit(rt, identity, draft, contact, secret, key)

    monkeypatch.setattr(claims, "submit_claim", spy)
    app = make_app(signed_in=SITI)
    async with app.run_test(size=SIZE) as pilot:
        await to_personal_data(pilot)
        await ui.put(pilot, LABEL["postal_code"], "10120")
        await ui.keys(pilot, "f5")
        assert ui.at(app, "claim.confirm_title")
        await save(pilot, "999999")
        await ui.keys(pilot, "escape")
        assert ui.at(app, "claim.personal_title")
        assert ui.row_after(app, LABEL["postal_code"]) == "10120"
        await ui.keys(pilot, "escape")
        assert ui.at(app, "claim.form_title")
        for name, value in (("amount", "5.000.000"), ("bank", "BCA"), ("account_number", "1234567890"),
                            ("account_holder", "Siti Rahayu"), ("reason", "Biaya rawat inap anak")):
            assert ui.row_after(app, LABEL[name]).startswith(value), name
        await ui.keys(pilot, "f5")
        assert ui.at(app, "claim.personal_title")
        assert ui.row_after(app, LABEL["postal_code"]) == "10120"
        await ui.keys(pilot, "f5")
        await save(pilot, SITI.secret)
        assert ui.at(app, "claim.receipt_title")
    assert len(keys) == 2 and keys[0] == keys[1]
    [_claim] = claims_of(demo_rt, SITI)
    assert participant(demo_rt, SITI).postal_code == "10120"


async def test_escape_from_every_step_returns_to_the_menu_and_writes_nothing(make_app, demo_rt):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=SIZE) as pilot:
        await to_confirm(pilot)
        await ui.keys(pilot, "escape", "escape", "escape")
        assert ui.shows(app, ui.t("form.discard_question"))
        await ui.keys(pilot, "y", "escape", "escape")
        assert ui.at(app, "menu.title")
    assert claims_of(demo_rt, SITI) == []
    assert participant(demo_rt, SITI).postal_code == "10110"


async def test_language_switch_keeps_the_form(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=TALL) as pilot:
        await open_form(pilot)
        await fill_form(pilot)
        await ui.keys(pilot, "f2")
        assert ui.at(app, "claim.form_title", "en")
        assert ui.row_after(app, ui.t("field.bank", "en")).startswith("BCA")
        assert "10 digits" in ui.row_after(app, ui.t("field.account_number", "en"))
        assert ui.text(app).count("[x]") == len(MEDIS_DOCUMENTS)
        await ui.keys(pilot, "f5")
        assert ui.at(app, "claim.personal_title", "en")
        assert ui.shows(app, "Check your contact data")


async def test_full_balance_type_prefills_the_whole_balance(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=TALL) as pilot:
        await open_form(pilot, "jht_habis_kontrak")
        assert ui.shows(app, ui.t("claim.amount_fixed", max_amount=85_000_000))
        assert ui.text(app).count("[ ]") == 5


async def test_claim_made_elsewhere_meanwhile_is_refused_at_simpan(make_app, demo_rt):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=SIZE) as pilot:
        await to_confirm(pilot)
        identity = sign_in(demo_rt, SITI)
        contact = get_profile(demo_rt, identity.participant_id).contact
        draft = ClaimDraft("biaya_medis", "1.000.000", "014", "1234567890", "Siti Rahayu", "Lain", MEDIS_DOCUMENTS)
        claims.submit_claim(demo_rt, identity, draft, contact, SITI.secret, "other-terminal")
        await save(pilot, SITI.secret)
        assert ui.at(app, "claim.confirm_title")
        assert "KIDB-2026-000003" in ui.status(app) and "masih diproses" in ui.status(app)
    assert [claim.amount for claim in claims_of(demo_rt, SITI)] == [1_000_000]


def _requirement_rows(app) -> list[str]:
    return [row.strip() for row in ui.lines(app) if row.strip()[:3] in ("[ ]", "[x]", "[~]")]


async def test_budi_requirements_open_claim_and_stale_contact(make_app, demo_rt):
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=TALL) as pilot:
        await open_requirements(pilot, "biaya_medis")
        rows = _requirement_rows(app)
        assert any(row.startswith("[ ] Klaim KIDB-2026-000001") for row in rows)
        assert ui.shows(app, "masih diproses")
        assert any(row.startswith("[~] Data kontak terakhir dikonfirmasi") for row in rows)
        assert ui.shows(app, "belum dapat diajukan")
        await ui.keys(pilot, "enter")
        assert ui.at(app, "claim.req_title")
        await ui.keys(pilot, "escape")
        await ui.keys(pilot, "down", "enter")
        rows = _requirement_rows(app)
        assert any(row.startswith("[~] Data kontak terakhir dikonfirmasi") for row in rows)
        assert any(row.startswith("[x] Tidak ada klaim jenis ini") for row in rows)
        await ui.keys(pilot, "enter")
        assert ui.at(app, "claim.form_title")
        await fill_form(pilot, "biaya_pengobatan", amount="1.000.000", account_holder="Budi Santoso")
        await ui.keys(pilot, "f5")
        await ui.keys(pilot, "f5")
        await save(pilot, BUDI.secret)
        assert ui.at(app, "claim.receipt_title")
    row = participant(demo_rt, BUDI)
    assert row.contact_confirmed_at.replace(tzinfo=FROZEN_AT.tzinfo) == FROZEN_AT
    assert sorted(claim.claim_type_code for claim in claims_of(demo_rt, BUDI)) == ["biaya_medis", "biaya_pengobatan"]


async def test_receipt_returns_to_the_menu_after_a_language_switch(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=TALL) as pilot:
        await to_confirm(pilot)
        await save(pilot, SITI.secret)
        await ui.keys(pilot, "f2")
        assert ui.at(app, "claim.receipt_title", "en")
        assert ui.shows(app, "Claim agenda (received)")
        await ui.keys(pilot, "f10")
        assert ui.at(app, "menu.title", "en")
        await ui.keys(pilot, "2")
        await ui.keys(pilot, "escape")
        assert ui.at(app, "menu.title", "en")


async def test_long_reason_scrolls_in_the_summary(make_app, demo_rt):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=SIZE) as pilot:
        await to_confirm(pilot, reason="Rawat inap " * 45)
        assert not ui.shows(app, "siti.rahayu@example.co.id")
        await ui.keys(pilot, "pagedown")
        assert ui.shows(app, "siti.rahayu@example.co.id")
        assert ui.focused_label(app) == LABEL["secret"]
        await save(pilot, SITI.secret)
        assert ui.at(app, "claim.receipt_title")
    [claim] = claims_of(demo_rt, SITI)
    assert claim.reason == ("Rawat inap " * 45).strip()


async def test_the_pin_reaches_the_service_masked(make_app, monkeypatch):
    seen = []

    def submit_claim(rt, identity, draft, contact, secret, key):
        seen.append(secret)
        raise AuthError("auth.reauth_failed", left=4)

    monkeypatch.setattr(claims, "submit_claim", submit_claim)
    app = make_app(signed_in=SITI)
    async with app.run_test(size=SIZE) as pilot:
        await to_confirm(pilot)
        await save(pilot, SITI.secret)
    [secret] = seen
    assert isinstance(secret, SecretStr) and secret.get_secret_value() == SITI.secret
