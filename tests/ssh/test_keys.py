"""The terminals' authorized-keys file, the host key, and the listen address."""

from __future__ import annotations

import os
import stat

import asyncssh
import pytest

from kidb_tui.ssh import key_lines
from kidb_tui.ssh.key_lines import terminal_of
from kidb_tui.ssh.keys import AuthorizedKeys, KeyFileError, load_or_create_host_key, parse_authorized_keys
from kidb_tui.ssh.server import parse_listen
from kidb_tui.ssh.spawn import child_command, child_environment
from tests.ssh.harness import key_line


@pytest.fixture(scope="module")
def keys() -> list[asyncssh.SSHKey]:
    return [asyncssh.generate_private_key("ssh-ed25519") for _ in range(3)]


def test_comment_fields_options_and_roles(keys):
    text = "\n".join([
        "# branch terminals",
        "",
        key_line(keys[0], "terminal=JKT-01 branch=Jakarta Pusat", "restrict,pty"),
        key_line(keys[1], "counter-2 terminal=JKT.02 role=kiosk branch=  Jakarta   Pusat  "),
        key_line(keys[2], "terminal=JKT-BO1 branch=Jakarta Pusat role=backoffice",
                 "no-port-forwarding,no-agent-forwarding"),
    ])
    terminals = parse_authorized_keys(text)
    first, second, third = (terminals[key.public_data] for key in keys)
    assert (first.terminal_id, first.branch, first.role) == ("JKT-01", "Jakarta Pusat", "kiosk")
    assert first.fingerprint == keys[0].get_fingerprint()
    assert (second.terminal_id, second.branch, second.role) == ("JKT.02", "Jakarta Pusat", "kiosk")
    assert (third.terminal_id, third.role) == ("JKT-BO1", "backoffice")
    assert first.timezone == ""


def test_a_terminal_names_its_branchs_time_zone(keys, monkeypatch):
    """`tz=` on the key line: the kiosk of that terminal shows times in that zone."""
    terminals = parse_authorized_keys(key_line(keys[0], "terminal=MKS-01 branch=Makassar tz=Asia/Makassar"))
    terminal = terminals[keys[0].public_data]
    assert (terminal.branch, terminal.timezone) == ("Makassar", "Asia/Makassar")
    monkeypatch.delenv("KIDB_TIMEZONE", raising=False)
    assert child_environment(terminal, "xterm", {})["KIDB_TIMEZONE"] == "Asia/Makassar"
    assert "KIDB_TIMEZONE" not in child_environment(terminal._replace(timezone=""), "xterm", {})


@pytest.mark.parametrize(("fields", "options", "message"), [
    ("branch=Jakarta", "", "terminal= must be"),
    ("terminal=JKT 01", "", "terminal= must be"),
    ("terminal=" + "X" * 41, "", "terminal= must be"),
    ("terminal=JKT-01 terminal=JKT-02", "", "terminal= given twice"),
    ("terminal=JKT-01 role=admin", "", "role= must be"),
    ("terminal=JKT-01 branch=" + "B" * 81, "", "branch= must be"),
    ("terminal=JKT-01 tz=Europe/Paris", "", "tz= must be one of Asia/Jakarta"),
    ("terminal=JKT-01", 'command="/bin/sh"', "option 'command=\"/bin/sh\"' is not supported"),
    ("terminal=JKT-01", 'from="10.0.0.1"', "is not supported"),
])
def test_bad_lines_name_the_line(keys, fields, options, message):
    text = "# header\n" + key_line(keys[0], fields, options)
    with pytest.raises(KeyFileError, match="line 2") as error:
        parse_authorized_keys(text)
    assert message in str(error.value)


def test_bad_key_and_duplicates(keys):
    with pytest.raises(KeyFileError, match="line 1: not a valid public key"):
        parse_authorized_keys("ssh-ed25519 AAAAnotbase64 terminal=JKT-01")
    with pytest.raises(KeyFileError, match="line 1: expected"):
        parse_authorized_keys("ssh-ed25519")
    twice = key_line(keys[0], "terminal=JKT-01") + "\n" + key_line(keys[0], "terminal=JKT-02")
    with pytest.raises(KeyFileError, match="line 2: the same key is already on line 1"):
        parse_authorized_keys(twice)
    same_id = key_line(keys[0], "terminal=JKT-01") + "\n" + key_line(keys[1], "terminal=JKT-01")
    with pytest.raises(KeyFileError, match="line 2: terminal JKT-01 is already on line 1"):
        parse_authorized_keys(same_id)


def test_missing_file_is_created_with_the_syntax(tmp_path):
    path = tmp_path / "sub" / "authorized_keys"
    store = AuthorizedKeys.open(path)
    assert len(store) == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "terminal=JKT-01 branch=Jakarta Pusat" in path.read_text()


def test_file_is_reread_when_it_changes_and_a_broken_one_refuses_all(tmp_path, keys):
    path = tmp_path / "authorized_keys"
    path.write_text(key_line(keys[0], "terminal=JKT-01") + "\n")
    store = AuthorizedKeys.open(path)
    assert store.lookup(keys[0]).terminal_id == "JKT-01"
    assert store.lookup(keys[1]) is None
    path.write_text(key_line(keys[1], "terminal=JKT-02") + "\n")
    os.utime(path, ns=(1, 1))
    assert store.lookup(keys[1]).terminal_id == "JKT-02"
    assert store.lookup(keys[0]) is None
    path.write_text(key_line(keys[1], "terminal=JKT-02") + "\nssh-ed25519 garbage terminal=X\n")
    os.utime(path, ns=(2, 2))
    assert store.lookup(keys[1]) is None
    path.unlink()
    assert store.lookup(keys[1]) is None


