"""The back-office subcommands of `kidb`: `officer add`, `claims export` and `audit verify`,
run through kidb_tui.cli.main on a SQLite file (kidb_tui/cli.py)."""

import csv
import io
import sys

import pytest
from sqlalchemy import text
from sqlmodel import select

from kidb_tui import cli
from kidb_tui.models import AuditEvent, Officer
from tests.backoffice_services.helpers import claim_of
from tests.conftest import BUDI

PASSWORD = "Loket-Tiga-Bandung-9"


@pytest.fixture
def kidb(request, settings, tmp_path, monkeypatch, capsys):
    """`kidb(*args)` runs the CLI on the test's database (that of `demo_rt`, else `rt`);
    returns (exit code, stdout, stderr)."""
    runtime = request.getfixturevalue("demo_rt" if "demo_rt" in request.fixturenames else "rt")
    url = runtime.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("KIDB_PEPPER", settings.pepper.get_secret_value().decode())
    monkeypatch.setenv("KIDB_AUDIT_KEY", settings.audit_key.get_secret_value().decode())
    monkeypatch.setenv("KIDB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KIDB_ARGON2_MEMORY_KIB", str(settings.argon2.memory_kib))
    monkeypatch.setenv("KIDB_ARGON2_TIME_COST", str(settings.argon2.time_cost))
    monkeypatch.delenv("KIDB_DATABASE_URL", raising=False)

    def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = cli.main(["--database", url, *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def officers_in(rt) -> list[Officer]:
    with rt.read() as session:
        return list(session.exec(select(Officer)).all())


def test_officer_add_creates_a_supervisor(kidb, rt):
    code, out, err = kidb("officer", "add", "citra.dewi", "--role", "supervisor", "--branch", "Bandung",
                          "--password-stdin", stdin=PASSWORD + "\n")
    assert (code, err) == (0, "")
    assert "citra.dewi" in out and "supervisor" in out
    [row] = officers_in(rt)
    assert (row.username, row.role, row.branch) == ("citra.dewi", "supervisor", "Bandung")
    assert rt.hasher.verify(row.password_hash, PASSWORD)


def test_officer_add_defaults_to_the_officer_role(kidb, rt):
    assert kidb("officer", "add", "dodi.loket", "--password-stdin", stdin=PASSWORD + "\n")[0] == 0
    assert [row.role for row in officers_in(rt)] == ["officer"]


@pytest.mark.parametrize("password, sentence", [
    ("pendek-1", "kidb: Kata sandi: kata sandi minimal 12 dan paling banyak 128 karakter."),
    ("LeaveMeAlone", "kidb: Kata sandi: termasuk PIN/sandi yang paling sering dipakai orang; pilih yang lain."),
    ("citra.dewi-2026!", "kidb: Kata sandi: tidak boleh memuat nama pengguna."),
])
def test_officer_add_with_a_weak_password_is_bad_input_named_in_a_sentence(kidb, rt, password, sentence):
    code, _out, err = kidb("officer", "add", "citra.dewi", "--password-stdin", stdin=password + "\n")
    assert code == 2
    assert sentence in err.splitlines()
    assert officers_in(rt) == []


@pytest.mark.parametrize("repeated, code, message", [
    (PASSWORD, 0, ""),
    (PASSWORD + "x", 2, "kidb: Kata sandi: tidak sama dengan isian pertama.\n"),
])
def test_officer_add_asks_for_the_password_twice(kidb, rt, monkeypatch, repeated, code, message):
    answers = iter((PASSWORD, repeated))
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt: next(answers))
    assert kidb("officer", "add", "citra.dewi")[::2] == (code, message)
    assert len(officers_in(rt)) == (1 if code == 0 else 0)


def test_officer_add_twice_fails_on_the_username(kidb, rt):
    kidb("officer", "add", "citra.dewi", "--password-stdin", stdin=PASSWORD + "\n")
    code, _, err = kidb("officer", "add", "citra.dewi", "--password-stdin", stdin="Another-Strong-Pass-7\n")
    assert code == 2
    assert "kidb: Nama pengguna: sudah dipakai petugas lain." in err.splitlines()
    assert len(officers_in(rt)) == 1


def test_an_unknown_role_is_a_usage_error(kidb, rt):
    with pytest.raises(SystemExit) as caught:
        kidb("officer", "add", "citra.dewi", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    assert caught.value.code == 2
    assert officers_in(rt) == []


def test_claims_export_writes_the_stage(kidb, demo_rt, tmp_path):
    path = tmp_path / "agenda.csv"
    code, out, err = kidb("claims", "export", "--stage", "agenda", str(path))
    assert (code, err) == (0, "")
    assert "1 claim(s)" in out
    with path.open(newline="", encoding="utf-8") as handle:
        *rows, control = list(csv.DictReader(handle))
    assert [(row["reference"], row["nib"], row["amount"]) for row in rows] == [
        (claim_of(demo_rt, BUDI).reference, BUDI.nib, "4500000")]
    assert control["reference"] == "CONTROL"


def test_claims_export_with_a_bad_stage_exits_2(kidb, demo_rt, tmp_path):
    path = tmp_path / "x.csv"
    code, _, err = kidb("claims", "export", "--stage", "dibayar", str(path))
    assert code == 2
    assert err.splitlines() == [
        "kidb: Tahap: bukan tahap yang dikenal (agenda, penetapan, persetujuan, pembayaran, selesai, ditolak)."]
    assert not path.exists()


def test_audit_verify_passes_on_a_good_database_once_sealed(kidb, demo_rt):
    code, _, err = kidb("audit", "verify")
    assert (code, "not sealed" in err) == (1, True)
    assert kidb("audit", "seal")[0] == 0
    code, out, err = kidb("audit", "verify")
    assert (code, err) == (0, "")
    assert "verified" in out


def test_audit_verify_names_the_tampered_row(kidb, demo_rt):
    with demo_rt.read() as session:
        target = session.exec(select(AuditEvent.id).where(AuditEvent.action == "review.ditolak")).one()
    with demo_rt.engine.begin() as connection:
        connection.execute(text("UPDATE audit_event SET actor = 'ani' WHERE id = :id"), {"id": target})
    code, out, err = kidb("audit", "verify")
    assert code == 1
    assert f"audit row {target}" in err
    assert "verified" not in out


def test_audit_verify_names_a_row_edited_into_malformed_content(kidb, demo_rt):
    with demo_rt.read() as session:
        target = session.exec(select(AuditEvent.id).where(AuditEvent.action == "officer.added")).first()
    malformed = "'x'" if demo_rt.engine.dialect.name == "sqlite" else "'\"x\"'"
    with demo_rt.engine.begin() as connection:
        connection.execute(text(f"UPDATE audit_event SET details = {malformed} WHERE id = :id"), {"id": target})
    code, _, err = kidb("audit", "verify")
    assert code == 1
    assert f"audit row {target}:" in err


def test_audit_verify_names_the_row_after_a_deleted_one(kidb, demo_rt):
    assert kidb("audit", "seal")[0] == 0
    with demo_rt.read() as session:
        first, second = session.exec(select(AuditEvent.id).order_by(AuditEvent.id).offset(3).limit(2)).all()
    with demo_rt.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": first})
    code, _, err = kidb("audit", "verify")
    assert code == 1
    assert f"audit row {second}:" in err
