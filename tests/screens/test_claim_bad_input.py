"""Bad input in the claim form and the personal data step: the message names the field and the rule,
the participant stays on the step, and nothing is written."""

import pytest

from tests import ui
from tests.conftest import SITI
from tests.screens.claim_steps import LABEL, claim_count, fill_form, open_form, participant, to_personal_data

TALL = (80, 40)


def _error_rows(app) -> list[str]:
    return [row for row in ui.lines(app) if row.strip().startswith("! ")]

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
    async with app.run_test(size=TALL) as pilot:
        await open_form(pilot)
        await fill_form(pilot, **changes)
        await ui.keys(pilot, "f5")
        assert ui.at(app, "claim.form_title")
        assert message in ui.field_error(app, LABEL[field])
        assert message in ui.status(app)
        assert len(_error_rows(app)) == 1
    assert claim_count(demo_rt) == before


async def test_empty_form_lists_every_field(make_app, demo_rt):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=TALL) as pilot:
        await open_form(pilot)
        await ui.retype(pilot, LABEL["account_holder"], "")
        await ui.keys(pilot, "f5")
        assert "Ada 5 isian yang perlu diperbaiki" in ui.status(app)
        for field in ("amount", "bank", "account_holder", "reason", "documents"):
            assert ui.field_error(app, LABEL[field]).startswith(LABEL[field]), field
        assert ui.field_error(app, LABEL["account_number"]) == ""
        assert ui.focused_label(app) == LABEL["amount"]
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
        await to_personal_data(pilot)
        await ui.put(pilot, LABEL[field], value)
        await ui.keys(pilot, "f5")
        assert ui.at(app, "claim.personal_title")
        assert message in ui.field_error(app, LABEL[field])
        assert message in ui.status(app)
        assert ui.focused_label(app) == LABEL[field]
    after = participant(demo_rt, SITI)
    assert claim_count(demo_rt) == 2
    assert getattr(after, field) == getattr(before, field)
    assert after.contact_confirmed_at == before.contact_confirmed_at
