"""Settings from environment variables and command-line flags, read in one place."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

import platformdirs

APP_NAME = "kidb"


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
    pepper: bytes = b""
    argon2: Argon2Params = Argon2Params()
    language: str = "id"
    lock_threshold: int = 5
    lock_minutes: int = 30
    failure_delay_base: float = 1.0
    failure_delay_max: float = 8.0
    contact_max_age_days: int = 183
    small_balance_limit: int = 10_000_000
    supervisor_threshold: int = 50_000_000
    idle_seconds: int = 180
    idle_warning_seconds: int = 20
    session_limit_seconds: int = 1800
    terminal_id: str = ""
    branch: str = ""

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def _float_env(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw else default


def load_pepper(data_dir: Path | None = None) -> bytes:
    """`KIDB_PEPPER`, else a 32-byte key file (mode 0600) beside the default database."""
    env = os.environ.get("KIDB_PEPPER")
    if env:
        return env.encode("utf-8")
    folder = data_dir or user_data_dir()
    key_file = folder / "pepper.key"
    if not key_file.exists():
        folder.mkdir(parents=True, exist_ok=True)
        draft = folder / f".pepper.key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_bytes(32))
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(draft, key_file)
            except FileExistsError:
                pass
        finally:
            draft.unlink()
    return key_file.read_bytes()


def load_settings(database_url: str | None = None) -> Settings:
    """Settings from the environment; an explicit `--database` wins over `KIDB_DATABASE_URL`."""
    return Settings(
        database_url=database_url or os.environ.get("KIDB_DATABASE_URL") or default_database_url(),
        pepper=load_pepper(),
        argon2=Argon2Params(
            memory_kib=_int_env("KIDB_ARGON2_MEMORY_KIB", 19 * 1024),
            time_cost=_int_env("KIDB_ARGON2_TIME_COST", 2),
            parallelism=_int_env("KIDB_ARGON2_PARALLELISM", 1),
        ),
        language=os.environ.get("KIDB_LANGUAGE", "id"),
        lock_threshold=_int_env("KIDB_LOCK_THRESHOLD", 5),
        lock_minutes=_int_env("KIDB_LOCK_MINUTES", 30),
        failure_delay_base=_float_env("KIDB_FAILURE_DELAY", 1.0),
        supervisor_threshold=_int_env("KIDB_SUPERVISOR_THRESHOLD", 50_000_000),
        idle_seconds=_int_env("KIDB_IDLE_SECONDS", 180),
        idle_warning_seconds=_int_env("KIDB_IDLE_WARNING_SECONDS", 20),
        session_limit_seconds=_int_env("KIDB_SESSION_LIMIT_SECONDS", 1800),
        terminal_id=os.environ.get("KIDB_TERMINAL_ID", ""),
        branch=os.environ.get("KIDB_BRANCH", ""),
    )
