"""Sessions never migrate the schema: the kiosk, `kidb serve` and a session host's sessions
refuse a database at another revision with one line telling the operator to run `kidb db
upgrade`, which says what it will do, backs a SQLite database up first and then migrates;
`kidb db current` shows the revision; an empty database still gets its schema (kidb_tui/
bootstrap.py, kidb_tui/operations.py)."""

from __future__ import annotations

import sqlite3
import stat

import pytest
from sqlalchemy import text

from kidb_tui import bootstrap, migrate
from kidb_tui.bootstrap import SchemaMismatch, prepare
from kidb_tui.cli import main
from kidb_tui.db import make_engine
from kidb_tui.host import child
from kidb_tui.services.hashing import SecretHasher
from tests.conftest import FAST_ARGON2
from tests.operations.conftest import scalar, sqlite_url


@pytest.fixture
def old_url(data_dir) -> str:
    """A database at revision 0004 (the schema before this issue) holding one participant."""
    url = sqlite_url(data_dir)
    engine = make_engine(url)
    migrate.upgrade(engine, "0004")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO participant (nib, nik, full_name, birth_date, email, phone, address, postal_code, balance,"
            " reserved, membership_status, card_status, membership_start, created_at, updated_at) VALUES"
            " ('26010000001', '3171016204850003', 'Siti', '1985-04-22', '', '', '', '', 1, 0, 'active', 'active',"
            " '2015-01-01', '2026-11-25 03:00:00', '2026-11-25 03:00:00')"))
    engine.dispose()
    return url


def test_prepare_refuses_an_old_schema_and_leaves_it_as_it_is(old_url, settings):
    with pytest.raises(SchemaMismatch) as caught:
        prepare(settings.with_(database_url=old_url))
    assert str(caught.value) == ("the database schema is at revision 0004, this kidb needs 0008: stop the kiosks "
                                 "and run `kidb db upgrade` (it backs up a SQLite database first)")
    assert scalar(old_url, "SELECT version_num FROM alembic_version") == "0004"


@pytest.mark.parametrize("argv", [[], ["--kiosk"], ["serve", "--listen", "127.0.0.1:0"], ["backoffice"]],
                         ids=["kiosk", "locked-kiosk", "serve", "backoffice"])
def test_sessions_and_serve_refuse_with_one_line(old_url, capsys, argv):
    assert main(["--database", old_url, *argv]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "kidb: the database schema is at revision 0004, this kidb needs 0008: stop the kiosks and run "
        "`kidb db upgrade` (it backs up a SQLite database first)"]
    assert "listening" not in captured.out
    assert scalar(old_url, "SELECT version_num FROM alembic_version") == "0004"


def test_a_session_from_the_session_host_does_not_migrate(old_url, settings):
    with pytest.raises(SchemaMismatch):
        child._runtime(settings.with_(database_url=old_url), SecretHasher(b"p" * 32, FAST_ARGON2))
    assert scalar(old_url, "SELECT version_num FROM alembic_version") == "0004"


def test_a_newer_schema_is_refused_too(old_url, settings):
    engine = make_engine(old_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    with pytest.raises(SchemaMismatch) as caught:
        prepare(settings.with_(database_url=old_url))
    assert "newer than this kidb's (0008)" in str(caught.value)


def test_db_current_names_the_revision(old_url, capsys):
    assert main(["--database", old_url, "db", "current"]) == 1
    assert capsys.readouterr().out.strip() == "0004 (this kidb needs 0008: run `kidb db upgrade`)"


def test_db_upgrade_says_what_it_does_backs_up_then_migrates(old_url, data_dir, capsys):
    assert main(["--database", old_url, "db", "upgrade", "--dry-run"]) == 0
    assert scalar(old_url, "SELECT version_num FROM alembic_version") == "0004"
    assert not (data_dir / "backups").exists()
    capsys.readouterr()
    assert main(["--database", old_url, "db", "upgrade"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"database {old_url} is at revision 0004; this kidb's schema is 0008"
    assert lines[1].startswith("  will apply 0005: operations") and lines[2].startswith("  will apply 0006")
    assert lines[3].startswith("  will apply 0007: notify")
    assert lines[4].startswith("  will apply 0008: queue indexes")
    [backup] = (data_dir / "backups").iterdir()
    assert lines[5].startswith(f"backup written to {backup} (")
    assert lines[-1] == "database is at the latest schema (0008)"
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    with sqlite3.connect(backup) as copy:
        assert copy.execute("SELECT version_num FROM alembic_version").fetchone() == ("0004",)
        assert copy.execute("SELECT count(*) FROM participant").fetchone() == (1,)
    assert scalar(old_url, "SELECT version_num FROM alembic_version") == "0008"
    assert scalar(old_url, "SELECT count(*) FROM participant") == 1
    assert main(["--database", old_url, "db", "current"]) == 0
    assert capsys.readouterr().out.strip() == "0008 (current)"


def test_an_empty_database_gets_its_schema_and_the_demo_still_builds(data_dir, settings):
    rt = prepare(settings)
    try:
        assert migrate.current_revision(rt.engine) == migrate.HEAD
    finally:
        rt.engine.dispose()
    demo = bootstrap.build_demo(settings.with_(database_url=sqlite_url(data_dir, "demo.sqlite3")))
    try:
        assert migrate.is_current(demo.engine)
    finally:
        demo.engine.dispose()
