"""Settings from environment variables and command-line flags, read in one place."""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path

import platformdirs

from kidb_tui.masked import SecretBytes, masked_bytes

APP_NAME = "kidb"
KEY_MIN_BYTES = 32


def user_data_dir() -> Path:
    """Where the default database, pepper key and host keys live."""
    return Path(os.environ.get("KIDB_DATA_DIR") or platformdirs.user_data_dir(APP_NAME))


def default_database_url() -> str:
    return f"sqlite:///{user_data_dir() / 'kidb.sqlite3'}"


@dataclass(frozen=True)
class Argon2Params:
    """argon2id cost parameters; defaults are OWASP's (m=19 MiB, t=2, p=1)."""

    memory_kib: int = 19 * 1024
    time_cost: int = 2
    parallelism: int = 1


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=default_database_url)
    pepper: SecretBytes = SecretBytes(b"")
    audit_key: SecretBytes = SecretBytes(b"")
    argon2: Argon2Params = Argon2Params()
    language: str = "id"
    lock_threshold: int = 5
    lock_minutes: int = 30
    terminal_failure_limit: int = 10
    terminal_window_minutes: int = 10
    failure_delay_base: float = 1.0
    failure_delay_max: float = 8.0
    contact_max_age_days: int = 183
    small_balance_limit: int = 10_000_000
    supervisor_threshold: int = 50_000_000
    idle_seconds: int = 180
    idle_warning_seconds: int = 20
    session_limit_seconds: int = 1800
    audit_checkpoint_seconds: int = 300
    audit_seal_seconds: float = 5.0
    terminal_id: str = ""
    branch: str = ""

    def __post_init__(self) -> None:
        """Keys given as plain bytes (tests, callers) are masked on the way in."""
        object.__setattr__(self, "pepper", masked_bytes(self.pepper))
        object.__setattr__(self, "audit_key", masked_bytes(self.audit_key))

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def _float_env(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw else default


class KeyFileError(Exception):
    """A key file that must not be used: readable by others, too short, or unreadable."""


def _check_key_file(path: Path) -> bytes:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyFileError(f"{path}: mode {mode:04o} lets others read it; chmod 600 {path}")
    data = path.read_bytes()
    if len(data) < KEY_MIN_BYTES:
        raise KeyFileError(f"{path}: {len(data)} bytes; a key needs at least {KEY_MIN_BYTES}")
    return data


def _create_key_file(key_file: Path) -> None:
    """A new random key, written whole (mode 0600) and linked into place, so two processes
    starting at once end up with the same key."""
    folder = key_file.parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    draft = folder / f".{key_file.name}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(KEY_MIN_BYTES))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(draft, key_file)
        except FileExistsError:
            pass
    finally:
        draft.unlink()


def load_key(env_name: str, file_name: str, data_dir: Path | None = None) -> SecretBytes:
    """A secret key: `$ENV_NAME` itself, else the file `$ENV_NAME_FILE` names (systemd
    credentials), else `file_name` in the data directory, created on first use. Refuses a
    key shorter than 32 bytes or a file others can read (KeyFileError)."""
    env = os.environ.get(env_name)
    if env:
        if len(env.encode("utf-8")) < KEY_MIN_BYTES:
            raise KeyFileError(f"{env_name}: a key needs at least {KEY_MIN_BYTES} bytes")
        return SecretBytes(env.encode("utf-8"))
    named = os.environ.get(f"{env_name}_FILE")
    if named:
        return SecretBytes(_check_key_file(Path(named)))
    key_file = (data_dir or user_data_dir()) / file_name
    if not key_file.exists():
        _create_key_file(key_file)
    return SecretBytes(_check_key_file(key_file))


def load_pepper(data_dir: Path | None = None) -> SecretBytes:
    """The pepper of PIN hashing: `KIDB_PEPPER`, `KIDB_PEPPER_FILE`, or `pepper.key`."""
    return load_key("KIDB_PEPPER", "pepper.key", data_dir)


def load_audit_key(data_dir: Path | None = None) -> SecretBytes:
    """The key of the audit chain: `KIDB_AUDIT_KEY`, `KIDB_AUDIT_KEY_FILE`, or `audit.key`."""
    return load_key("KIDB_AUDIT_KEY", "audit.key", data_dir)


def load_settings(database_url: str | None = None) -> Settings:
    """Settings from the environment; an explicit `--database` wins over `KIDB_DATABASE_URL`."""
    return Settings(
        database_url=database_url or os.environ.get("KIDB_DATABASE_URL") or default_database_url(),
        pepper=load_pepper(),
        audit_key=load_audit_key(),
        argon2=Argon2Params(
            memory_kib=_int_env("KIDB_ARGON2_MEMORY_KIB", 19 * 1024),
            time_cost=_int_env("KIDB_ARGON2_TIME_COST", 2),
            parallelism=_int_env("KIDB_ARGON2_PARALLELISM", 1),
        ),
        language=os.environ.get("KIDB_LANGUAGE", "id"),
        lock_threshold=_int_env("KIDB_LOCK_THRESHOLD", 5),
        lock_minutes=_int_env("KIDB_LOCK_MINUTES", 30),
        terminal_failure_limit=_int_env("KIDB_TERMINAL_FAILURE_LIMIT", 10),
        terminal_window_minutes=_int_env("KIDB_TERMINAL_WINDOW_MINUTES", 10),
        failure_delay_base=_float_env("KIDB_FAILURE_DELAY", 1.0),
        supervisor_threshold=_int_env("KIDB_SUPERVISOR_THRESHOLD", 50_000_000),
        idle_seconds=_int_env("KIDB_IDLE_SECONDS", 180),
        idle_warning_seconds=_int_env("KIDB_IDLE_WARNING_SECONDS", 20),
        session_limit_seconds=_int_env("KIDB_SESSION_LIMIT_SECONDS", 1800),
        audit_checkpoint_seconds=_int_env("KIDB_AUDIT_CHECKPOINT_SECONDS", 300),
        audit_seal_seconds=_float_env("KIDB_AUDIT_SEAL_SECONDS", 5.0),
        terminal_id=os.environ.get("KIDB_TERMINAL_ID", ""),
        branch=os.environ.get("KIDB_BRANCH", ""),
    )
