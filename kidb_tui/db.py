"""Engine and sessions: SQLite with safe pragmas and `BEGIN IMMEDIATE` writes, or PostgreSQL by URL."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

SQLITE_BUSY_TIMEOUT_MS = 10_000
_WRITE_OPTION = "kidb_write"
_SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")

log = logging.getLogger(__name__)


def _configure_sqlite(engine: Engine) -> None:
    """SQLAlchemy's documented pysqlite recipe: we emit BEGIN ourselves.

    Write transactions start with `BEGIN IMMEDIATE` so that a transaction which reads and
    then writes takes the write lock up front instead of failing with SQLITE_BUSY midway.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        write = connection.get_execution_options().get(_WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _private_sqlite_file(database: Path) -> None:
    """Create the database's folder (0700) and the file itself (0600) before SQLite opens it;
    SQLite gives its -wal/-shm files the database's mode. A file others can read is tightened
    to 0600 when it is ours, and logged when it is not."""
    database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for path in (database, *(Path(f"{database}{suffix}") for suffix in _SQLITE_COMPANIONS)):
        try:
            info = path.stat()
        except FileNotFoundError:
            continue
        if not stat.S_IMODE(info.st_mode) & 0o077:
            continue
        if info.st_uid == os.geteuid():
            path.chmod(0o600)
        else:
            log.warning("%s is open to group or others (mode %04o) and not ours to chmod",
                        path, stat.S_IMODE(info.st_mode))


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files are created private (see above) and get the pragmas.
    Statement parameters (hashes, names, NIKs) never appear in an error's text."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _private_sqlite_file(Path(parsed.database))
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """One write transaction: commits on success, rolls back on any exception."""
    with Session(engine.execution_options(**{_WRITE_OPTION: True}), expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A read-only unit of work (rolled back at the end)."""
    with Session(engine, expire_on_commit=False) as session:
        yield session