def test_reload_rereads_even_an_unchanged_stamp(tmp_path, keys):
    """SIGHUP rereads at once, even a file rewritten within the same stamp (mtime, size, inode)."""
    path = tmp_path / "authorized_keys"
    path.write_text(key_line(keys[0], "terminal=JKT-01") + "\n")
    os.utime(path, ns=(5, 5))
    store = AuthorizedKeys.open(path)
    path.write_text(key_line(keys[1], "terminal=JKT-01") + "\n")
    os.utime(path, ns=(5, 5))
    assert store.lookup(keys[1]) is None
    store.reload()
    assert store.lookup(keys[1]).terminal_id == "JKT-01"
    path.unlink()
    store.reload()
    assert store.lookup(keys[1]) is None


def test_broken_file_at_start_is_an_error(tmp_path):
    path = tmp_path / "authorized_keys"
    path.write_text("ssh-ed25519 garbage terminal=X\n")
    with pytest.raises(KeyFileError, match="line 1"):
        AuthorizedKeys.open(path)


def test_host_key_created_once_private_and_reused(tmp_path):
    path = tmp_path / "keys" / "ssh_host_ed25519_key"
    key, created = load_or_create_host_key(path)
    assert created and key.algorithm == b"ssh-ed25519"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert (tmp_path / "keys" / "ssh_host_ed25519_key.pub").read_bytes() == key.export_public_key()
    again, created_again = load_or_create_host_key(path)
    assert not created_again and again.get_fingerprint() == key.get_fingerprint()
    path.chmod(0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        load_or_create_host_key(path)


@pytest.mark.parametrize(("text", "expected"), [
    ("127.0.0.1:2222", ("127.0.0.1", 2222)),
    ("0.0.0.0:22", ("0.0.0.0", 22)),
    ("localhost", ("localhost", 2222)),
    ("[::1]:2200", ("::1", 2200)),
    ("[::1]", ("::1", 2222)),
    ("127.0.0.1:0", ("127.0.0.1", 0)),
])
def test_listen_address(text, expected):
    assert parse_listen(text) == expected


@pytest.mark.parametrize("text", [":2222", "host:port", "host:70000", ""])
def test_bad_listen_address(text):
    with pytest.raises(ValueError, match="HOST:PORT"):
        parse_listen(text)


def test_child_command_and_environment(keys, monkeypatch):
    terminals = parse_authorized_keys("\n".join([
        key_line(keys[0], "terminal=JKT-01 branch=Jakarta Pusat"),
        key_line(keys[1], "terminal=JKT-BO1 role=backoffice"),
    ]))
    kiosk, backoffice = terminals[keys[0].public_data], terminals[keys[1].public_data]
    assert child_command(kiosk, None)[-4:] == ["-I", "-m", "kidb_tui", "--kiosk"]
    assert child_command(backoffice, "en")[-4:] == ["--language", "en", "--kiosk", "backoffice"]
    monkeypatch.setenv("KIDB_PEPPER", "p")
    monkeypatch.setenv("KIDB_AUDIT_KEY_FILE", "/etc/kidb/audit.key")
    monkeypatch.setenv("KIDB_LOG_FD", "2")
    monkeypatch.setenv("KIDB_TERMINAL_ID", "FROM-THE-SERVER-ENV")
    monkeypatch.setenv("LD_PRELOAD", "/tmp/x.so")
    env = child_environment(kiosk, "xterm-256color", {"KIDB_DATABASE_URL": "sqlite:///k.db"})
    assert env["KIDB_TERMINAL_ID"] == "JKT-01" and env["KIDB_BRANCH"] == "Jakarta Pusat"
    assert env["KIDB_PEPPER"] == "p" and env["KIDB_DATABASE_URL"] == "sqlite:///k.db"
    assert env["KIDB_AUDIT_KEY_FILE"] == "/etc/kidb/audit.key" and "KIDB_LOG_FD" not in env
    assert env["TERM"] == "xterm-256color" and "LD_PRELOAD" not in env
    assert child_environment(kiosk, "xterm\x1b[31m", {})["TERM"] == "xterm"
    assert child_environment(kiosk, "", {})["TERM"] == "xterm"


def test_attach_finds_the_terminal_of_the_accepted_key(keys):
    """`kidb attach` reads the file with the standard library only: the same terminals, by the
    same key blobs and fingerprints, as the server's asyncssh-checked reading."""
    authorized = "\n".join([key_line(keys[0], "terminal=JKT-01"), key_line(keys[1], "terminal=JKT-02 role=backoffice")])
    terminals = key_lines.parse_authorized_keys(authorized, "keys")
    assert terminals == parse_authorized_keys(authorized, "keys")
    public = keys[1].export_public_key().decode().strip()
    found = terminal_of(f"publickey {public}\n", terminals)
    assert (found.terminal_id, found.role, found.fingerprint) == ("JKT-02", "backoffice", keys[1].get_fingerprint())
    stranger = keys[2].export_public_key().decode().strip()
    assert terminal_of(f"publickey {stranger}\n", terminals) is None
    assert terminal_of("password\n", terminals) is None


@pytest.mark.parametrize("key_text", ["ssh-ed25519 not-base64!", "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIA==",
                                      "ssh-ed25519 AAAA"])
def test_attach_refuses_a_line_whose_key_is_not_a_key(key_text):
    with pytest.raises(KeyFileError, match="line 1: not a valid public key"):
        key_lines.parse_authorized_keys(f"{key_text} terminal=JKT-01\n", "keys")
