"""`kidb db backup` and `kidb db restore`: a SQLite database copied with SQLite's online backup
API (a consistent copy while kiosks go on writing), restored only when nothing else has it
open; for PostgreSQL, the pg_dump / pg_restore command to run."""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
from contextlib import closing, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

BACKUP_FOLDER = "backups"


class BackupError(Exception):
    """A backup or restore that cannot be done; one line for the operator."""


@dataclass(frozen=True)
class Copied:
    path: Path
    size: int
    revision: str | None


@dataclass(frozen=True)
class Command:
    """A PostgreSQL tool to run: its arguments, and the password to give it in PGPASSWORD."""

    argv: list[str]
    password: str | None

    def shown(self) -> str:
        """The command as an operator would type it (the password left out: PGPASSWORD or ~/.pgpass)."""
        return shlex.join(self.argv)

    def run(self) -> int:
        import subprocess

        env = dict(os.environ, **({"PGPASSWORD": self.password} if self.password else {}))
        return subprocess.run(self.argv, env=env, check=False).returncode


def sqlite_path(database_url: str) -> Path | None:
    """The file of a SQLite URL; None for PostgreSQL. An in-memory database cannot be copied."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory database has nothing to back up or restore")
    return Path(url.database)


def timestamped(folder: Path, label: str) -> Path:
    """`folder/kidb-<label>-<UTC time>.sqlite3` (`-2`, `-3`… within the same second), for the
    copies kidb makes by itself."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path, number = folder / f"kidb-{label}-{stamp}.sqlite3", 1
    while path.exists():
        number += 1
        path = folder / f"kidb-{label}-{stamp}-{number}.sqlite3"
    return path


def _revision(connection: sqlite3.Connection) -> str | None:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def _private_new_file(path: Path) -> None:
    """Create `path` empty with mode 0600 (its folder 0700); an existing file is refused."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        raise BackupError(f"{path} already exists; choose a new file name") from None


def backup_sqlite(database: Path, target: Path) -> Copied:
    """Copy `database` to the new file `target` (mode 0600) in one step of the online backup
    API: it reads one snapshot, and writers (WAL mode) are not held up. The copy is checked
    with `PRAGMA integrity_check` before it is reported."""
    if not database.exists():
        raise BackupError(f"{database}: no such database")
    _private_new_file(target)
    try:
        with closing(sqlite3.connect(database)) as source, closing(sqlite3.connect(target)) as copy:
            source.execute("PRAGMA busy_timeout = 10000")
            source.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")
            checked = copy.execute("PRAGMA integrity_check").fetchone()[0]
            revision = _revision(copy)
    except sqlite3.Error as error:
        target.unlink(missing_ok=True)
        raise BackupError(f"backup of {database} failed: {error}") from None
    if checked != "ok":
        target.unlink(missing_ok=True)
        raise BackupError(f"the copy of {database} does not pass SQLite's integrity check: {checked}")
    return Copied(target, target.stat().st_size, revision)


def _check_backup(source: Path) -> str:
    """A restorable file: a SQLite database that passes its integrity check and has a schema
    revision. Returns the revision."""
    if not source.is_file():
        raise BackupError(f"{source}: no such file")
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as backup:
            checked = backup.execute("PRAGMA integrity_check").fetchone()[0]
            revision = _revision(backup)
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{source} is not a SQLite database ({error})") from None
    if checked != "ok":
        raise BackupError(f"{source} does not pass SQLite's integrity check: {checked}")
    if revision is None:
        raise BackupError(f"{source} is not a kidb database (no schema revision in it)")
    return revision


def restore_sqlite(source: Path, database: Path, keep_folder: Path) -> tuple[str, Path | None]:
    """Replace `database` with the backup `source`, through the backup API into a connection
    that holds the database exclusively. Refused while anything else has the database open (a
    kiosk, the back office, `kidb serve`): leaving WAL mode needs the only connection. A
    database with tables in it is first copied to `keep_folder`, under the same lock. Returns
    the restored revision and the path of that copy, if one was made."""
    revision = _check_backup(source)
    if not database.exists():
        _private_new_file(database)
    kept = None
    try:
        with closing(sqlite3.connect(database, isolation_level=None)) as target:
            target.execute("PRAGMA busy_timeout = 0")
            target.execute("PRAGMA locking_mode = EXCLUSIVE")
            try:
                target.execute("PRAGMA journal_mode = DELETE").fetchone()
                target.execute("BEGIN EXCLUSIVE")
                target.execute("COMMIT")
            except sqlite3.OperationalError:
                raise BackupError(f"{database} is in use (kiosks, back office or kidb serve have it open): "
                                  "stop them, then restore") from None
            if target.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]:
                kept = timestamped(keep_folder, "before-restore")
                _private_new_file(kept)
                with closing(sqlite3.connect(kept)) as copy:
                    target.backup(copy)
            with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as backup:
                backup.backup(target)
            target.execute("PRAGMA journal_mode = WAL")
    except sqlite3.Error as error:
        raise BackupError(f"restore into {database} failed: {error}") from None
    for suffix in ("-wal", "-shm"):
        with suppress(FileNotFoundError):
            Path(f"{database}{suffix}").chmod(0o600)
    return revision, kept


def _pg_parts(database_url: str) -> tuple[URL, list[str]]:
    """The URL, and the libpq connection options of pg_dump/pg_restore (no password)."""
    url = make_url(database_url)
    options = []
    if url.host:
        options += ["--host", url.host]
    if url.port:
        options += ["--port", str(url.port)]
    if url.username:
        options += ["--username", url.username]
    return url, options


def _tool(name: str) -> str:
    return shutil.which(name) or name


def pg_dump_command(database_url: str, target: Path) -> Command:
    """pg_dump in its custom format (compressed; restored with pg_restore), no owners or grants,
    so that it restores into a database the kidb role owns."""
    url, options = _pg_parts(database_url)
    argv = [_tool("pg_dump"), *options, "--format=custom", "--no-owner", "--no-privileges",
            "--file", str(target), url.database or ""]
    return Command(argv, url.password)


def pg_restore_command(database_url: str, source: Path) -> Command:
    url, options = _pg_parts(database_url)
    argv = [_tool("pg_restore"), *options, "--no-owner", "--no-privileges", "--exit-on-error",
            "--single-transaction", "--dbname", url.database or "", str(source)]
    return Command(argv, url.password)


def pg_in_use(engine) -> tuple[int, int]:
    """(other connections to the database, tables in its public schema) of a PostgreSQL database."""
    from sqlalchemy import text

    with engine.connect() as connection:
        others = connection.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )).scalar_one()
        tables = connection.execute(text(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        )).scalar_one()
    return others, tables
