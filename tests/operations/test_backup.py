"""`kidb db backup` and `kidb db restore`: the drill (a backup taken while a kiosk keeps
writing, restored into a fresh data directory, where `kidb audit verify` passes and the
participants and claims are all there), a restore refused while the database is in use, and
PostgreSQL through pg_dump/pg_restore (kidb_tui/services/backup.py, kidb_tui/operations.py)."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import textwrap

import pytest

from kidb_tui.bootstrap import prepare
from kidb_tui.cli import main
from kidb_tui.config import load_settings
from kidb_tui.services import demo
from tests.operations.conftest import scalar, sqlite_url

COUNTS = "SELECT (SELECT count(*) FROM participant), (SELECT count(*) FROM claim)"

WRITER = textwrap.dedent("""
    import sys, time
    from kidb_tui.bootstrap import prepare
    from kidb_tui.config import load_settings
    from kidb_tui.services import audit
    rt = prepare(load_settings(sys.argv[1]))
    print("writing", flush=True)
    while True:
        with rt.write() as session:
            audit.record(session, rt, "kiosk", "drill.write", "")
        time.sleep(0.005)
""")

HOLDER = textwrap.dedent("""
    import sys, time
    from kidb_tui.db import make_engine
    from sqlalchemy import text
    engine = make_engine(sys.argv[1])
    with engine.connect() as connection:
        connection.execute(text("SELECT count(*) FROM participant")).scalar()
        print("open", flush=True)
        sys.stdin.readline()
""")


def counts(url: str) -> tuple:
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as connection:
            return tuple(connection.execute(sqlalchemy.text(COUNTS)).one())
    finally:
        engine.dispose()


@pytest.fixture
def demo_url(data_dir) -> str:
    """The demo participants and claims in the data directory's database."""
    url = sqlite_url(data_dir)
    rt = prepare(load_settings(url))
    demo.seed(rt)
    rt.engine.dispose()
    return url


def start(script: str, url: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", script, url], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True, env=dict(os.environ))
    assert process.stdout.readline().strip() in ("writing", "open")
    return process


def test_the_backup_and_restore_drill(demo_url, data_dir, tmp_path, monkeypatch, capsys):
    writer = start(WRITER, demo_url)
    try:
        before = scalar(demo_url, "SELECT count(*) FROM audit_event")
        assert main(["db", "backup", str(tmp_path / "kidb-backup.sqlite3")]) == 0
    finally:
        writer.kill()
        writer.wait()
    after = scalar(demo_url, "SELECT count(*) FROM audit_event")
    out = capsys.readouterr().out
    assert f"written to {tmp_path / 'kidb-backup.sqlite3'}" in out and "pepper and the audit key" in out
    backup = tmp_path / "kidb-backup.sqlite3"
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    with sqlite3.connect(backup) as copy:
        copied = copy.execute("SELECT count(*) FROM audit_event").fetchone()[0]
    assert before <= copied <= after  # one snapshot, taken while the kiosk wrote

    fresh = tmp_path / "fresh"
    monkeypatch.setenv("KIDB_DATA_DIR", str(fresh))
    assert main(["db", "restore", str(backup)]) == 0
    assert capsys.readouterr().out.strip() == f"restored {backup} into {fresh / 'kidb.sqlite3'} (schema 0008)"
    assert main(["audit", "seal"]) == 0
    capsys.readouterr()
    assert main(["audit", "verify"]) == 0
    assert capsys.readouterr().out.strip() == f"audit chain verified ({copied} rows, 0 checkpoints)"
    restored = sqlite_url(fresh)
    assert counts(restored) == counts(demo_url) == (len(demo.PEOPLE), 2)
    assert stat.S_IMODE((fresh / "kidb.sqlite3").stat().st_mode) == 0o600


def test_a_restore_is_refused_while_the_database_is_open(demo_url, data_dir, tmp_path, capsys):
    assert main(["db", "backup", str(tmp_path / "b.sqlite3")]) == 0
    engine_holder = start(HOLDER, demo_url)
    try:
        assert main(["db", "restore", str(tmp_path / "b.sqlite3")]) == 2
    finally:
        engine_holder.communicate("\n")
    assert capsys.readouterr().err.strip() == (
        f"kidb db restore: {data_dir / 'kidb.sqlite3'} is in use (kiosks, back office or kidb serve have it open): "
        "stop them, then restore")
    assert main(["db", "restore", str(tmp_path / "b.sqlite3")]) == 0
    [kept] = (data_dir / "backups").iterdir()
    assert f"the database it replaced was copied to {kept}" in capsys.readouterr().out
    assert counts(sqlite_url(kept.parent, kept.name)) == counts(demo_url)


def test_a_backup_never_overwrites_a_file(demo_url, tmp_path, capsys):
    target = tmp_path / "b.sqlite3"
    target.write_text("precious")
    assert main(["db", "backup", str(target)]) == 2
    assert capsys.readouterr().err.strip() == f"kidb db backup: {target} already exists; choose a new file name"
    assert target.read_text() == "precious"


@pytest.mark.parametrize("content", [b"not a database at all, just text" * 10, b""], ids=["text", "empty"])
def test_a_file_that_is_not_a_kidb_backup_is_refused(demo_url, tmp_path, capsys, content):
    source = tmp_path / "x.sqlite3"
    source.write_bytes(content)
    assert main(["db", "restore", str(source)]) == 2
    assert capsys.readouterr().err.startswith(f"kidb db restore: {source} is not")
    assert counts(demo_url) == (len(demo.PEOPLE), 2)


def test_postgresql_backup_prints_pg_dump_without_the_password(data_dir, tmp_path, capsys):
    url = "postgresql+psycopg://kidb:s3cret@db.example:5433/kidb"
    assert main(["--database", url, "db", "backup", "--print", str(tmp_path / "k.dump")]) == 0
    line = capsys.readouterr().out.strip()
    assert line.endswith(f"pg_dump --host db.example --port 5433 --username kidb --format=custom --no-owner "
                         f"--no-privileges --file {tmp_path / 'k.dump'} kidb")
    assert "s3cret" not in line


def test_postgresql_drill_with_pg_dump_and_pg_restore(data_dir, pg_settings, pg_cluster, tmp_path, capsys):
    rt = prepare(load_settings(pg_settings.database_url))
    demo.seed(rt)
    rt.engine.dispose()
    dump = tmp_path / "kidb.dump"
    assert main(["--database", pg_settings.database_url, "db", "backup", str(dump)]) == 0
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600
    assert main(["--database", pg_settings.database_url, "db", "restore", str(dump)]) == 2
    assert "the database is not empty" in capsys.readouterr().err
    fresh = pg_cluster.url("t_restored_drill")
    import sqlalchemy

    admin = sqlalchemy.create_engine(pg_cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text('DROP DATABASE IF EXISTS "t_restored_drill"'))
        connection.execute(sqlalchemy.text('CREATE DATABASE "t_restored_drill"'))
    admin.dispose()
    assert main(["--database", fresh, "db", "restore", str(dump)]) == 0
    assert main(["--database", fresh, "audit", "verify"]) == 0
    assert counts(fresh) == counts(pg_settings.database_url) == (len(demo.PEOPLE), 2)
