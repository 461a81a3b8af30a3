"""Files that hold participants' data or keys are private to the account kidb runs as: the data
folder 0700, the SQLite database and its -wal/-shm files 0600 (kidb_tui/db.py), and `kidb`
refuses to start on a key file others can read or one that is too short (kidb_tui/cli.py)."""

import os
import sqlite3
import stat
import subprocess
import sys

import pytest
from sqlalchemy import text

from kidb_tui.cli import main
from kidb_tui.config import load_pepper
from kidb_tui.db import make_engine, write_session

KEY = b"k" * 32


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(autouse=True)
def usual_umask():
    """The common 022 umask, under which plain file creation gives 0644 and folders 0755."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_new_database_gets_a_private_folder_and_private_files(tmp_path):
    database = tmp_path / "data" / "kidb.sqlite3"
    engine = make_engine(f"sqlite:///{database}")
    assert mode(database.parent) == 0o700
    assert mode(database) == 0o600
    with write_session(engine) as session:
        session.execute(text("CREATE TABLE nik (value TEXT)"))
        session.execute(text("INSERT INTO nik VALUES ('3171016204850003')"))
    with engine.connect():
        for suffix in ("-wal", "-shm"):
            assert mode(f"{database}{suffix}") == 0o600, suffix
    engine.dispose()


def test_an_existing_database_open_to_others_is_tightened_with_its_wal_and_shm(tmp_path):
    database = tmp_path / "old.sqlite3"
    other = sqlite3.connect(database)
    other.execute("PRAGMA journal_mode = WAL")
    other.execute("CREATE TABLE nik (value TEXT)")
    other.commit()
    assert [mode(f"{database}{suffix}") for suffix in ("", "-wal", "-shm")] == [0o644] * 3
    engine = make_engine(f"sqlite:///{database}")
    assert [mode(f"{database}{suffix}") for suffix in ("", "-wal", "-shm")] == [0o600] * 3
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM nik")).scalar() == 0
    engine.dispose()
    other.close()


def test_an_existing_folder_is_left_as_it_is(tmp_path):
    """A database can live in a folder the operator chose (even the current one): kidb creates
    folders 0700 but does not change the mode of one that exists."""
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    make_engine(f"sqlite:///{folder / 'kidb.sqlite3'}").dispose()
    assert mode(folder) == 0o755
    assert mode(folder / "kidb.sqlite3") == 0o600


def test_a_new_pepper_file_and_its_folder_are_private(tmp_path):
    folder = tmp_path / "data"
    assert len(load_pepper(folder).get_secret_value()) == 32
    assert (mode(folder), mode(folder / "pepper.key")) == (0o700, 0o600)


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    """`kidb` with its data folder in tmp_path and no key in the environment."""
    for name in ("KIDB_PEPPER", "KIDB_PEPPER_FILE", "KIDB_AUDIT_KEY", "KIDB_AUDIT_KEY_FILE", "KIDB_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KIDB_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def key_file(folder, content: bytes, file_mode: int):
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / "pepper.key"
    path.write_bytes(content)
    path.chmod(file_mode)
    return path


@pytest.mark.parametrize("where", ["data_dir", "KIDB_PEPPER_FILE"])
def test_kidb_refuses_a_pepper_file_others_can_read(cli_env, monkeypatch, capsys, where):
    folder = cli_env / "data" if where == "data_dir" else cli_env / "keys"
    path = key_file(folder, KEY, 0o644)
    if where == "KIDB_PEPPER_FILE":
        monkeypatch.setenv("KIDB_PEPPER_FILE", str(path))
    database = cli_env / "kidb.sqlite3"
    assert main(["--database", f"sqlite:///{database}", "db", "upgrade"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"kidb: {path}: mode 0644 lets others read it; chmod 600 {path}\n"
    assert not database.exists()


def test_kidb_refuses_a_pepper_file_shorter_than_32_bytes(cli_env, capsys):
    path = key_file(cli_env / "data", b"s" * 31, 0o600)
    assert main(["db", "upgrade"]) == 2
    assert capsys.readouterr().err == f"kidb: {path}: 31 bytes; a key needs at least 32\n"
    assert not (cli_env / "data" / "kidb.sqlite3").exists()


def test_the_refusal_is_one_line_without_a_traceback(cli_env):
    path = key_file(cli_env / "data", KEY, 0o640)
    done = subprocess.run([sys.executable, "-m", "kidb_tui", "db", "upgrade"], capture_output=True, text=True,
                          env=os.environ.copy(), timeout=120)
    assert done.returncode == 2
    assert done.stderr == f"kidb: {path}: mode 0640 lets others read it; chmod 600 {path}\n"
    assert "Traceback" not in done.stdout + done.stderr
