"""Daftar Pencairan driven with keys from the menu to the receipt, asserting the rows written."""

import json
import threading

from sqlmodel import func, select

from kidb_tui.errors import AuthError
from kidb_tui.masked import SecretStr
from kidb_tui.models import AuditEvent, Claim, ClaimEvent, LoginThrottle, Notification, Participant
from kidb_tui.screens.auth.login import LoginScreen
from kidb_tui.screens.claim.confirm import ConfirmScreen
from kidb_tui.screens.claim.form import ClaimFormScreen
from kidb_tui.screens.claim.personal_data import PersonalDataScreen
from kidb_tui.screens.claim.receipt import ReceiptScreen
from kidb_tui.screens.claim.requirements import RequirementsScreen
from kidb_tui.screens.claim.type_select import ClaimTypeScreen
from kidb_tui.screens.menu import MenuScreen
from kidb_tui.services import claims
from kidb_tui.services.claims import ClaimDraft
from kidb_tui.services.profile import get_profile
from tests.conftest import BUDI, FROZEN_AT, SITI, settle, sign_in

MEDIS_DOCUMENTS = ("ktp", "kartu_peserta", "buku_tabungan", "kuitansi_rs", "surat_dokter")
TYPE_INDEX = {"biaya_medis": 0, "biaya_pengobatan": 1, "jht_habis_kontrak": 4, "jht_mengundurkan_diri": 5,
              "jht_sebagian_10": 10}


def text_of(screen, selector: str) -> str:
    return " ".join(str(widget.render()) for widget in screen.query(selector))


def status(app) -> str:
    return text_of(app.screen, "#status-line")


def participant(rt, person) -> Participant:
    with rt.read() as session:
        return session.exec(select(Participant).where(Participant.nib == person.nib)).one()


def claims_of(rt, person) -> list[Claim]:
    with rt.read() as session:
        row = session.exec(select(Participant).where(Participant.nib == person.nib)).one()
        return list(session.exec(select(Claim).where(Claim.participant_id == row.id)).all())


def claim_count(rt) -> int:
    with rt.read() as session:
        return session.exec(select(func.count()).select_from(Claim)).one()


async def open_requirements(pilot, type_code: str = "biaya_medis") -> None:
    """From the menu: "1", arrow down to the type, Enter."""
    await pilot.press("1")
    await pilot.pause()
    await pilot.press(*["down"] * TYPE_INDEX[type_code], "enter")
    await pilot.pause()


async def open_form(pilot, type_code: str = "biaya_medis") -> None:
    await open_requirements(pilot, type_code)
    await pilot.press("enter")
    await pilot.pause()


async def type_form(pilot, amount: str = "5.000.000", account: str = "1234567890", holder: str = "Siti Rahayu",
                    reason: str = "Biaya rawat inap anak") -> None:
    """Fill the open claim form with keys only: Enter moves on, the bank list opens with Enter."""
    await pilot.press(*amount, "enter")
    await pilot.press("enter", "down", "enter")
    await pilot.pause()
    await pilot.press(*account, "enter")
    await pilot.press(*holder, "enter")
    await pilot.press(*reason, "enter")
    boxes = len(pilot.app.screen.query("MarkCheckbox"))
    for index in range(boxes):
        await pilot.press("space", *(["tab"] if index < boxes - 1 else []))
    await pilot.pause()


async def fill_form(pilot, **changes: object) -> None:
    """Fill the open claim form directly (the key-by-key way is `type_form`); `changes` override fields."""
    screen = pilot.app.screen
    values = {"amount": "5.000.000", "bank": "014", "account_number": "1234567890",
              "account_holder": "Siti Rahayu", "reason": "Biaya rawat inap anak", "documents": True, **changes}
    for name in ("amount", "account_number", "account_holder", "reason"):
        screen.query_one(f"#{name}").value = values[name]
    if values["bank"]:
        screen.query_one("#bank").value = values["bank"]
    for box in screen.query("MarkCheckbox"):
        box.value = bool(values["documents"])
    await pilot.pause()


async def to_confirm(pilot, type_code: str = "biaya_medis", **form) -> None:
    await open_form(pilot, type_code)
    await fill_form(pilot, **form)
    await pilot.press("f5")
    await pilot.pause()
    assert isinstance(pilot.app.screen, PersonalDataScreen), status(pilot.app)
    await pilot.press("f5")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ConfirmScreen), status(pilot.app)


async def save(pilot, secret: str) -> None:
    await pilot.press(*secret, "enter")
    await settle(pilot)


