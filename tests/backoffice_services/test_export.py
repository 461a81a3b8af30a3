"""`export_claims`: the claims of one stage as CSV for the payments system, oldest first, with
the export audited (kidb_tui/services/export.py)."""

import csv
from datetime import timedelta

import pytest

from kidb_tui.errors import ValidationError
from kidb_tui.models import Claim
from kidb_tui.services import review
from kidb_tui.services.export import COLUMNS, export_claims
from tests.backoffice_services.helpers import ANI, TRANSFER, audit_rows, claim_of, file_claim, officer, walk
from tests.conftest import BUDI, FROZEN_AT, JOKO, SITI

HEADER = [
    "reference", "stage", "nib", "full_name", "claim_type", "amount", "approved_amount", "bank_code",
    "account_number", "account_holder", "payment_reference", "created_at",
]


def read_csv(path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_header_and_the_agenda_row(demo_rt, tmp_path):
    path = tmp_path / "agenda.csv"
    assert export_claims(demo_rt, "agenda", path) == 1
    with path.open(newline="", encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == HEADER == list(COLUMNS)
    [row] = read_csv(path)
    assert row == {
        "reference": claim_of(demo_rt, BUDI).reference, "stage": "agenda", "nib": BUDI.nib, "full_name": BUDI.name,
        "claim_type": "biaya_medis", "amount": "4500000", "approved_amount": "", "bank_code": "014",
        "account_number": "1234567890", "account_holder": BUDI.name, "payment_reference": "",
        "created_at": FROZEN_AT.isoformat(),
    }


def test_only_the_asked_stage_is_written(demo_rt, tmp_path):
    path = tmp_path / "ditolak.csv"
    assert export_claims(demo_rt, "ditolak", path) == 1
    assert [(row["nib"], row["stage"]) for row in read_csv(path)] == [(JOKO.nib, "ditolak")]
    assert export_claims(demo_rt, "pembayaran", path) == 0
    assert read_csv(path) == []
    assert path.read_text(encoding="utf-8").splitlines() == [",".join(HEADER)]


def test_oldest_first_by_creation_time(demo_rt, tmp_path, clock):
    clock.advance(minutes=5)
    newer = file_claim(demo_rt, SITI, "biaya_medis", "2.000.000", "siti-medis")
    clock.advance(minutes=5)
    newest = file_claim(demo_rt, SITI, "biaya_pengobatan", "1.000.000", "siti-pengobatan")
    with demo_rt.write() as session:
        row = session.get(Claim, newest.id)
        row.created_at = FROZEN_AT - timedelta(days=1)
        session.add(row)
    path = tmp_path / "agenda.csv"
    assert export_claims(demo_rt, "agenda", path) == 3
    exported = read_csv(path)
    budi_reference = claim_of(demo_rt, BUDI).reference
    assert [row["reference"] for row in exported] == [newest.reference, budi_reference, newer.reference]
    assert exported[2]["created_at"] == (FROZEN_AT + timedelta(minutes=5)).isoformat()


def test_approved_and_paid_claims_carry_their_amounts(demo_rt, tmp_path):
    ani = officer(demo_rt, ANI)
    walk(demo_rt, claim_of(demo_rt, BUDI).id, "pembayaran", ani, approved=4_000_000)
    path = tmp_path / "paid.csv"
    export_claims(demo_rt, "pembayaran", path)
    [row] = read_csv(path)
    assert (row["amount"], row["approved_amount"]) == ("4500000", "4000000")
    assert row["payment_reference"] == TRANSFER


@pytest.mark.parametrize("stage", ["Agenda", "paid", "", "ditolak;"])
def test_an_unknown_stage_is_refused_and_writes_nothing(demo_rt, tmp_path, stage):
    path = tmp_path / "x.csv"
    with pytest.raises(ValidationError) as caught:
        export_claims(demo_rt, stage, path)
    assert (caught.value.field, caught.value.rule) == ("stage", "stage_unknown")
    assert not path.exists()
    assert audit_rows(demo_rt, "claims.exported") == []


def test_the_export_is_audited_with_the_count(demo_rt, tmp_path):
    export_claims(demo_rt, "agenda", tmp_path / "a.csv")
    export_claims(demo_rt, "selesai", tmp_path / "b.csv", actor="ani.petugas")
    entries = audit_rows(demo_rt, "claims.exported")
    assert [(e.actor, e.subject, e.details) for e in entries] == [
        ("cli", "agenda", {"count": 1}), ("ani.petugas", "selesai", {"count": 0}),
    ]


def test_a_rejected_claim_leaves_the_agenda_export(demo_rt, tmp_path):
    ani = officer(demo_rt, ANI)
    budi_claim = claim_of(demo_rt, BUDI)
    review.reject(demo_rt, ani, budi_claim.id, 1, "other", "Hubungi kantor cabang.")
    assert export_claims(demo_rt, "agenda", tmp_path / "a.csv") == 0
    assert export_claims(demo_rt, "ditolak", tmp_path / "d.csv") == 2
