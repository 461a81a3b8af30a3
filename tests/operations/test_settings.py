"""Every KIDB_* setting checked at start: a bad value stops the command with one line naming
the variable (or the config file's key, or the flag), what is wrong with it and what is
allowed, exit status 2, no traceback; the config file and the precedence flag > environment >
file > default; `kidb config show` with secrets masked; keys from files; `kidb --version`
(kidb_tui/config.py, kidb_tui/cli.py, kidb_tui/operations.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kidb_tui import __version__, config
from kidb_tui.cli import main
from kidb_tui.config import SettingsError, load_options, load_settings
from tests.operations.conftest import AUDIT_KEY, PEPPER


def refusal(capsys, *argv: str) -> str:
    """The one line of a refused command (exit status 2, nothing on stdout)."""
    assert main([*argv, "db", "current"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    return line


@pytest.mark.parametrize("name, value, line", [
    ("KIDB_LOCK_MINUTES", "abc",
     "kidb: KIDB_LOCK_MINUTES='abc' is not a whole number; allowed: a whole number from 1 to 10080"),
    ("KIDB_IDLE_SECONDS", "-30", "kidb: KIDB_IDLE_SECONDS='-30' is too small; allowed: a whole number from 1 to 86400"),
    ("KIDB_LANGUAGE", "fr", "kidb: KIDB_LANGUAGE='fr' is not a supported value; allowed: one of id, en"),
    ("KIDB_FAILURE_DELAY", "9.5", "kidb: KIDB_FAILURE_DELAY='9.5' is too large; allowed: a number from 0 to 8"),
    ("KIDB_TIMEZONE", "Europe/Paris",
     "kidb: KIDB_TIMEZONE='Europe/Paris' is not a time zone of Indonesia; allowed: one of Asia/Jakarta (WIB), "
     "Asia/Pontianak (WIB), Asia/Makassar (WITA), Asia/Jayapura (WIT)"),
    ("KIDB_LOG_FORMAT", "xml", "kidb: KIDB_LOG_FORMAT='xml' is not a supported value; allowed: one of kv, json"),
    ("KIDB_HOST_SPARES", "65", "kidb: KIDB_HOST_SPARES='65' is too large; allowed: a whole number from 0 to 64"),
    ("KIDB_MEMORY_MERGE", "maybe", "kidb: KIDB_MEMORY_MERGE='maybe' is not true or false; allowed: true or false (1 or 0)"),
    ("KIDB_TERMINAL_ID", "T" * 41, f"kidb: KIDB_TERMINAL_ID='{'T' * 41}' is too long; allowed: text of at most 40 characters"),
    ("KIDB_IDLE_WARNING_SECONDS", "180",
     "kidb: KIDB_IDLE_WARNING_SECONDS=180 is too large; allowed: less than idle_seconds (180)"),
])
def test_a_bad_environment_value_is_one_line_naming_it(data_dir, monkeypatch, capsys, name, value, line):
    monkeypatch.setenv(name, value)
    assert refusal(capsys) == line


def test_a_bad_database_url_is_refused_without_echoing_it(data_dir, monkeypatch, capsys):
    monkeypatch.setenv("KIDB_DATABASE_URL", "mysql://kidb:s3cret@db/kidb")
    line = refusal(capsys)
    assert line.startswith("kidb: KIDB_DATABASE_URL (not shown: it may hold a password) is not a database URL")
    assert "s3cret" not in line


def test_the_installed_command_exits_2_with_one_line_and_no_traceback(data_dir, monkeypatch):
    env = {**os.environ, "KIDB_LOCK_MINUTES": "abc"}
    done = subprocess.run([sys.executable, "-m", "kidb_tui", "db", "current"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [
        "kidb: KIDB_LOCK_MINUTES='abc' is not a whole number; allowed: a whole number from 1 to 10080"]


def test_an_empty_variable_means_the_default(data_dir, monkeypatch):
    monkeypatch.setenv("KIDB_LOCK_MINUTES", "")
    assert load_settings().lock_minutes == 30


def test_precedence_flag_then_environment_then_file_then_default(data_dir, tmp_path, monkeypatch):
    path = tmp_path / "kidb.toml"
    path.write_text('lock_minutes = 7\nlock_threshold = 4\ntimezone = "Asia/Makassar"\nlanguage = "en"\n')
    monkeypatch.setenv("KIDB_LOCK_MINUTES", "9")
    loaded = load_options({"language": "id"}, path)
    settings = load_settings(loaded=loaded)
    assert (settings.lock_minutes, settings.lock_threshold, settings.timezone, settings.language) == (
        9, 4, "Asia/Makassar", "id")
    assert settings.idle_seconds == 180
    assert (loaded.sources["lock_minutes"], loaded.sources["lock_threshold"], loaded.sources["language"],
            loaded.sources["idle_seconds"]) == ("KIDB_LOCK_MINUTES", f"file {path}", "--language", "default")


def test_the_default_config_file_is_read_when_it_exists(data_dir, tmp_path):
    config.DEFAULT_CONFIG_FILE.parent.mkdir()
    config.DEFAULT_CONFIG_FILE.write_text("session_limit_seconds = 900\n")
    assert load_settings().session_limit_seconds == 900


def test_a_config_file_named_by_flag_reaches_child_processes(data_dir, tmp_path, capsys):
    path = tmp_path / "kidb.toml"
    path.write_text(f'data_dir = "{tmp_path / "elsewhere"}"\nlog_format = "json"\n')
    assert main(["--config", str(path), "config", "show"]) == 0
    assert os.environ["KIDB_CONFIG"] == str(path)
    assert os.environ["KIDB_DATA_DIR"] == str(data_dir)  # the environment wins over the file
    assert os.environ["KIDB_LOG_FORMAT"] == "json"


@pytest.mark.parametrize("content, line", [
    ("lock_minutes = 'x'\n", "{path}: lock_minutes='x' is not a whole number; allowed: a whole number from 1 to 10080"),
    ("lock_minute = 5\n", "config file {path}: unknown setting 'lock_minute'; allowed: database_url, data_dir,"),
    ("lock_minutes = \n", "config file {path}: not TOML (Invalid value (at line 1, column 16))"),
])
def test_a_bad_config_file_is_one_line(data_dir, tmp_path, capsys, content, line):
    path = tmp_path / "kidb.toml"
    path.write_text(content)
    assert refusal(capsys, "--config", str(path)).startswith("kidb: " + line.format(path=path))


def test_a_missing_config_file_is_one_line(data_dir, tmp_path, capsys):
    assert refusal(capsys, "--config", str(tmp_path / "nowhere.toml")) == (
        f"kidb: config file {tmp_path / 'nowhere.toml'}: No such file or directory")


def test_config_show_prints_every_setting_with_its_source_and_no_secret(data_dir, tmp_path, monkeypatch, capsys):
    path = tmp_path / "kidb.toml"
    path.write_text('timezone = "Asia/Jayapura"\n')
    monkeypatch.setenv("KIDB_DATABASE_URL", "postgresql+psycopg://kidb:s3cret-pw@db.example/kidb")
    monkeypatch.setenv("KIDB_IDLE_SECONDS", "240")
    assert main(["--config", str(path), "config", "show"]) == 0
    out = capsys.readouterr().out
    assert "s3cret-pw" not in out and PEPPER not in out and AUDIT_KEY not in out
    lines = out.splitlines()
    assert 'database_url = "postgresql+psycopg://kidb:***@db.example/kidb"  # KIDB_DATABASE_URL' in lines
    assert 'timezone = "Asia/Jayapura"  # file ' + str(path) in lines
    assert "idle_seconds = 240  # KIDB_IDLE_SECONDS" in lines
    assert "lock_minutes = 30  # default" in lines
    assert '# pepper = "********"  # KIDB_PEPPER' in lines
    assert '# audit_key = "********"  # KIDB_AUDIT_KEY' in lines


def private_key(folder, name: str, content: bytes, mode: int = 0o600):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content)
    path.chmod(mode)
    return path


def test_keys_from_the_files_the_environment_names(data_dir, tmp_path, monkeypatch):
    pepper = private_key(tmp_path / "credentials", "pepper.key", b"p" * 40)
    audit = private_key(tmp_path / "credentials", "audit.key", b"a" * 40)
    monkeypatch.delenv("KIDB_PEPPER")
    monkeypatch.delenv("KIDB_AUDIT_KEY")
    monkeypatch.setenv("KIDB_PEPPER_FILE", str(pepper))
    monkeypatch.setenv("KIDB_AUDIT_KEY_FILE", str(audit))
    settings = load_settings()
    assert (settings.pepper.get_secret_value(), settings.audit_key.get_secret_value()) == (b"p" * 40, b"a" * 40)
    assert not (data_dir / "pepper.key").exists() and not (data_dir / "audit.key").exists()


def test_keys_from_the_files_the_config_file_names_and_the_environment_first(data_dir, tmp_path, monkeypatch):
    pepper = private_key(tmp_path / "etc", "pepper.key", b"q" * 40)
    audit = private_key(tmp_path / "etc", "audit.key", b"b" * 40)
    other = private_key(tmp_path / "credentials", "audit.key", b"c" * 40)
    path = tmp_path / "kidb.toml"
    path.write_text(f'pepper_file = "{pepper}"\naudit_key_file = "{audit}"\n')
    monkeypatch.delenv("KIDB_PEPPER")
    monkeypatch.delenv("KIDB_AUDIT_KEY")
    monkeypatch.setenv("KIDB_AUDIT_KEY_FILE", str(other))
    settings = load_settings(loaded=load_options(config_file=path))
    assert (settings.pepper.get_secret_value(), settings.audit_key.get_secret_value()) == (b"q" * 40, b"c" * 40)


def test_a_key_file_the_config_names_that_others_can_read_is_refused(data_dir, tmp_path, monkeypatch, capsys):
    pepper = private_key(tmp_path / "etc", "pepper.key", b"q" * 40, 0o644)
    path = tmp_path / "kidb.toml"
    path.write_text(f'pepper_file = "{pepper}"\n')
    monkeypatch.delenv("KIDB_PEPPER")
    assert refusal(capsys, "--config", str(path)) == (
        f"kidb: {pepper}: mode 0644 lets others read it; chmod 600 {pepper}")


def test_a_missing_key_file_is_one_line(data_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("KIDB_PEPPER")
    monkeypatch.setenv("KIDB_PEPPER_FILE", str(tmp_path / "nowhere.key"))
    assert refusal(capsys) == f"kidb: {tmp_path / 'nowhere.key'}: No such file or directory"


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"kidb {__version__}"


def test_settings_built_directly_keep_working():
    """Tests and callers build Settings with plain bytes and field names; those stay."""
    settings = config.Settings(database_url="sqlite://", pepper=b"x" * 32, audit_key=b"y" * 32, lock_minutes=1)
    assert settings.pepper.get_secret_value() == b"x" * 32 and "x" * 32 not in repr(settings)
    assert settings.with_(timezone="Asia/Makassar").zone.key == "Asia/Makassar"


def test_a_settings_error_is_an_exception_with_one_line(data_dir, monkeypatch):
    monkeypatch.setenv("KIDB_SESSION_LIMIT_SECONDS", "0")
    with pytest.raises(SettingsError) as caught:
        load_options()
    assert "\n" not in str(caught.value)
