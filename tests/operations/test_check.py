"""`kidb check`, for a monitoring probe: one line per check (database reachable, schema
current, pepper and audit key present and private, host key readable, authorized keys parse,
audit chain verifies against the checkpoints), exit 0 when all pass, 1 otherwise; it creates
nothing (kidb_tui/operations.py)."""

from __future__ import annotations

import asyncssh
import pytest
from sqlalchemy import create_engine, text

from kidb_tui import migrate
from kidb_tui.bootstrap import prepare
from kidb_tui.cli import main
from kidb_tui.config import load_settings
from kidb_tui.db import make_engine
from kidb_tui.services import audit_checkpoint, demo
from kidb_tui.ssh.keys import load_or_create_host_key
from tests.operations.conftest import sqlite_url

NAMES = ["settings", "pepper", "audit key", "database", "schema", "host key", "authorized keys", "audit chain"]


@pytest.fixture
def installed(data_dir, tmp_path, monkeypatch):
    """A working installation: keys in files, the database with the demo data and a checkpoint,
    the host key, one terminal's key."""
    for name, content in (("pepper", b"p" * 40), ("audit", b"a" * 40)):
        path = tmp_path / "etc" / f"{name}.key"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(content)
        path.chmod(0o600)
        monkeypatch.delenv(f"KIDB_{name.upper()}" if name == "pepper" else "KIDB_AUDIT_KEY")
        monkeypatch.setenv("KIDB_PEPPER_FILE" if name == "pepper" else "KIDB_AUDIT_KEY_FILE", str(path))
    rt = prepare(load_settings())
    demo.seed(rt)
    audit_checkpoint.write_checkpoint(rt, audit_checkpoint.default_path())
    rt.engine.dispose()
    load_or_create_host_key(data_dir / "ssh_host_ed25519_key")
    terminal = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().strip()
    keys = data_dir / "authorized_keys"
    keys.write_text(f"restrict,pty {terminal} terminal=JKT-01 branch=Jakarta Pusat\n")
    keys.chmod(0o600)
    return data_dir


def checked(capsys) -> tuple[int, dict[str, str]]:
    status = main(["check"])
    lines = capsys.readouterr().out.splitlines()
    assert [line[5:].split(":", 1)[0] for line in lines] == NAMES
    return status, {line[5:].split(":", 1)[0]: line for line in lines}


def test_a_working_installation_passes_every_check(installed, capsys):
    status, lines = checked(capsys)
    assert status == 0
    assert all(line.startswith("ok   ") for line in lines.values())
    assert lines["schema"] == f"ok   schema: current (revision {migrate.HEAD})"
    assert lines["authorized keys"].startswith("ok   authorized keys: 1 terminal(s)")
    assert lines["audit chain"].startswith("ok   audit chain: verifies (") and "1 checkpoint(s), the last of" in lines[
        "audit chain"]


def test_an_unsafe_pepper_file_fails_its_check(installed, tmp_path, capsys):
    (tmp_path / "etc" / "pepper.key").chmod(0o644)
    status, lines = checked(capsys)
    assert status == 1
    assert lines["pepper"].startswith("FAIL pepper: ") and "mode 0644 lets others read it" in lines["pepper"]
    assert lines["database"].startswith("ok   ")


def test_an_old_schema_fails_and_the_chain_is_not_walked(installed, capsys):
    migrate.downgrade(make_engine(sqlite_url(installed)), "0005", audit_key=load_settings().audit_key)
    status, lines = checked(capsys)
    assert status == 1
    assert lines["schema"] == "FAIL schema: at revision 0005, this kidb needs 0008: run `kidb db upgrade`"
    assert lines["audit chain"] == "FAIL audit chain: not checked: the schema is not current"


def test_an_authorized_keys_line_that_does_not_parse_fails(installed, capsys):
    (installed / "authorized_keys").write_text("ssh-ed25519 AAAAnotakey terminal=JKT-02\n")
    status, lines = checked(capsys)
    assert status == 1
    assert lines["authorized keys"].startswith("FAIL authorized keys: ") and "line 1" in lines["authorized keys"]


def test_an_edited_audit_row_fails(installed, capsys):
    engine = create_engine(sqlite_url(installed))
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_event SET actor = 'someone-else' WHERE id = 1"))
    engine.dispose()
    status, lines = checked(capsys)
    assert status == 1
    assert lines["audit chain"].startswith("FAIL audit chain: audit row 1")


def test_a_missing_installation_fails_and_nothing_is_created(data_dir, monkeypatch, capsys):
    monkeypatch.delenv("KIDB_PEPPER")
    monkeypatch.delenv("KIDB_AUDIT_KEY")
    status, lines = checked(capsys)
    assert status == 1
    assert lines["settings"].startswith("ok   ")
    assert lines["pepper"] == f"FAIL pepper: missing: file {data_dir / 'pepper.key'} (created on first start)"
    assert lines["database"] == f"FAIL database: sqlite:///{data_dir / 'kidb.sqlite3'}: no such database file"
    assert lines["host key"].startswith("FAIL host key: ")
    assert not data_dir.exists()