async def test_siti_files_a_claim_end_to_end_with_keys(make_app, demo_rt):
    reserved_before = participant(demo_rt, SITI).reserved
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")
        await pilot.pause()
        assert isinstance(app.screen, ClaimTypeScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RequirementsScreen)
        assert "Rp25.500.000" in text_of(app.screen, ".req-max")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ClaimFormScreen)
        assert "Rp25.500.000" in text_of(app.screen, ".lead")
        await type_form(pilot)
        assert "= Rp5.000.000" in text_of(app.screen, "#field-amount .field-hint")
        assert "10 angka" in text_of(app.screen, "#field-account_number .field-hint")
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, PersonalDataScreen)
        assert app.screen.query_one("#email").value == "siti.rahayu@example.co.id"
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        summary = text_of(app.screen, ".claim-row-value")
        assert "Rp5.000.000" in summary and "******7890" in summary and "1234567890" not in summary
        assert "Surat keterangan dokter" in summary and "Jl. Merdeka No. 10" in summary
        await save(pilot, SITI.secret)
        assert isinstance(app.screen, ReceiptScreen)
        receipt = text_of(app.screen, ".claim-row-value")
        assert "KIDB-2026-000003" in receipt
        assert "Agenda Klaim (diterima)" in receipt and "Penetapan Klaim" in receipt
        assert "paling lambat 2 Desember 2026 (5 hari kerja)" in receipt
        assert "Kuitansi rumah sakit" in receipt
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MenuScreen)
        assert len(app.screen_stack) == 2
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


async def test_simpan_twice_creates_one_claim(make_app, demo_rt, monkeypatch):
    gate = threading.Event()
    submit = claims.submit_claim

    def held_submit(*args):
        gate.wait(10)
        return submit(*args)

    monkeypatch.setattr(claims, "submit_claim", held_submit)
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_confirm(pilot)
        confirm = app.screen
        await pilot.press(*SITI.secret, "enter", "f5", "f5", "escape")
        confirm.action_save()
        assert confirm.query_one("#save").disabled and confirm.query_one("#secret").disabled
        assert app.screen is confirm
        assert "Menyimpan" in status(app)
        gate.set()
        await settle(pilot)
        assert isinstance(app.screen, ReceiptScreen)
    assert len(claims_of(demo_rt, SITI)) == 1


async def test_retry_with_the_same_key_returns_the_first_claim(make_app, demo_rt):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_confirm(pilot)
        first = app.screen
        await save(pilot, SITI.secret)
        reference = app.screen.receipt.reference
        await app.push_screen(ConfirmScreen(first.step, first.contact))
        await save(pilot, SITI.secret)
        assert isinstance(app.screen, ReceiptScreen)
        assert app.screen.receipt.reference == reference
    assert len(claims_of(demo_rt, SITI)) == 1


async def test_wrong_pin_creates_nothing_then_retry_creates_one(make_app, demo_rt):
    before = claim_count(demo_rt)
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_confirm(pilot)
        await save(pilot, "999999")
        assert isinstance(app.screen, ConfirmScreen)
        assert "PIN/sandi salah" in status(app) and "4" in status(app)
        assert "PIN/sandi salah" in text_of(app.screen, "#field-secret .field-error")
        assert app.screen.query_one("#secret").value == ""
        assert not app.screen.query_one("#save").disabled
        assert claim_count(demo_rt) == before
        assert participant(demo_rt, SITI).reserved == 0
        await save(pilot, SITI.secret)
        assert isinstance(app.screen, ReceiptScreen)
    assert claim_count(demo_rt) == before + 1
    assert len(claims_of(demo_rt, SITI)) == 1


