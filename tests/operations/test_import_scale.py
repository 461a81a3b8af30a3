"""`kidb participants import` at real size: rows validated with no lock held (in worker
processes for a big file, with the same result as one process), stored by a few bulk
statements in a short write transaction, progress reported (a bar on a terminal, plain lines
otherwise), errors capped at the first 100 with a count of the rest
(kidb_tui/services/participants.py, kidb_tui/cli.py)."""

from __future__ import annotations

import io
import sqlite3

import pytest
from sqlalchemy import event, func
from sqlmodel import select

from kidb_tui import cli
from kidb_tui.cli import main
from kidb_tui.models import Participant
from kidb_tui.services import participants
from kidb_tui.services.participants import import_text
from tests.crash import population


def text_of(count: int, start: int = 1, **changes_by_n: dict) -> str:
    rows = [{**population.row(n), **changes_by_n.get(f"n{n}", {})} for n in range(start, start + count)]
    return population.csv_text(rows)


def stored(rt) -> int:
    with rt.read() as session:
        return session.exec(select(func.count()).select_from(Participant)).one()


def test_progress_is_reported_for_each_phase(rt):
    seen: list[tuple[str, int, int]] = []
    report = import_text(rt, text_of(4500), progress=lambda *step: seen.append(step))
    assert report.ok and report.created == 4500
    validated = [done for phase, done, total in seen if phase == "validate"]
    assert validated == sorted(validated) and validated[-1] == 4500 and len(validated) == 3
    assert seen[-1] == ("store", 4500, 4500)


def test_validation_holds_no_lock(rt):
    """A kiosk writes while the file is validated: the database is not locked meanwhile."""
    path = rt.engine.url.database
    writes = []

    def kiosk_write(phase: str, done: int, total: int) -> None:
        if phase == "validate":
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")
            other.execute("UPDATE login_throttle SET failures = failures")
            other.execute("COMMIT")
            other.close()
            writes.append(done)

    assert import_text(rt, text_of(3000), progress=kiosk_write).ok
    assert writes


@pytest.mark.parametrize("parallel_from", [1, 10**9], ids=["workers", "one-process"])
def test_workers_and_one_process_find_the_same_errors(rt, monkeypatch, parallel_from):
    monkeypatch.setattr(participants, "PARALLEL_FROM", parallel_from)
    text = text_of(6000, n17={"email": "x"}, n2500={"nib": "27"}, n4100={"nik": population.nik(3)},
                   n5999={"phone": "021"})
    report = import_text(rt, text)
    assert [str(error) for error in report.errors] == [
        "line 18: email: email_invalid", "line 2501: nib: nib_format",
        "line 4101: nik: duplicate_of_line_4", "line 6000: phone: phone_invalid"]
    assert stored(rt) == 0


def test_a_big_file_is_stored_by_a_few_statements_in_a_short_transaction(rt):
    assert import_text(rt, text_of(500)).ok
    statements: list[str] = []
    event.listen(rt.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    report = import_text(rt, text_of(12_000))
    assert (report.created, report.updated) == (11_500, 500)
    writes = [sql for sql in statements if sql.lstrip().upper().startswith(("INSERT INTO PARTICIPANT",
                                                                             "UPDATE PARTICIPANT"))]
    assert len(writes) == 2
    assert len(statements) <= 20
    assert 0 < report.lock_seconds <= 2.0
    assert stored(rt) == 12_000


def bad_file(tmp_path, bad: int):
    rows = [{**population.row(n), "postal_code": "0"} if n <= bad else population.row(n) for n in range(1, bad + 11)]
    path = tmp_path / "peserta.csv"
    path.write_text(population.csv_text(rows), encoding="utf-8")
    return path


def test_errors_are_capped_at_100_with_a_count_of_the_rest(rt, data_dir, tmp_path, capsys):
    assert main(["--database", rt.settings.database_url, "participants", "import", str(bad_file(tmp_path, 150))]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[:2] == ["line 2: postal_code: postal_code_format", "line 3: postal_code: postal_code_format"]
    assert lines[99] == "line 101: postal_code: postal_code_format"
    assert lines[100:] == ["... and 50 more error(s)", "nothing imported: 150 error(s)"]


def test_plain_progress_lines_when_not_on_a_terminal(rt, data_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "PROGRESS_EVERY", 0.0)
    path = tmp_path / "peserta.csv"
    path.write_text(text_of(2500), encoding="utf-8")
    assert main(["--database", rt.settings.database_url, "participants", "import", str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == "imported: 2500 new, 0 updated"
    err = captured.err.splitlines()
    assert err[:2] == ["validating rows: 2000/2500", "validating rows: 2500/2500"]
    assert "storing rows: 2500/2500" in err
    assert err[-1].startswith("write lock held ") and err[-1].endswith(" s")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_progress_bar_on_a_terminal():
    stream = Terminal()
    progress, done = cli._progress(stream)
    progress("validate", 10, 100)
    progress("validate", 100, 100)
    progress("store", 100, 100)
    done()
    drawn = stream.getvalue()
    assert "validating rows" in drawn and "\x1b[" in drawn


@pytest.fixture(params=["rt", "pg_rt"], ids=["sqlite", "postgresql"])
def any_demo_rt(request):
    from kidb_tui.services import demo

    runtime = request.getfixturevalue(request.param)
    demo.seed(runtime)
    return runtime


def test_a_balance_reserved_between_the_check_and_the_write_is_caught(any_demo_rt, monkeypatch):
    """The check reads a stale reservation (as if a kiosk filed a claim just after it): the write
    updates nothing it should not, and the second pass reports the row."""
    from kidb_tui.services.demo import demo_csv
    from tests.conftest import BUDI

    real, passes = participants._existing, []

    def stale(session, name, values, chunk=5000):
        found = real(session, name, values, chunk)
        if name == "nib" and not passes:
            passes.append(1)
            return {nib: (row[0], row[1], row[2], 0) for nib, row in found.items()}
        return found

    monkeypatch.setattr(participants, "_existing", stale)
    text = demo_csv(any_demo_rt.now().date()).replace(",42000000,", ",1000000,")
    report = import_text(any_demo_rt, text)
    assert [str(error) for error in report.errors] == ["line 3: balance: below_amount_reserved_by_open_claims"]
    with any_demo_rt.read() as session:
        budi = session.exec(select(Participant).where(Participant.nib == BUDI.nib)).one()
    assert budi.balance == 42_000_000 and passes == [1]
