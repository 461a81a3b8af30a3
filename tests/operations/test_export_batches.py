"""`kidb claims export` for the payments system: each exported claim marked with its batch so a
second export of the stage leaves it out (a claim is exported once per stage), `--again BATCH`
writes a batch again, `--delimiter`, an optional BOM, text cells quoted so bank codes and
account numbers keep their leading zeros, a control line with the row count and the sums
(kidb_tui/services/export.py, migration 0005)."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy.exc import IntegrityError

from kidb_tui.cli import main
from kidb_tui.errors import ValidationError
from kidb_tui.models import Claim, ClaimExport, ExportBatch
from kidb_tui.services.export import export_again, export_claims
from tests.backoffice_services.helpers import ANI, audit_rows, claim_of, file_claim, officer, walk
from tests.conftest import BUDI, SITI


def lines(path, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline=""), delimiter=delimiter))


def references(path) -> list[str]:
    return [row[0] for row in lines(path)[1:-1]]


def test_a_second_export_leaves_out_what_the_first_took(demo_rt, tmp_path):
    first = export_claims(demo_rt, "agenda", tmp_path / "1.csv")
    assert (first.batch, first.count) == ("EXP-000001", 1)
    assert references(tmp_path / "1.csv") == [claim_of(demo_rt, BUDI).reference]
    second = export_claims(demo_rt, "agenda", tmp_path / "2.csv")
    assert (second.batch, second.count) == ("", 0)
    assert lines(tmp_path / "2.csv")[1:] == [["CONTROL", "", "0", "0", "0"]]
    new = file_claim(demo_rt, SITI, "biaya_medis", "2.000.000", "siti-medis")
    third = export_claims(demo_rt, "agenda", tmp_path / "3.csv")
    assert (third.batch, references(tmp_path / "3.csv")) == ("EXP-000002", [new.reference])
    with demo_rt.read() as session:
        batch = session.get(ExportBatch, 2)
    assert (batch.stage, batch.row_count, batch.amount_total, batch.actor) == ("agenda", 1, 2_000_000, "cli")


def test_a_claim_is_exported_once_per_stage(demo_rt, tmp_path):
    budi = claim_of(demo_rt, BUDI)
    export_claims(demo_rt, "agenda", tmp_path / "agenda.csv")
    walk(demo_rt, budi.id, "persetujuan", officer(demo_rt, ANI), approved=4_000_000)
    exported = export_claims(demo_rt, "persetujuan", tmp_path / "approved.csv")
    assert (exported.count, references(tmp_path / "approved.csv")) == (1, [budi.reference])
    assert lines(tmp_path / "approved.csv")[-1] == ["CONTROL", exported.batch, "1", "4500000", "4000000"]


def test_again_writes_the_same_batch_again(demo_rt, tmp_path):
    first = export_claims(demo_rt, "agenda", tmp_path / "1.csv")
    again = export_again(demo_rt, first.batch, tmp_path / "again.csv", actor="ani")
    assert again == first
    assert (tmp_path / "again.csv").read_bytes() == (tmp_path / "1.csv").read_bytes()
    assert [(e.actor, e.subject, e.details) for e in audit_rows(demo_rt, "claims.exported_again")] == [
        ("ani", "agenda", {"count": 1, "batch": "EXP-000001"})]
    assert export_again(demo_rt, "1", tmp_path / "by-number.csv").batch == "EXP-000001"


@pytest.mark.parametrize("batch, rule", [("EXP-000009", "batch_unknown"), ("yesterday", "batch_format")])
def test_an_unknown_batch_is_refused(demo_rt, tmp_path, batch, rule):
    with pytest.raises(ValidationError) as caught:
        export_again(demo_rt, batch, tmp_path / "x.csv")
    assert (caught.value.field, caught.value.rule) == ("batch", rule)
    assert not (tmp_path / "x.csv").exists()


def test_bank_codes_and_account_numbers_stay_text_with_their_zeros(demo_rt, tmp_path):
    with demo_rt.write() as session:
        row = session.get(Claim, claim_of(demo_rt, BUDI).id)
        row.bank_code, row.account_number = "002", "000123456789012"
        session.add(row)
    export_claims(demo_rt, "agenda", tmp_path / "a.csv")
    raw = (tmp_path / "a.csv").read_text(encoding="utf-8").splitlines()[1]
    assert ',"002","000123456789012",' in raw
    assert ",4500000,''," not in raw and ',"biaya_medis",4500000,"",' in raw  # amounts stay numbers
    [row] = lines(tmp_path / "a.csv")[1:-1]
    assert (row[7], row[8]) == ("002", "000123456789012")


def test_delimiter_and_bom_for_spreadsheet_users(demo_rt, tmp_path):
    export_claims(demo_rt, "agenda", tmp_path / "a.csv", delimiter=";", bom=True)
    data = (tmp_path / "a.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf\"reference\";\"stage\";")
    [header, row, control] = lines(tmp_path / "a.csv", ";")
    assert header[0] == "reference" and row[2] == BUDI.nib and control[:3] == ["CONTROL", "EXP-000001", "1"]
    export_claims(demo_rt, "ditolak", tmp_path / "plain.csv")
    assert (tmp_path / "plain.csv").read_bytes().startswith(b'"reference","stage"')


@pytest.mark.parametrize("delimiter", ["x", ",,", '"', ""])
def test_a_delimiter_that_is_not_a_separator_is_refused(demo_rt, tmp_path, delimiter):
    with pytest.raises(ValidationError) as caught:
        export_claims(demo_rt, "agenda", tmp_path / "a.csv", delimiter=delimiter)
    assert caught.value.rule == "delimiter_one_of_comma_semicolon_pipe_tab"
    assert export_claims(demo_rt, "agenda", tmp_path / "a.csv").count == 1


def test_a_file_that_cannot_be_written_marks_nothing(demo_rt, tmp_path):
    with pytest.raises(OSError):
        export_claims(demo_rt, "agenda", tmp_path / "no-such-folder" / "a.csv")
    assert export_claims(demo_rt, "agenda", tmp_path / "a.csv").count == 1


def test_one_claim_cannot_be_in_two_batches_of_one_stage(demo_rt, tmp_path):
    export_claims(demo_rt, "agenda", tmp_path / "a.csv")
    budi = claim_of(demo_rt, BUDI)
    with pytest.raises(IntegrityError), demo_rt.engine.begin() as connection:
        connection.execute(ExportBatch.__table__.insert().values(
            id=7, stage="agenda", created_at=demo_rt.now(), actor="x", row_count=1, amount_total=1, approved_total=0))
        connection.execute(ClaimExport.__table__.insert().values(batch_id=7, claim_id=budi.id, stage="agenda"))


def test_the_command(demo_rt, data_dir, tmp_path, capsys):
    url = demo_rt.settings.database_url
    path = tmp_path / "bayar.csv"
    assert main(["--database", url, "claims", "export", "--stage", "agenda", "--delimiter", ";", "--bom", str(path)]) == 0
    assert capsys.readouterr().out.strip() == (
        f"batch EXP-000001: 1 claim(s), amount 4500000, approved 0, written to {path}")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert main(["--database", url, "claims", "export", "--stage", "agenda", str(tmp_path / "2.csv")]) == 0
    assert capsys.readouterr().out.strip().startswith("no claim in stage agenda that was not exported before")
    assert main(["--database", url, "claims", "export", "--again", "EXP-000001", str(tmp_path / "3.csv")]) == 0
    assert capsys.readouterr().out.strip().startswith("batch EXP-000001: 1 claim(s)")
    assert main(["--database", url, "claims", "export", str(tmp_path / "4.csv")]) == 2
    assert main(["--database", url, "claims", "export", "--stage", "agenda", "--delimiter", "x",
                 str(tmp_path / "5.csv")]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "kidb: Tahap: berikan --stage TAHAP untuk batch baru, atau --again BATCH untuk menulis ulang batch lama "
        "(salah satu saja).",
        "kidb: Pemisah kolom: harus koma, titik koma, garis tegak (|) atau tab."]
