"""Bad input in the claim form and the personal data step: the message names the field and the rule,
the participant stays on the step, and nothing is written."""

import pytest

from kidb_tui.screens.claim.form import ClaimFormScreen
from kidb_tui.screens.claim.personal_data import PersonalDataScreen
from tests.conftest import SITI
from tests.screens.test_claim_flow import claim_count, fill_form, open_form, participant, status, text_of

FORM_CASES = [
    ("amount", {"amount": ""}, "Jumlah (Rp): wajib diisi."),
    ("amount", {"amount": "abc"}, "Jumlah (Rp): tulis angka saja, boleh dengan titik ribuan"),
    ("amount", {"amount": "1.500.000,50"}, "Jumlah (Rp): rupiah bulat tanpa sen"),
    ("amount", {"amount": "0"}, "Jumlah (Rp): harus lebih dari Rp0."),
    ("amount", {"amount": "25.500.001"}, "Jumlah (Rp): melebihi batas jenis klaim ini, paling banyak Rp25.500.000."),
    ("bank", {"bank": ""}, "Bank tujuan: wajib diisi."),
    ("account_number", {"account_number": "12345abcde"}, "Nomor rekening: hanya angka"),
    ("account_number", {"account_number": "12345"}, "Nomor rekening: rekening BCA harus 10 angka."),
    ("account_holder", {"account_holder": ""}, "Nama pemilik rekening: wajib diisi."),
    ("account_holder", {"account_holder": "Budi Santoso"},
     "Nama pemilik rekening: harus sama dengan nama peserta (Siti Rahayu)"),
    ("account_holder", {"account_holder": "=Siti Rahayu"},
     "Nama pemilik rekening: tidak boleh diawali =, +, - atau @ (tanda rumus lembar kerja)."),
    ("account_holder", {"account_holder": '@SUM("Siti Rahayu")'},
     "Nama pemilik rekening: tidak boleh diawali =, +, - atau @ (tanda rumus lembar kerja)."),
    ("reason", {"reason": "   "}, "Alasan: wajib diisi."),
    ("reason", {"reason": "Rawat inap\u202e"}, "Alasan: berisi karakter kontrol"),
    ("documents", {"documents": False}, "Dokumen: 5 dokumen belum dicentang; semua dokumen wajib dibawa."),
]


@pytest.mark.parametrize(("field", "changes", "message"), FORM_CASES)
async def test_form_rejects_bad_input(make_app, demo_rt, field, changes, message):
    before = claim_count(demo_rt)
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(pilot)
        await fill_form(pilot, **changes)
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, ClaimFormScreen)
        assert message in text_of(app.screen, f"#field-{field} .field-error")
        assert message in status(app)
        errors = [widget for widget in app.screen.query(".field-error") if str(widget.render())]
        assert len(errors) == 1
    assert claim_count(demo_rt) == before


async def test_full_balance_type_refuses_a_partial_amount(make_app, demo_rt):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(pilot, "jht_habis_kontrak")
        await fill_form(pilot, amount="1.000.000")
        await pilot.press("f5")
        await pilot.pause()
        assert "Jumlah (Rp): klaim jenis ini mencairkan seluruh saldo tersedia: Rp85.000.000." in status(app)
    assert claim_count(demo_rt) == 2


async def test_empty_form_lists_every_field(make_app, demo_rt):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(pilot)
        await pilot.press("f5")
        await pilot.pause()
        assert "Ada 5 isian yang perlu diperbaiki" in status(app)
        for field in ("amount", "bank", "account_holder", "reason", "documents"):
            assert text_of(app.screen, f"#field-{field} .field-error").startswith("! ")
        assert app.screen.focused is app.screen.query_one("#amount")
    assert claim_count(demo_rt) == 2


CONTACT_CASES = [
    ("address", "", "Alamat: wajib diisi."),
    ("address", "Jl. Merdeka\x07 10", "Alamat: berisi karakter kontrol"),
    ("postal_code", "1011", "Kode pos: harus 5 angka dan tidak diawali 0."),
    ("postal_code", "01011", "Kode pos: harus 5 angka dan tidak diawali 0."),
    ("phone", "12345", "Nomor HP: harus nomor HP Indonesia"),
    ("phone", "021 5551234", "Nomor HP: harus nomor HP Indonesia"),
    ("email", "", "Email: wajib diisi."),
    ("email", "siti@", "Email: bukan alamat email yang sah"),
]


@pytest.mark.parametrize(("field", "value", "message"), CONTACT_CASES)
async def test_personal_data_rejects_bad_input(make_app, demo_rt, field, value, message):
    before = participant(demo_rt, SITI)
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(pilot)
        await fill_form(pilot)
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, PersonalDataScreen)
        app.screen.query_one(f"#{field}").value = value
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, PersonalDataScreen)
        assert message in text_of(app.screen, f"#field-{field} .field-error")
        assert message in status(app)
    after = participant(demo_rt, SITI)
    assert claim_count(demo_rt) == 2
    assert getattr(after, field) == getattr(before, field)
    assert after.contact_confirmed_at == before.contact_confirmed_at
