"""The participant importer fed broken files, the way they come out of spreadsheets and tired
hands: wrong headers, other encodings, duplicate NIBs, 50,000-row files, blank lines, quoted
fields with commas, quotes and newlines, unterminated quotes, BOMs. Every refusal names the
line, the field and the rule, and leaves the database exactly as it was (kidb_tui/services/
participants.py, `kidb participants import`)."""

from __future__ import annotations

import csv
import io
import zipfile
from functools import cache

import pytest
from sqlmodel import col, func, select

from kidb_tui.cli import main
from kidb_tui.models import AuditEvent, Participant
from kidb_tui.services.participants import HEADER, import_file
from tests.crash import population

HEADER_LINE = ",".join(HEADER)
HEADER_ERROR = "line 1: header: expected " + HEADER_LINE
EXISTING = (1, 2, 3)
HUGE = 50_000
BIG = 1_000  # rows enough to run past the csv module's 131,072-character field limit


def line_of(n: int, **changes: str) -> str:
    """Participant `n` as one CSV line, fields quoted only where they need it."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(list({**population.row(n), **changes}.values()))
    return buffer.getvalue()[:-1]


def unterminated_quote(n: int) -> str:
    """Participant `n` with an address that opens a quote and never closes it."""
    return line_of(n, address="ADDRESS").replace("ADDRESS", '"Jl. Uji No. 4')


def unquoted_lines(first: int, last: int) -> list[str]:
    """Rows with no quote character in them (nothing that could close a stray quote)."""
    return [line_of(n, address=f"Jl. Uji No. {n}") for n in range(first, last)]


def write(tmp_path, data: str | bytes, name: str = "peserta.csv"):
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def lines_file(tmp_path, *lines: str, header: str = HEADER_LINE):
    return write(tmp_path, "\n".join((header, *lines)) + "\n")


def snapshot(rt) -> tuple:
    with rt.read() as session:
        people = session.exec(select(Participant).order_by(col(Participant.nib))).all()
        audits = session.exec(select(func.count()).select_from(AuditEvent)).one()
    return [person.model_dump() for person in people], audits


@pytest.fixture
def rt(rt, tmp_path):
    """The migrated database with three participants already imported."""
    existing = write(tmp_path, "\n".join((HEADER_LINE, *(line_of(n) for n in EXISTING))) + "\n", "existing.csv")
    report = import_file(rt, existing)
    assert report.ok, report.errors
    return rt


def refused(rt, path) -> list[str]:
    """The error lines of a refused file, after checking that nothing at all was written."""
    before = snapshot(rt)
    report = import_file(rt, path)
    assert not report.ok
    assert (report.created, report.updated) == (0, 0)
    assert snapshot(rt) == before
    return [str(error) for error in report.errors]


@pytest.mark.parametrize(
    "header",
    [
        HEADER_LINE.replace("full_name", "nama"),
        HEADER_LINE.replace(",email", ""),
        HEADER_LINE.replace("nib,nik", "nik,nib"),
        HEADER_LINE.upper(),
        HEADER_LINE.replace(",", ";"),
        HEADER_LINE.replace(",", ", "),
        "",
    ],
    ids=["renamed", "missing", "reordered", "upper-case", "semicolons", "spaces", "blank-first-line"],
)
def test_a_wrong_header_is_named_and_nothing_is_imported(rt, tmp_path, header):
    assert refused(rt, lines_file(tmp_path, line_of(10), line_of(1, balance="1"), header=header)) == [HEADER_ERROR]


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("latin-1"),
        lambda text: text.encode("cp1252"),
        lambda text: text.encode("utf-16"),
    ],
    ids=["latin-1", "windows-1252", "utf-16"],
)
def test_a_file_in_another_encoding_is_refused(rt, tmp_path, encode):
    text = "\n".join((HEADER_LINE, line_of(10, full_name="José Ramírez"), line_of(1, balance="1"))) + "\n"
    assert refused(rt, write(tmp_path, encode(text))) == ["line 0: file: not_utf8"]


def test_a_spreadsheet_saved_under_a_csv_name_is_refused(rt, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as workbook:
        workbook.writestr("xl/worksheets/sheet1.xml", "<worksheet>" + "\u00a0" * 50 + "</worksheet>")
    assert refused(rt, write(tmp_path, b"PK\x03\x04" + buffer.getvalue()[4:], "peserta.xlsx.csv")) == [
        "line 0: file: not_utf8"
    ]


def test_every_duplicate_nib_is_reported_against_its_first_line(rt, tmp_path):
    path = lines_file(
        tmp_path,
        line_of(10),
        line_of(11),
        line_of(10, full_name="Peserta Uji Ganda"),
        line_of(12),
        line_of(10, balance="5"),
        line_of(11, nib=" ".join((population.nib(11)[:3], population.nib(11)[3:]))),
    )
    assert refused(rt, path) == [
        "line 4: nib: duplicate_of_line_2",
        "line 6: nib: duplicate_of_line_2",
        "line 7: nib: duplicate_of_line_3",
    ]


@cache
def huge_lines() -> tuple[str, ...]:
    return tuple(line_of(n) for n in range(1, HUGE + 1))


def test_one_bad_row_near_the_end_of_a_huge_file_stops_the_whole_file(rt, tmp_path):
    lines = list(huge_lines())
    lines[-12] = line_of(HUGE - 11, email="peserta.example.co.id")
    assert refused(rt, lines_file(tmp_path, *lines)) == [f"line {HUGE - 10}: email: email_invalid"]


def test_a_huge_good_file_imports_every_row(rt, tmp_path):
    report = import_file(rt, lines_file(tmp_path, *huge_lines()))
    assert (report.ok, report.created, report.updated) == (True, HUGE - len(EXISTING), len(EXISTING))
    with rt.read() as session:
        assert session.exec(select(func.count()).select_from(Participant)).one() == HUGE
        last = session.exec(select(Participant).where(Participant.nib == population.nib(HUGE))).one()
    assert (last.nik, last.full_name, last.balance) == (population.nik(HUGE), population.full_name(HUGE), 20_000_000)


def test_blank_lines_are_skipped_and_line_numbers_stay_those_of_the_file(rt, tmp_path):
    def text(postal_code: str) -> str:
        lines = (HEADER_LINE, "", line_of(10), "", "", line_of(11, postal_code=postal_code), "", "")
        return "\r\n".join(lines) + "\r\n"

    assert refused(rt, write(tmp_path, text("0110"))) == ["line 6: postal_code: postal_code_format"]
    assert import_file(rt, write(tmp_path, text("10110"))).created == 2


def test_quoted_commas_and_quotes_are_kept_as_text(rt, tmp_path):
    address = 'Jl. "Kenanga" No. 4, RT 01/RW 02, Depok'
    path = lines_file(tmp_path, line_of(10, address=address, full_name="Peserta Uji, Jr."))
    assert import_file(rt, path).ok
    with rt.read() as session:
        person = session.exec(select(Participant).where(Participant.nib == population.nib(10))).one()
    assert (person.address, person.full_name) == (address, "Peserta Uji, Jr.")


def test_a_newline_inside_a_quoted_field_is_refused_at_the_line_where_the_row_starts(rt, tmp_path):
    path = lines_file(tmp_path, line_of(10), line_of(11, address="Jl. Uji No. 4,\nDepok"), line_of(12))
    assert refused(rt, path) == ["line 3: address: control_characters"]


def test_rows_after_a_row_spanning_two_lines_keep_their_own_line_numbers(rt, tmp_path):
    path = lines_file(
        tmp_path, line_of(10, nik="3171019999990001", address="Jl. Uji\nNo. 4"), line_of(11, phone="021-5551234")
    )
    assert refused(rt, path) == [
        "line 2: nik: nik_invalid",
        "line 2: address: control_characters",
        "line 4: phone: phone_invalid",
    ]


def test_an_unterminated_quote_is_reported_at_its_row_and_nothing_is_imported(rt, tmp_path):
    lines = [unterminated_quote(10), *unquoted_lines(11, 20)]
    [error] = refused(rt, lines_file(tmp_path, *lines))
    assert error.startswith("line 2: row: ")


def test_an_unterminated_quote_early_in_a_big_file_is_a_clear_error_not_a_crash(rt, tmp_path):
    lines = [unterminated_quote(10), *unquoted_lines(11, BIG)]
    [error] = refused(rt, lines_file(tmp_path, *lines))
    assert error.startswith("line 2: row: ")


def test_a_bom_is_not_part_of_the_first_column(rt, tmp_path):
    text = "\ufeff" + "\r\n".join((HEADER_LINE, line_of(10), line_of(11))) + "\r\n"
    report = import_file(rt, write(tmp_path, text))
    assert (report.ok, report.created) == (True, 2)
    assert refused(rt, write(tmp_path, text.replace(population.nik(11), "12345"))) == ["line 3: nik: nik_format"]


def test_the_command_prints_each_error_and_imports_nothing(rt, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KIDB_PEPPER", "import-test-pepper-0123456789abcdef-01")
    monkeypatch.setenv("KIDB_DATA_DIR", str(tmp_path / "data"))
    path = lines_file(tmp_path, line_of(10, email="x@"), line_of(11), line_of(10, balance="-5"))
    before = snapshot(rt)
    assert main(["--database", rt.settings.database_url, "participants", "import", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        "line 2: email: email_invalid",
        "line 4: balance: balance_non_negative_integer",
        "line 4: nib: duplicate_of_line_2",
        "nothing imported: 3 error(s)",
    ]
    assert snapshot(rt) == before


def test_the_command_refuses_an_unterminated_quote_without_a_traceback(rt, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KIDB_PEPPER", "import-test-pepper-0123456789abcdef-01")
    monkeypatch.setenv("KIDB_DATA_DIR", str(tmp_path / "data"))
    lines = [unterminated_quote(10), *unquoted_lines(11, BIG)]
    assert main(["--database", rt.settings.database_url, "participants", "import", str(lines_file(tmp_path, *lines))]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == "nothing imported: 1 error(s)"
