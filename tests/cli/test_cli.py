"""The `kidb` command driven through `kidb_tui.cli.main`: participants import, db upgrade,
accounts unlock and audit verify, each checked against the database it wrote (kidb_tui/cli.py)."""

from datetime import date

import pytest
from sqlalchemy import create_engine, text

from kidb_tui.bootstrap import prepare
from kidb_tui.cli import main
from kidb_tui.config import Settings
from kidb_tui.services.auth import login
from kidb_tui.services.demo import demo_csv
from tests.conftest import FAST_ARGON2, SITI

PEPPER = "cli-test-pepper"


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path, monkeypatch) -> str:
    """The database the commands run on: a SQLite file, or a fresh database on the test PostgreSQL."""
    monkeypatch.setenv("KIDB_PEPPER", PEPPER)
    monkeypatch.setenv("KIDB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KIDB_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("KIDB_ARGON2_TIME_COST", "1")
    monkeypatch.delenv("KIDB_DATABASE_URL", raising=False)
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    return request.getfixturevalue("pg_settings").database_url


def query(url: str, sql: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql)).all()
    finally:
        engine.dispose()


def good_file(tmp_path):
    path = tmp_path / "peserta.csv"
    path.write_text(demo_csv(date(2026, 11, 25)), encoding="utf-8")
    return path


def test_import_a_good_file(url, tmp_path, capsys):
    assert main(["--database", url, "participants", "import", str(good_file(tmp_path))]) == 0
    assert capsys.readouterr().out.strip() == "imported: 6 new, 0 updated"
    assert query(url, "SELECT count(*) FROM participant") == [(6,)]
    assert main(["--database", url, "participants", "import", str(good_file(tmp_path))]) == 0
    assert capsys.readouterr().out.strip() == "imported: 0 new, 6 updated"


def test_import_a_bad_file_reports_lines_and_imports_nothing(url, tmp_path, capsys):
    lines = demo_csv(date(2026, 11, 25)).splitlines()
    lines[2] = lines[2].replace("26010000002", "2601000000X")
    lines[4] = lines[4].replace("081234567804", "021-5551234").replace("12190", "0219")
    path = tmp_path / "rusak.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["--database", url, "participants", "import", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        "line 3: nib: nib_format",
        "line 5: phone: phone_invalid",
        "line 5: postal_code: postal_code_format",
        "nothing imported: 3 error(s)",
    ]
    assert query(url, "SELECT count(*) FROM participant") == [(0,)]


def test_db_upgrade(url, capsys):
    assert main(["--database", url, "db", "upgrade"]) == 0
    assert "latest schema" in capsys.readouterr().out
    assert query(url, "SELECT count(*) FROM claim_type") == [(12,)]
    assert len(query(url, "SELECT version_num FROM alembic_version")) == 1


def test_database_url_from_the_environment_and_default_folder(url, tmp_path, monkeypatch):
    monkeypatch.setenv("KIDB_DATABASE_URL", url)
    assert main(["db", "upgrade"]) == 0
    assert query(url, "SELECT count(*) FROM bank") == [(7,)]
    monkeypatch.delenv("KIDB_DATABASE_URL")
    assert main(["db", "upgrade"]) == 0
    assert (tmp_path / "data" / "kidb.sqlite3").exists()


def test_accounts_unlock(url, tmp_path, capsys):
    main(["--database", url, "participants", "import", str(good_file(tmp_path))])
    rt = prepare(Settings(database_url=url, pepper=PEPPER.encode(), argon2=FAST_ARGON2, failure_delay_base=0.0))
    try:
        for _ in range(5):
            login(rt, SITI.nib, "000000")
    finally:
        rt.engine.dispose()
    capsys.readouterr()
    assert main(["--database", url, "accounts", "unlock", SITI.nib]) == 0
    assert capsys.readouterr().out.strip() == "unlocked"
    assert query(url, "SELECT count(*) FROM login_throttle") == [(0,)]
    assert query(url, "SELECT actor, subject FROM audit_event WHERE action = 'auth.unlocked'") == [("cli", SITI.nib)]
    assert main(["--database", url, "accounts", "unlock", SITI.nib]) == 0
    assert capsys.readouterr().out.strip() == "no lock recorded for that NIB"


def test_accounts_unlock_with_a_malformed_nib_is_an_error_not_a_crash(url, capsys):
    assert main(["--database", url, "accounts", "unlock", "2601"]) != 0
    assert "nib: nib_format" in capsys.readouterr().err


def test_audit_verify(url, tmp_path, capsys):
    main(["--database", url, "participants", "import", str(good_file(tmp_path))])
    capsys.readouterr()
    assert main(["--database", url, "audit", "verify"]) == 0
    assert capsys.readouterr().out.strip() == "audit chain verified"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_event SET actor = 'someone-else'"))
    engine.dispose()
    assert main(["--database", url, "audit", "verify"]) == 1
    assert capsys.readouterr().err.startswith("audit row ")
