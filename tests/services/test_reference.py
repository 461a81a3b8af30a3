"""Reference data shipped in data/: claim types and banks, synced into their tables
(kidb_tui/services/reference.py)."""

import pytest

from kidb_tui.models import Bank, ClaimType
from kidb_tui.services.reference import banks, claim_types, sync_reference_data
from tests.services.helpers import all_rows, count

FULL_BALANCE = ("jht_pensiun", "jht_habis_kontrak", "jht_mengundurkan_diri", "jht_phk", "jht_meninggalkan_indonesia",
                "jht_cacat_total", "jht_meninggal")


def types_by_code(rt) -> dict:
    return {info.code: info for info in claim_types(rt)}


def test_the_three_named_types_come_first(rt):
    assert [info.code for info in claim_types(rt)][:3] == ["biaya_medis", "biaya_pengobatan", "biaya_lainnya"]
    assert len(claim_types(rt)) == 12


@pytest.mark.parametrize("code", FULL_BALANCE)
def test_jht_reasons_pay_the_full_balance_once(rt, code):
    info = types_by_code(rt)[code]
    assert (info.full_balance, info.one_time, info.max_share_pct) == (True, True, 100)


def test_jht_rules(rt):
    types = types_by_code(rt)
    assert types["jht_pensiun"].min_age == 56
    assert types["jht_mengundurkan_diri"].waiting_months == types["jht_phk"].waiting_months == 1
    assert types["jht_habis_kontrak"].waiting_months == 0
    partial = {code: (types[code].max_share_pct, types[code].min_membership_years) for code in
               ("jht_sebagian_10", "jht_sebagian_30")}
    assert partial == {"jht_sebagian_10": (10, 10), "jht_sebagian_30": (30, 10)}
    groups = {row.code: row.one_time_group for row in all_rows(rt, ClaimType)}
    assert groups["jht_sebagian_10"] == groups["jht_sebagian_30"] != ""


def test_every_type_lists_documents_and_both_names(rt):
    for info in claim_types(rt):
        assert info.documents and "buku_tabungan" in info.documents
        assert info.name("id") == info.name_id and info.name("en") == info.name_en != info.name_id


def test_banks_with_codes_and_account_lengths(rt):
    found = {info.name: (info.code, info.account_length) for info in banks(rt)}
    assert found == {
        "BRI": ("002", 15), "Mandiri": ("008", 13), "BNI": ("009", 10), "BCA": ("014", 10),
        "CIMB Niaga": ("022", 13), "BTN": ("200", 16), "BSI": ("451", 10)}
    assert [info.name for info in banks(rt)] == sorted(found)


def test_sync_is_idempotent_and_restores_edited_rows(rt):
    with rt.write() as session:
        session.get(ClaimType, "biaya_medis").max_share_pct = 99
        session.get(Bank, "014").account_length = 12
    sync_reference_data(rt)
    sync_reference_data(rt)
    assert (count(rt, ClaimType), count(rt, Bank)) == (12, 7)
    assert types_by_code(rt)["biaya_medis"].max_share_pct == 30
    assert {info.code: info.account_length for info in banks(rt)}["014"] == 10