async def test_empty_pin_names_the_field(make_app, demo_rt):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_confirm(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert "PIN / kata sandi: wajib diisi." in status(app)
        assert isinstance(app.screen, ConfirmScreen)
    assert claims_of(demo_rt, SITI) == []


async def test_too_many_wrong_pins_lock_and_sign_out(make_app, demo_rt):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_confirm(pilot)
        for _ in range(demo_rt.settings.lock_threshold):
            await save(pilot, "999999")
        assert isinstance(app.screen, LoginScreen)
        assert app.identity is None
        assert len(app.screen_stack) == 2
        assert "akun terkunci 30 menit" in status(app)
    assert claims_of(demo_rt, SITI) == []
    with demo_rt.read() as session:
        assert session.get(LoginThrottle, SITI.nib).locked_until is not None
        logout = session.exec(select(AuditEvent).where(AuditEvent.action == "auth.logout")).one()
    assert logout.details["reason"] == "locked"


async def test_contact_corrected_in_the_flow_is_saved_with_the_claim(make_app, demo_rt):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(pilot)
        await fill_form(pilot)
        await pilot.press("f5")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#address").value = "Jl. Kenanga No. 5, Depok"
        screen.query_one("#phone").value = "0812 9999 8888"
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "+6281299998888" in text_of(app.screen, ".claim-row-value")
        await save(pilot, "999999")
        assert participant(demo_rt, SITI).phone == "+6281234567801"
        await save(pilot, SITI.secret)
        assert isinstance(app.screen, ReceiptScreen)
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


async def test_escape_goes_back_and_keeps_what_was_typed(make_app, demo_rt):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(pilot)
        await fill_form(pilot)
        form = app.screen
        key = form.idempotency_key
        await pilot.press("f5")
        await pilot.pause()
        app.screen.query_one("#postal_code").value = "10120"
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.query_one("#postal_code").value == "10120"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is form
        assert form.draft() == ClaimDraft("biaya_medis", "5.000.000", "014", "1234567890", "Siti Rahayu",
                                          "Biaya rawat inap anak", MEDIS_DOCUMENTS)
        await pilot.press("f5")
        await pilot.pause()
        assert app.screen.query_one("#postal_code").value == "10120"
        assert app.screen.step.key == key
        await pilot.press("escape", "escape", "escape", "escape")
        await pilot.pause()
        assert isinstance(app.screen, MenuScreen)
    assert claims_of(demo_rt, SITI) == []
    assert participant(demo_rt, SITI).postal_code == "10110"


async def test_language_switch_keeps_the_form(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(pilot)
        await fill_form(pilot)
        await pilot.press("f2")
        await pilot.pause()
        assert "Register a claim" in text_of(app.screen, "#title-bar")
        assert app.screen.draft().bank_code == "014"
        assert app.screen.draft().documents == MEDIS_DOCUMENTS
        assert "10 digits" in text_of(app.screen, "#field-account_number .field-hint")
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, PersonalDataScreen)
        assert "Check your contact data" in text_of(app.screen, ".lead")


async def test_full_balance_type_prefills_the_whole_balance(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(pilot, "jht_habis_kontrak")
        assert isinstance(app.screen, ClaimFormScreen)
        assert app.screen.query_one("#amount").value == "85.000.000"
        assert "seluruh saldo tersedia: Rp85.000.000" in text_of(app.screen, ".lead")
        assert len(app.screen.query("MarkCheckbox")) == 5


async def test_claim_made_elsewhere_meanwhile_is_refused_at_simpan(make_app, demo_rt):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_confirm(pilot)
        identity = sign_in(demo_rt, SITI)
        contact = get_profile(demo_rt, identity.participant_id).contact
        draft = ClaimDraft("biaya_medis", "1.000.000", "014", "1234567890", "Siti Rahayu", "Lain", MEDIS_DOCUMENTS)
        claims.submit_claim(demo_rt, identity, draft, contact, SITI.secret, "other-terminal")
        await save(pilot, SITI.secret)
        assert isinstance(app.screen, ConfirmScreen)
        assert "KIDB-2026-000003" in status(app) and "masih diproses" in status(app)
    assert [claim.amount for claim in claims_of(demo_rt, SITI)] == [1_000_000]


async def test_budi_requirements_open_claim_and_stale_contact(make_app, demo_rt):
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_requirements(pilot, "biaya_medis")
        screen = app.screen
        lines = [text_of(row, "*") for row in screen.query(".requirement")]
        assert any(line.startswith("[ ] Klaim KIDB-2026-000001") and "masih diproses" in line for line in lines)
        assert any(line.startswith("[~] Data kontak terakhir dikonfirmasi") for line in lines)
        assert "belum dapat diajukan" in text_of(screen, "#verdict")
        assert not screen.query("#next")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
        lines = [text_of(row, "*") for row in app.screen.query(".requirement")]
        assert any(line.startswith("[~] Data kontak terakhir dikonfirmasi") for line in lines)
        assert any(line.startswith("[x] Tidak ada klaim jenis ini") for line in lines)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ClaimFormScreen)
        await fill_form(pilot, amount="1.000.000", account_holder="Budi Santoso")
        await pilot.press("f5")
        await pilot.pause()
        await pilot.press("f5")
        await pilot.pause()
        await save(pilot, BUDI.secret)
        assert isinstance(app.screen, ReceiptScreen)
    row = participant(demo_rt, BUDI)
    assert row.contact_confirmed_at.replace(tzinfo=FROZEN_AT.tzinfo) == FROZEN_AT
    assert sorted(claim.claim_type_code for claim in claims_of(demo_rt, BUDI)) == ["biaya_medis", "biaya_pengobatan"]


async def test_receipt_returns_to_the_menu_after_a_language_switch(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_confirm(pilot)
        await save(pilot, SITI.secret)
        await pilot.press("f2")
        await pilot.pause()
        assert "Claim agenda (received)" in text_of(app.screen, ".claim-row-value")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MenuScreen)
        assert [type(screen) for screen in app.screen_stack[1:]] == [MenuScreen]
        assert "Main menu" in text_of(app.screen, "#title-bar")


async def test_long_reason_scrolls_in_the_summary(make_app, demo_rt):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_confirm(pilot, reason="Rawat inap " * 45)
        summary = app.screen.query_one("#summary")
        assert summary.max_scroll_y > 0
        await pilot.press("pagedown")
        await pilot.pause()
        assert summary.scroll_y > 0
        assert app.screen.focused is app.screen.query_one("#secret")
        await save(pilot, SITI.secret)
        assert isinstance(app.screen, ReceiptScreen)
    [claim] = claims_of(demo_rt, SITI)
    assert claim.reason == ("Rawat inap " * 45).strip()


async def test_the_pin_reaches_the_service_masked(make_app, monkeypatch):
    seen = []

    def submit_claim(rt, identity, draft, contact, secret, key):
        seen.append(secret)
        raise AuthError("auth.reauth_failed", left=4)

    monkeypatch.setattr(claims, "submit_claim", submit_claim)
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_confirm(pilot)
        await save(pilot, SITI.secret)
    [secret] = seen
    assert isinstance(secret, SecretStr) and secret.get_secret_value() == SITI.secret
