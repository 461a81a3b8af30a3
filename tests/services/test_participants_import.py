"""`kidb participants import`: every row validated, upsert by NIB, and on any bad row a
`line N: field: rule` report with nothing imported (kidb_tui/services/participants.py)."""

import csv
import io
import itertools
from datetime import UTC, date, datetime

import pytest

from kidb_tui.models import AuditEvent, Participant
from kidb_tui.services import participants
from kidb_tui.services.participants import HEADER, import_file, import_text
from tests.services.helpers import all_rows, count

HEADER_LINE = ",".join(HEADER)
GOOD = {
    "nib": "26020000001", "nik": "3171016204850003", "full_name": "Sri Wahyuni", "birth_date": "1985-04-22",
    "email": "Sri@Example.CO.ID", "phone": "0812-3456-7890", "address": "Jl. Kenanga No. 4, Depok",
    "postal_code": "16424", "balance": "12500000", "membership_status": "active", "card_status": "active",
    "membership_start": "2015-01-01",
}


def row(**changes) -> list[str]:
    """A CSV row: GOOD with `changes`; unless given, the NIK is Sri's with the NIB's last four
    digits as its serial, so that rows of different participants have different NIKs."""
    values = {**GOOD, **changes}
    if "nik" not in changes and len(values["nib"]) == 11 and values["nib"].isdigit():
        values["nik"] = GOOD["nik"][:12] + values["nib"][-4:]
    return [values[name] for name in HEADER]


def csv_text(*rows: list[str], header: str = HEADER_LINE) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return f"{header}\n{buffer.getvalue()}"


def errors_of(rt, text: str) -> list[str]:
    """The report's lines for a refused file, after checking that nothing changed."""
    before = [(p.nib, p.balance, p.updated_at) for p in all_rows(rt, Participant)]
    report = import_text(rt, text)
    assert not report.ok and (report.created, report.updated) == (0, 0)
    assert [(p.nib, p.balance, p.updated_at) for p in all_rows(rt, Participant)] == before
    return [str(error) for error in report.errors]


def test_good_file_creates_participants(rt):
    report = import_text(rt, csv_text(row(), row(nib="26020000002", nik="3171012204850003", full_name="Agung")))
    assert report.ok and (report.created, report.updated) == (2, 0)
    [sri, agung] = sorted(all_rows(rt, Participant), key=lambda p: p.nib)
    assert (sri.full_name, sri.birth_date, sri.email, sri.phone) == (
        "Sri Wahyuni", date(1985, 4, 22), "Sri@example.co.id", "+6281234567890")
    assert (sri.balance, sri.reserved, sri.membership_start, sri.employment_end) == (
        12_500_000, 0, date(2015, 1, 1), None)
    assert agung.nik == "3171012204850003"
    [audit] = all_rows(rt, AuditEvent, AuditEvent.action == "participants.imported")
    assert audit.details == {"created": 2, "updated": 0}


def test_second_import_updates_by_nib(rt):
    import_text(rt, csv_text(row(), row(nib="26020000002", full_name="Agung")))
    report = import_text(rt, csv_text(row(balance="13000000", card_status="blocked"), row(nib="26020000003")))
    assert (report.created, report.updated) == (1, 1)
    assert count(rt, Participant) == 3
    [sri] = all_rows(rt, Participant, Participant.nib == "26020000001")
    assert (sri.balance, sri.card_status) == (13_000_000, "blocked")


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(rt):
    text = csv_text(
        row(), row(nib="2602"), row(nib="26020000004", email="sri@", phone="021-5551234"), row(nib="26020000005"))
    assert errors_of(rt, text) == [
        "line 3: nib: nib_format", "line 4: email: email_invalid", "line 4: phone: phone_invalid"]


@pytest.mark.parametrize("changes, error", [
    ({"nik": "3171017204850003"}, "nik: nik_invalid"),
    ({"nik": "31710"}, "nik: nik_format"),
    ({"full_name": ""}, "full_name: required"),
    ({"full_name": "Sri\u202eWahyuni"}, "full_name: control_characters"),
    ({"birth_date": "22-04-1985"}, "birth_date: date_iso"),
    ({"birth_date": "2030-01-01"}, "birth_date: date_future"),
    ({"membership_start": "2027-01-01"}, "membership_start: date_future"),
    ({"postal_code": "0123"}, "postal_code: postal_code_format"),
    ({"balance": "-5"}, "balance: balance_non_negative_integer"),
    ({"balance": "1.000"}, "balance: balance_non_negative_integer"),
    ({"membership_status": "paused"}, "membership_status: one_of_active_inactive"),
    ({"card_status": "lost"}, "card_status: one_of_active_blocked"),
])
def test_each_rule(rt, changes, error):
    assert errors_of(rt, csv_text(row(), row(nib="26020000002", **changes))) == [f"line 3: {error}"]


def test_dates_checked_against_the_branch_date(rt, clock):
    """At 01.00 WIB on 26 November it is still the 25th in UTC: a membership starting on the
    26th starts today; the 27th is still in the future."""
    clock.current = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
    assert errors_of(rt, csv_text(row(membership_start="2026-11-27"))) == ["line 2: membership_start: date_future"]
    assert import_text(rt, csv_text(row(membership_start="2026-11-26"))).ok
    assert [p.membership_start for p in all_rows(rt, Participant)] == [date(2026, 11, 26)]


def test_zero_balance_is_allowed(rt):
    assert import_text(rt, csv_text(row(balance="0"))).ok


