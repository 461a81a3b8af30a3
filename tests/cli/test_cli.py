"""The `kidb` command driven through `kidb_tui.cli.main`: participants import, db upgrade,
accounts unlock and audit verify, each checked against the database it wrote (kidb_tui/cli.py)."""

import getpass
import io
from datetime import date

import pytest
from sqlalchemy import create_engine, text

from kidb_tui.bootstrap import prepare
from kidb_tui.cli import main
from kidb_tui.config import Settings
from kidb_tui.services.auth import login
from kidb_tui.services.demo import demo_csv
from tests.conftest import FAST_ARGON2, SITI

PEPPER = "cli-test-pepper-0123456789abcdef-0123"
AUDIT_KEY = "cli-test-audit-key-0123456789abcdef-01"


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path, monkeypatch) -> str:
    """The database the commands run on: a SQLite file, or a fresh database on the test PostgreSQL."""
    monkeypatch.setenv("KIDB_PEPPER", PEPPER)
    monkeypatch.setenv("KIDB_AUDIT_KEY", AUDIT_KEY)
    monkeypatch.setenv("KIDB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KIDB_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("KIDB_ARGON2_TIME_COST", "1")
    monkeypatch.delenv("KIDB_DATABASE_URL", raising=False)
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    return request.getfixturevalue("pg_settings").database_url


@pytest.fixture
def os_user(monkeypatch) -> str:
    """The operating-system user the commands run as."""
    monkeypatch.setattr(getpass, "getuser", lambda: "alice")
    return "alice"


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


def lock_siti(url: str) -> None:
    """Five wrong PINs: Siti's account is locked."""
    rt = prepare(Settings(database_url=url, pepper=PEPPER.encode(), audit_key=AUDIT_KEY.encode(), argon2=FAST_ARGON2,
                          failure_delay_base=0.0))
    try:
        for _ in range(5):
            login(rt, SITI.nib, "000000")
    finally:
        rt.engine.dispose()


def test_accounts_unlock(url, tmp_path, capsys, os_user):
    main(["--database", url, "participants", "import", str(good_file(tmp_path))])
    lock_siti(url)
    capsys.readouterr()
    assert main(["--database", url, "accounts", "unlock", SITI.nib]) == 0
    assert capsys.readouterr().out.strip() == f"Kunci akun NIB {SITI.nib} dibuka."
    assert query(url, f"SELECT count(*) FROM login_throttle WHERE key = '{SITI.nib}'") == [(0,)]
    assert query(url, "SELECT actor, subject FROM audit_event WHERE action = 'auth.unlocked'") == [
        ("cli:alice", SITI.nib)]
    assert main(["--database", url, "accounts", "unlock", SITI.nib]) == 0
    assert capsys.readouterr().out.strip() == f"Akun NIB {SITI.nib} tidak terkunci; tidak ada yang diubah."


def test_commands_that_change_data_record_the_operating_system_user(url, tmp_path, capsys, monkeypatch, os_user):
    assert main(["--database", url, "participants", "import", str(good_file(tmp_path))]) == 0
    lock_siti(url)
    assert main(["--database", url, "accounts", "unlock", SITI.nib]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("Loket-Tiga-Bandung-9\n"))
    assert main(["--database", url, "officer", "add", "citra.dewi", "--password-stdin"]) == 0
    assert main(["--database", url, "claims", "export", "--stage", "agenda", str(tmp_path / "agenda.csv")]) == 0
    changes = ("participants.imported", "auth.unlocked", "officer.added", "claims.exported")
    rows = query(url, "SELECT action, actor FROM audit_event ORDER BY id")
    assert [(action, actor) for action, actor in rows if action in changes] == [
        (action, "cli:alice") for action in changes]


@pytest.mark.parametrize("failure", [OSError("no user name"), KeyError("getpwuid(): uid not found: 4242")],
                         ids=["oserror", "keyerror"])
def test_unnamed_os_user_is_unknown(url, tmp_path, monkeypatch, failure):
    def getuser():
        raise failure

    monkeypatch.setattr(getpass, "getuser", getuser)
    assert main(["--database", url, "participants", "import", str(good_file(tmp_path))]) == 0
    assert query(url, "SELECT actor FROM audit_event") == [("cli:unknown",)]


@pytest.mark.parametrize("user, actor", [
    ("eve\nforged\x1b[2J", "cli:eve\\nforged\\x1b[2J"),
    ("u" * 100, "cli:" + "u" * 56),
], ids=["escapes", "too-long"])
def test_crafted_os_user_name(url, tmp_path, monkeypatch, user, actor):
    monkeypatch.setattr(getpass, "getuser", lambda: user)
    assert main(["--database", url, "participants", "import", str(good_file(tmp_path))]) == 0
    assert query(url, "SELECT actor FROM audit_event") == [(actor,)]


def test_accounts_unlock_with_a_malformed_nib_is_a_sentence_and_exit_2(url, capsys):
    for language, sentence in (
        ("id", "kidb: NIB (nomor peserta): harus tepat 11 angka, sesuai kartu peserta."),
        ("en", "kidb: NIB (participant no.): must be exactly 11 digits, as on the participant card."),
    ):
        assert main(["--database", url, "--language", language, "accounts", "unlock", "abc"]) == 2
        out, err = capsys.readouterr()
        assert (out, err.splitlines()) == ("", [sentence])


def test_unlocking_an_nib_with_no_participant_says_so_and_exits_1(url, capsys, tmp_path):
    main(["--database", url, "participants", "import", str(good_file(tmp_path))])
    capsys.readouterr()
    assert main(["--database", url, "accounts", "unlock", "26019999999"]) == 1
    out, err = capsys.readouterr()
    assert (out, err.splitlines()) == ("", ["kidb: Tidak ada peserta dengan NIB ini."])
    assert query(url, "SELECT count(*) FROM audit_event WHERE action = 'auth.unlocked'") == [(0,)]


def test_audit_verify(url, tmp_path, capsys):
    main(["--database", url, "participants", "import", str(good_file(tmp_path))])
    capsys.readouterr()
    assert main(["--database", url, "audit", "verify"]) == 0
    assert capsys.readouterr().out.strip() == (
        "audit chain verified (0 rows, 0 checkpoints); 1 row(s) written in the last minute not sealed yet")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_event SET actor = 'someone-else'"))
    engine.dispose()
    assert main(["--database", url, "audit", "verify"]) == 1
    assert capsys.readouterr().err.startswith("audit row ")


@pytest.mark.parametrize("command", [[], ["backoffice"]], ids=["kiosk", "backoffice"])
def test_an_app_run_on_its_own_leaves_its_audit_rows_sealed(url, tmp_path, monkeypatch, command):
    """No `kidb serve` seals for a kiosk or back office run directly: the app's own sealer does,
    at the latest when the app ends."""
    from kidb_tui.app import KidbApp
    from kidb_tui.backoffice.app import BackofficeApp

    main(["--database", url, "participants", "import", str(good_file(tmp_path))])

    def a_login(app) -> None:
        assert login(app.rt, SITI.nib, "000000").identity is None

    monkeypatch.setattr(KidbApp, "run", a_login)
    monkeypatch.setattr(BackofficeApp, "run", a_login)
    assert main(["--database", url, *command]) == 0
    assert query(url, "SELECT action, seq IS NOT NULL FROM audit_event ORDER BY id") == [
        ("participants.imported", True), ("auth.login_failed", True)]
