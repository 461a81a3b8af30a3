"""Secret hashing (HMAC with a pepper, then argon2id) and the pepper key file
(kidb_tui/services/hashing.py, kidb_tui/config.py)."""

import os
import stat
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

from kidb_tui.config import Argon2Params, load_pepper, load_settings
from kidb_tui.services.hashing import SecretHasher
from tests.conftest import FAST_ARGON2

OTHER_PARAMS = Argon2Params(memory_kib=2048, time_cost=1, parallelism=1)


@pytest.fixture
def hasher() -> SecretHasher:
    return SecretHasher(b"pepper-one", FAST_ARGON2)


def test_hash_verifies_the_same_secret_only(hasher):
    stored = hasher.hash("258147")
    assert hasher.verify(stored, "258147")
    assert not hasher.verify(stored, "258148")
    assert not hasher.verify("not an argon2 hash", "258147")


def test_pepper_matters(hasher):
    stored = hasher.hash("258147")
    assert not SecretHasher(b"pepper-two", FAST_ARGON2).verify(stored, "258147")


def test_the_secret_itself_is_never_what_argon2_sees(hasher):
    stored = hasher.hash("258147")
    with pytest.raises(VerificationError):
        PasswordHasher().verify(stored, "258147")


def test_default_parameters_are_owasps_argon2id():
    stored = SecretHasher(b"p", Argon2Params()).hash("258147")
    assert stored.startswith("$argon2id$")
    assert "$m=19456,t=2,p=1$" in stored


def test_configured_parameters_show_in_the_hash(hasher):
    assert "$m=1024,t=1,p=1$" in hasher.hash("258147")


def test_needs_rehash_for_other_parameters(hasher):
    old = SecretHasher(b"pepper-one", OTHER_PARAMS).hash("258147")
    assert hasher.needs_rehash(old)
    assert not hasher.needs_rehash(hasher.hash("258147"))
    assert hasher.verify(old, "258147")


def test_verify_dummy_never_succeeds_but_runs_argon2(hasher, monkeypatch):
    calls = []
    real_verify = hasher.verify
    monkeypatch.setattr(hasher, "verify", lambda stored, secret: calls.append(stored) or real_verify(stored, secret))
    assert hasher.verify_dummy("kidb-dummy-secret-for-unknown-accounts") is False
    assert len(calls) == 1 and calls[0].startswith("$argon2id$")


def test_pepper_file_is_created_once_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.delenv("KIDB_PEPPER", raising=False)
    folder = tmp_path / "data"
    first = load_pepper(folder).get_secret_value()
    key_file = folder / "pepper.key"
    assert len(first) == 32
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert load_pepper(folder).get_secret_value() == first
    assert key_file.read_bytes() == first


def test_pepper_file_made_by_another_process_meanwhile_is_used(tmp_path, monkeypatch):
    """Two kiosk processes start at once: the other one creates the key file after this one
    found it missing. Both must end up with the same pepper, and neither may crash."""
    monkeypatch.delenv("KIDB_PEPPER", raising=False)
    key_file = tmp_path / "pepper.key"
    key_file.write_bytes(b"k" * 32)
    key_file.chmod(0o600)
    real_exists = Path.exists
    monkeypatch.setattr(Path, "exists", lambda path: path.name != "pepper.key" and real_exists(path))
    assert load_pepper(tmp_path).get_secret_value() == b"k" * 32


def test_two_installations_get_different_peppers(tmp_path, monkeypatch):
    monkeypatch.delenv("KIDB_PEPPER", raising=False)
    assert load_pepper(tmp_path / "a").get_secret_value() != load_pepper(tmp_path / "b").get_secret_value()


def test_pepper_from_the_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("KIDB_PEPPER", "from-the-vault-0123456789abcdef-xyz")
    assert load_pepper(tmp_path).get_secret_value() == b"from-the-vault-0123456789abcdef-xyz"
    assert not (tmp_path / "pepper.key").exists()


def test_settings_take_the_pepper_file_beside_the_default_database(tmp_path, monkeypatch):
    monkeypatch.delenv("KIDB_PEPPER", raising=False)
    monkeypatch.delenv("KIDB_DATABASE_URL", raising=False)
    monkeypatch.setenv("KIDB_DATA_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.database_url == f"sqlite:///{tmp_path / 'kidb.sqlite3'}"
    assert settings.pepper.get_secret_value() == (tmp_path / "pepper.key").read_bytes()
    assert settings.argon2 == Argon2Params()