def test_every_bad_field_of_one_row(rt):
    text = csv_text(row(nib="x", nik="y", email="z", phone="1", postal_code="2", balance="b"))
    assert errors_of(rt, text) == [
        "line 2: nib: nib_format", "line 2: nik: nik_format", "line 2: email: email_invalid",
        "line 2: phone: phone_invalid", "line 2: postal_code: postal_code_format",
        "line 2: balance: balance_non_negative_integer"]


def test_duplicate_nib_in_one_file(rt):
    text = csv_text(row(), row(full_name="Sri W.", nik="3171016204850099"))
    assert errors_of(rt, text) == ["line 3: nib: duplicate_of_line_2"]


def test_duplicate_nik_in_one_file_names_both_lines(rt):
    sri_nik = row()[HEADER.index("nik")]
    text = csv_text(
        row(), row(nib="26020000002"), row(nib="26020000003", nik=sri_nik), row(nib="26020000004", nik=sri_nik))
    assert errors_of(rt, text) == ["line 4: nik: duplicate_of_line_2", "line 5: nik: duplicate_of_line_2"]


def test_a_nik_that_belongs_to_another_nib_in_the_database_is_refused(rt):
    assert import_text(rt, csv_text(row(), row(nib="26020000002"))).ok
    sri_nik = row()[HEADER.index("nik")]
    text = csv_text(row(nib="26020000003"), row(nib="26020000002", nik=sri_nik), row(nib="26020000004"))
    assert errors_of(rt, text) == ["line 3: nik: belongs_to_nib_26020000001"]
    assert {p.nib: p.nik for p in all_rows(rt, Participant)}["26020000002"] == row(nib="26020000002")[1]


def blind_to_stored_niks(monkeypatch, passes: int) -> None:
    """The import's NIK check misses what is stored for its first `passes` passes, as if another
    import committed that NIK between our check and our commit."""
    real, calls = participants._existing, itertools.count()

    def existing(session, name, values, chunk=500):
        if name == "nik" and next(calls) < passes:
            return {}
        return real(session, name, values, chunk)

    monkeypatch.setattr(participants, "_existing", existing)


def test_a_nik_stored_by_a_concurrent_import_is_reported_by_line(rt, monkeypatch):
    assert import_text(rt, csv_text(row())).ok
    blind_to_stored_niks(monkeypatch, passes=1)
    text = csv_text(row(nib="26020000002", nik=row()[HEADER.index("nik")]))
    assert errors_of(rt, text) == ["line 2: nik: belongs_to_nib_26020000001"]


def test_a_unique_index_refusal_that_persists_is_a_clear_error(rt, monkeypatch):
    assert import_text(rt, csv_text(row())).ok
    blind_to_stored_niks(monkeypatch, passes=2)
    text = csv_text(row(nib="26020000002", nik=row()[HEADER.index("nik")]))
    assert errors_of(rt, text) == ["line 0: database: changed_by_a_concurrent_import_try_again"]
    assert count(rt, AuditEvent) == 1


@pytest.mark.parametrize("bad_row", [[*row(), "extra"], row()[:-1]])
def test_wrong_column_count(rt, bad_row):
    assert errors_of(rt, csv_text(row(nib="26020000009"), bad_row)) == ["line 3: row: column_count"]


def test_line_numbers_count_blank_lines(rt):
    assert errors_of(rt, csv_text(row(), [], row(nib="1"))) == ["line 4: nib: nib_format"]


def test_wrong_header(rt):
    [error] = errors_of(rt, csv_text(row(), header=HEADER_LINE.replace("nik", "ktp")))
    assert error.startswith("line 1: header: expected nib,nik,")


@pytest.mark.parametrize("text", ["", "\n"])
def test_empty_file(rt, text):
    [error] = errors_of(rt, text)
    assert error.startswith("line 1: header:")


def test_header_only(rt):
    assert errors_of(rt, csv_text()) == ["line 2: row: no_rows"]


def test_optional_employment_end_column(rt):
    header = HEADER_LINE + ",employment_end"
    report = import_text(rt, csv_text([*row(), "2026-10-31"], [*row(nib="26020000002"), ""], header=header))
    assert report.ok
    ends = {p.nib: p.employment_end for p in all_rows(rt, Participant)}
    assert ends == {"26020000001": date(2026, 10, 31), "26020000002": None}
    assert errors_of(rt, csv_text([*row(nib="26020000003"), "31-10-2026"], header=header)) == [
        "line 2: employment_end: date_iso"]


def test_refused_file_leaves_earlier_imports_untouched(rt):
    import_text(rt, csv_text(row()))
    assert errors_of(rt, csv_text(row(balance="99"), row(nib="26020000002", email="x"))) == [
        "line 3: email: email_invalid"]
    assert all_rows(rt, Participant)[0].balance == 12_500_000


def test_unknown_extra_column_is_a_header_error(rt):
    [error] = errors_of(rt, csv_text([*row(), "x"], header=HEADER_LINE + ",hobby"))
    assert error.startswith("line 1: header:")


def test_files_with_bom_and_crlf(rt, tmp_path):
    path = tmp_path / "peserta.csv"
    path.write_bytes(("\ufeff" + csv_text(row())).replace("\n", "\r\n").encode("utf-8"))
    assert import_file(rt, path).created == 1


def test_non_utf8_file(rt, tmp_path):
    path = tmp_path / "peserta.csv"
    path.write_bytes(csv_text(row(full_name="Sri Wahyuni")).encode("utf-8").replace(b"Wahyuni", b"Wahy\xfani"))
    report = import_file(rt, path)
    assert [(e.field, e.rule) for e in report.errors] == [("file", "not_utf8")]
    assert count(rt, Participant) == 0


def test_missing_file(rt, tmp_path):
    report = import_file(rt, tmp_path / "nowhere.csv")
    assert [(e.field, e.rule) for e in report.errors] == [("file", "unreadable")]
