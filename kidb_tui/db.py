"""Engine and sessions: SQLite with safe pragmas and `BEGIN IMMEDIATE` writes, or PostgreSQL by URL
through a small pool that closes idle connections and pings one that has been idle before use."""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
import weakref
from collections import namedtuple
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.pool import Pool, QueuePool
from sqlmodel import Session

SQLITE_BUSY_TIMEOUT_MS = 10_000
POOL_SIZE = 2
"""Connections a process keeps: a session runs one unit of work at a time, a worker thread may
run a second; up to POOL_OVERFLOW more are opened for a moment when more threads need one."""
POOL_OVERFLOW = 2
POOL_TIMEOUT_SECONDS = 10
CONNECT_TIMEOUT_SECONDS = 5
IDLE_SECONDS = 30.0
"""A process that used no connection for this long closes the ones it keeps (a kiosk waiting at
its login screen holds none)."""
PING_AFTER_SECONDS = 1.0
"""A connection idle for longer is pinged before use (a database restarted meanwhile costs no error)."""
_WRITE_OPTION = "kidb_write"
_NEVER = ("none", "off", "never")
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
        if connection in _begun_here:  # a statement of SQLAlchemy's own joins the transaction `_unit` began
            return
        write = connection.get_execution_options().get(_WRITE_OPTION, False)
        _send(connection, "BEGIN IMMEDIATE" if write else "BEGIN", (), False).close()


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


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's pre-ping, only for a connection idle longer than PING_AFTER_SECONDS: one
    round trip saved on every unit of work of a busy process. A connection that fails the ping
    is replaced; one that broke while in use raises, and its pool is renewed (SQLAlchemy)."""

    @event.listens_for(engine, "checkin")
    def _returned(dbapi_connection, record) -> None:
        record.info["kidb_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _taken(dbapi_connection, record, proxy) -> None:
        idle_since = record.info.get("kidb_idle_since")
        if idle_since is None or time.monotonic() - idle_since <= PING_AFTER_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError() from error


REAP_EVERY_SECONDS = 1.0
_idle_engines: weakref.WeakKeyDictionary[Engine, float] = weakref.WeakKeyDictionary()
_reaper_lock = threading.Lock()
_reaper: threading.Thread | None = None
_last_checkin: weakref.WeakKeyDictionary[Pool, float] = weakref.WeakKeyDictionary()


def _reap_idle_connections() -> None:
    """Close the pooled connections of every engine that has had none checked out for its idle
    time (connections in use are never touched); end once no pool keeps one, so that a process
    with nothing pooled runs no thread (the session host forks with none)."""
    global _reaper
    while True:
        time.sleep(REAP_EVERY_SECONDS)
        with _reaper_lock:
            holding = False
            for engine, idle_seconds in list(_idle_engines.items()):
                pool = engine.pool
                if not isinstance(pool, QueuePool) or not pool.checkedin():
                    continue
                if pool.checkedout() == 0 and time.monotonic() - _last_checkin.get(pool, 0.0) >= idle_seconds:
                    pool.dispose()
                else:
                    holding = True
            if not holding:
                _reaper = None
                return


def _close_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Register `engine` with the reaper thread, which runs only while some connection is pooled."""
    _idle_engines[engine] = idle_seconds

    @event.listens_for(engine, "checkin")
    def _returned(*args) -> None:
        global _reaper
        _last_checkin[engine.pool] = time.monotonic()
        with _reaper_lock:
            if _reaper is None:
                _reaper = threading.Thread(target=_reap_idle_connections, name="kidb-idle-connections", daemon=True)
                _reaper.start()


def _forget_reaper_after_fork() -> None:
    """A forked child has no reaper thread, and must not inherit the lock in whatever state it was."""
    global _reaper, _reaper_lock
    _reaper, _reaper_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_reaper_after_fork)


def make_engine(url: str, idle_seconds: float = IDLE_SECONDS) -> Engine:
    """An engine for `url`; SQLite files are created private (see above) and get the pragmas.
    PostgreSQL: a small pool (POOL_SIZE) closed after `idle_seconds` unused, pings after idling,
    and a connect timeout. psycopg prepares a statement on the server from its fifth use; the
    URL parameter `prepare_threshold=none` turns that off, for PgBouncer before 1.21 in
    transaction mode (a statement prepared on one server connection is unknown on the next).
    Statement parameters (hashes, names, NIKs) never appear in an error's text."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _private_sqlite_file(Path(parsed.database))
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)
        _configure_sqlite(engine)
        return engine
    connect_args: dict[str, object] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    if parsed.get_driver_name() == "psycopg":
        threshold = parsed.query.get("prepare_threshold")
        parsed = parsed.difference_update_query(["prepare_threshold"])
        if threshold is not None:
            connect_args["prepare_threshold"] = None if str(threshold).lower() in _NEVER else int(str(threshold))
    engine = create_engine(
        parsed, hide_parameters=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW,
        pool_timeout=POOL_TIMEOUT_SECONDS, connect_args=connect_args,
    )
    _ping_when_idle(engine)
    _close_when_idle(engine, idle_seconds)
    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _with_options(engine: Engine, **options: object) -> Engine:
    """`engine.execution_options(**options)`, made once per engine and kept on it."""
    name = "_kidb_" + "_".join(f"{key}_{value}" for key, value in sorted(options.items())).replace(" ", "_")
    made = engine.__dict__.get(name)
    if made is None:
        made = engine.execution_options(**options)
        setattr(engine, name, made)
    return made


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """One write transaction: commits on success, rolls back on any exception."""
    with Session(_with_options(engine, **{_WRITE_OPTION: True}), expire_on_commit=False) as session, session.begin():
        yield session


Unit = Session | Connection
"""What a service's helper writes through: an ORM Session, or a Core connection (`write_connection`)."""


def connection_of(unit: Unit) -> Connection:
    """The Core connection of a unit of work (a Session's, begun if it was not)."""
    return unit.connection() if isinstance(unit, Session) else unit


EndHook = Callable[[Connection, bool], None]
_end_hooks: list[EndHook] = []


def at_transaction_end(hook: EndHook) -> EndHook:
    """Register `hook(connection, committing)` to run as each `write_connection` transaction ends:
    just before it commits (`committing` True: it may still write), or as it is rolled back."""
    _end_hooks.append(hook)
    return hook


_held: ContextVar[tuple[Engine, Connection] | None] = ContextVar("kidb_held_connection", default=None)
_begun_here: set[Connection] = set()
"""Connections inside a unit of work begun and ended on their DB-API connection (`_unit`), of
which SQLAlchemy's Connection knows nothing until a statement of its own joins it."""


@contextmanager
def one_connection(engine: Engine) -> Iterator[None]:
    """The `read_connection`s and `write_connection`s inside run on one pooled connection of the
    engine, checked out once (each still its own transaction, none held between them: between
    units of work the connection locks nothing). SQLite: the connection is in autocommit between
    units. PostgreSQL: its DB-API connection is switched to autocommit for each read (as a read
    on a connection of its own runs) and out of it for each write (no round trip either way),
    and leaves in the mode the pool gave it. A unit begun while that connection is inside a
    transaction takes its own, as does a unit on another engine."""
    if _held.get() is not None:
        yield
        return
    with engine.connect() as connection:
        token = _held.set((engine, connection))
        try:
            yield
        finally:
            _held.reset(token)
            if engine.dialect.name == "postgresql":
                _leave_autocommit(connection)


def _autocommit(connection: Connection, on: bool) -> None:
    """PostgreSQL: a held connection's DB-API autocommit, set between its units of work."""
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection is not None and dbapi_connection.autocommit != on:
        dbapi_connection.autocommit = on


def _leave_autocommit(connection: Connection) -> None:
    """A held PostgreSQL connection goes back to the pool out of autocommit, or is invalidated
    (closed, never reused) when that cannot be done."""
    if connection.closed or connection.invalidated:
        return
    try:
        _autocommit(connection, False)
    except Exception:  # noqa: BLE001 - whatever the failure, the connection must not be reused in autocommit
        connection.invalidate()


def _held_by(engine: Engine) -> Connection | None:
    """The connection `one_connection` holds for `engine`, when it is free for a new unit of work."""
    held = _held.get()
    if held is None or held[0] is not engine or held[1] in _begun_here or held[1].in_transaction():
        return None
    return held[1]


class _Unit:
    """A unit of work begun and ended on the DB-API connection, without SQLAlchemy's transaction
    (its begin and commit cost about 15 µs a unit on the hot paths): `begin` sent first (SQLite's
    BEGIN; None where the driver begins by itself), then `end` ("commit", "rollback", None:
    autocommit, nothing to end) on success, a rollback on any exception. A write's
    `at_transaction_end` hooks run before it ends. A statement run through SQLAlchemy's own
    execution joins the transaction (its autobegin sends nothing), which SQLAlchemy then ends.
    `owned`: the connection is closed (given back to the pool) once the unit ends. A class, not
    a generator: a claim enters a few of these, and each generator context costs a few µs more."""

    __slots__ = ("begin", "connection", "end", "owned")

    def __init__(self, connection: Connection, begin: str | None, end: str | None, owned: bool = False) -> None:
        self.connection, self.begin, self.end, self.owned = connection, begin, end, owned

    def __enter__(self) -> Connection:
        connection = self.connection
        _begun_here.add(connection)
        if self.begin is not None:
            try:
                _send(connection, self.begin, (), False).close()
            except BaseException:
                self._close(failed=True)
                raise
        return connection

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: Any) -> None:
        if kind is not None:
            self._close(failed=True)
            return
        if self.end == "commit":
            try:
                for hook in _end_hooks:
                    hook(self.connection, True)
            except BaseException:
                self._close(failed=True)
                raise
        try:
            _end(self.connection, self.end)
        finally:
            self._close(failed=False)

    def _close(self, failed: bool) -> None:
        """After a failure: the write's hooks told, its transaction rolled back. Then the
        connection is left (and given back when owned)."""
        connection = self.connection
        try:
            if failed:
                if self.end == "commit":
                    for hook in _end_hooks:
                        hook(connection, False)
                _end(connection, "rollback" if self.end is not None else None)
        finally:
            _begun_here.discard(connection)
            if self.owned:
                connection.close()


def _end(connection: Connection, end: str | None) -> None:
    """Commit or roll back what `_Unit` began: through SQLAlchemy when a statement of its own
    joined it (or a driver error made it take the transaction over, see `_send`), else on the
    DB-API connection (a driver error wrapped and handled as SQLAlchemy's commit handles it)."""
    if connection.in_transaction():
        if end == "commit":
            connection.commit()
        else:
            connection.rollback()
        return
    if end is None or (end == "rollback" and not connection._still_open_and_dbapi_connection_is_valid):
        return
    dbapi_connection: Any = connection.connection.dbapi_connection
    try:
        if end == "commit":
            dbapi_connection.commit()
        else:
            dbapi_connection.rollback()
    except Exception as error:  # noqa: BLE001 - any driver error: SQLAlchemy wraps it and re-raises
        connection._handle_dbapi_exception(error, None, None, None, None)


def write_connection(engine: Engine) -> AbstractContextManager[Connection]:
    """One write transaction on a Core connection, without an ORM Session (the hot paths: a
    secret's attempt, a claim, a login): commits on success, after the `at_transaction_end`
    hooks, and rolls back on any exception. SQLite begins it with `BEGIN IMMEDIATE`."""
    begin = "BEGIN IMMEDIATE" if engine.dialect.name == "sqlite" else None
    held = _held_by(engine)
    if held is None:
        return _Unit(engine.connect(), begin, "commit", owned=True)
    if engine.dialect.name == "postgresql":
        _autocommit(held, False)
    return _Unit(held, begin, "commit")


def read_connection(engine: Engine) -> AbstractContextManager[Connection]:
    """`read_session` without an ORM Session: PostgreSQL reads each statement in autocommit,
    SQLite in one transaction rolled back at the end."""
    held = _held_by(engine)
    if held is None:
        if engine.dialect.name == "postgresql":
            engine = _with_options(engine, isolation_level="AUTOCOMMIT")
        return engine.connect()
    if engine.dialect.name == "postgresql":
        _autocommit(held, True)
        return _Unit(held, None, None)
    return _Unit(held, "BEGIN", "rollback")


@contextmanager
def read_session(engine: Engine, snapshot: bool = False) -> Iterator[Session]:
    """A read-only unit of work. PostgreSQL reads each statement in autocommit (under READ
    COMMITTED a transaction gives each statement its own snapshot anyway: this saves BEGIN and
    ROLLBACK), or with `snapshot` in one REPEATABLE READ transaction, all statements seeing the
    same moment. SQLite reads in one transaction (rolled back at the end), which is a snapshot."""
    if engine.dialect.name == "postgresql":
        engine = _with_options(engine, isolation_level="REPEATABLE READ" if snapshot else "AUTOCOMMIT")
    with Session(engine, expire_on_commit=False) as session:
        yield session


_SQLITE_DATETIME_FORMAT = "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d"


def _sqlite_default_datetime(kind: Any, dialect: Any) -> bool:
    """Whether `kind` binds on `dialect` as SQLite's DATETIME in its default storage format."""
    if dialect.name != "sqlite":
        return False
    implementation = kind.dialect_impl(dialect)
    return isinstance(implementation, sqlite.DATETIME) and implementation._storage_format == _SQLITE_DATETIME_FORMAT


def _sqlite_datetime(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """SQLite DATETIME's bind processor, the same text for a datetime from its C `isoformat`
    (about 1.5 µs less a value than SQLAlchemy's `%` formatting of seven fields; a claim binds
    ten); anything else (a date, None, a wrong type) through SQLAlchemy's."""

    def fast(value: Any) -> Any:
        if type(value) is datetime:
            return value.replace(tzinfo=None).isoformat(" ", "microseconds")
        return process(value)

    return fast


class _Plan:
    """A statement compiled for one dialect and one set of parameter names: its SQL, where each of
    its parameters comes from in the SQL's order (a given value's name, or a literal already
    processed), the bind processors to run, the parameter names of a named driver (None:
    positional), and the result's field names."""

    __slots__ = ("compiled", "copies", "keys", "names", "processors", "results", "row", "sources", "sql")

    def __init__(self, statement: Any, dialect: Any, keys: list[str], many: bool) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=keys, for_executemany=many)
        if compiled.insert_prefetch or compiled.update_prefetch or compiled.literal_execute_params \
                or compiled.post_compile_params or compiled.schema_translate_map or compiled.escaped_bind_names:
            raise ValueError("a prepared statement needs every value given and no expanding parameter")
        self.compiled = compiled
        self.sql = compiled.string
        binds: dict[str, tuple[str | None, Any, Callable[[Any], Any] | None]] = {}
        for bind, name in compiled.bind_names.items():
            source = bind.key if bind.key in keys else name if name in keys else None
            if source is None and bind.required:
                raise exc.ArgumentError(f"a value is required for bind parameter {bind.key!r}")
            process = compiled._bind_processors.get(name)
            if process is not None and _sqlite_default_datetime(bind.type, dialect):
                process = _sqlite_datetime(process)
            binds[name] = (source, None if source else bind.effective_value, process)
        order = list(compiled.positiontup) if compiled.positional else list(binds)
        self.keys = None if compiled.positional else order
        self.sources: list[tuple[str | None, Any]] = []
        self.processors: list[tuple[int, Callable[[Any], Any]]] = []
        self.copies: list[tuple[int, int]] = []
        first: dict[str, int] = {}
        for index, name in enumerate(order):
            source, constant, process = binds[name]
            if name in first:  # a name the SQL repeats (positional): its value once, copied
                self.sources.append((None, None))
                self.copies.append((index, first[name]))
                continue
            first[name] = index
            if source is None:  # a literal of the statement: through its processor once, here
                self.sources.append((None, constant if process is None else process(constant)))
                continue
            self.sources.append((source, None))
            if process is not None:
                self.processors.append((index, process))
        self.names = [column.keyname for column in compiled._result_columns]
        self.row: Any = namedtuple("PreparedRow", self.names) if self.names else None
        self.results: list[tuple[int, Callable[[Any], Any]]] | None = None

    def arguments(self, params: dict[str, Any]) -> Any:
        """The DB-API parameters: each bind's value (given, or the literal in the statement),
        through its bind processor; a list in the SQL's order for a positional driver."""
        values = [params[source] if source is not None else constant for source, constant in self.sources]
        for index, process in self.processors:
            values[index] = process(values[index])
        for index, original in self.copies:
            values[index] = values[original]
        return values if self.keys is None else dict(zip(self.keys, values, strict=True))

    def describe(self, cursor: Any) -> None:
        """The result processors, found from the first cursor's description."""
        if self.results is None:
            dialect = self.compiled.dialect
            processors = [
                column.type._cached_result_processor(dialect, described[1])
                for column, described in zip(self.compiled._result_columns, cursor.description, strict=True)
            ]
            self.results = [(index, process) for index, process in enumerate(processors) if process is not None]

    def convert(self, rows: list[Any]) -> list[Any]:
        """Rows as the driver gave them, through the result processors, as named tuples."""
        make, results = self.row._make, self.results
        if not results:
            return [make(row) for row in rows]
        converted = []
        for row in rows:
            values = list(row)
            for index, process in results:
                values[index] = process(values[index])
            converted.append(make(values))
        return converted


class Fetched:
    """A statement's rows as the driver gave them (`raw`: compare these), converted on demand."""

    __slots__ = ("_plan", "raw")

    def __init__(self, plan: _Plan, raw: list[Any]) -> None:
        self._plan, self.raw = plan, raw

    def rows(self) -> list[Any]:
        return self._plan.convert(self.raw)

    def first(self) -> Any:
        """The first row converted (None when there is none)."""
        return self._plan.convert(self.raw[:1])[0] if self.raw else None

    def columns(self, indexes: list[int]) -> list[tuple[Any, ...]]:
        """Each row's values at `indexes`, through their result processors (the other columns
        left unconverted)."""
        processes = dict(self._plan.results or ())
        steps = [(index, processes.get(index)) for index in indexes]
        return [tuple(row[index] if process is None else process(row[index]) for index, process in steps)
                for row in self.raw]


class Prepared:
    """A Core statement compiled once per dialect (and set of parameter names) and run straight on
    the DB-API cursor of a Connection: the hot paths (a claim, a login, a PIN attempt) skip
    SQLAlchemy's execution layer, about 30 µs a statement, and keep its SQL, bind and result
    processing, its `before_cursor_execute` listeners (statement counts) and its error handling
    (wrapped exceptions, a broken connection invalidated). Rows are named tuples."""

    __slots__ = ("_plans", "statement")

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._plans: dict[tuple[str, frozenset[str], bool], _Plan] = {}

    def _plan(self, connection: Connection, params: dict[str, Any], many: bool) -> _Plan:
        dialect = connection.dialect
        key = (dialect.name, frozenset(params), many)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = _Plan(self.statement, dialect, sorted(params), many)
        return plan

    def rows(self, connection: Connection, params: dict[str, Any]) -> list[Any]:
        """The statement's rows (RETURNING or SELECT)."""
        return self.fetch(connection, params).rows()

    def fetch(self, connection: Connection, params: dict[str, Any]) -> Fetched:
        """The statement's rows, not yet converted (a caller that may not need them converted)."""
        plan = self._plan(connection, params, False)
        cursor = _run(connection, plan.sql, plan.arguments(params), False)
        try:
            plan.describe(cursor)
            return Fetched(plan, cursor.fetchall())
        finally:
            _release(connection, cursor)

    def first(self, connection: Connection, params: dict[str, Any]) -> Any:
        rows = self.rows(connection, params)
        return rows[0] if rows else None

    def one(self, connection: Connection, params: dict[str, Any]) -> Any:
        """The statement's only row; NoResultFound or MultipleResultsFound otherwise (as `Result.one`)."""
        rows = self.rows(connection, params)
        if len(rows) != 1:
            raise exc.MultipleResultsFound() if rows else exc.NoResultFound()
        return rows[0]

    def run(self, connection: Connection, params: dict[str, Any]) -> int:
        """Execute; the rows it changed."""
        plan = self._plan(connection, params, False)
        cursor = _run(connection, plan.sql, plan.arguments(params), False)
        count: int = cursor.rowcount
        _release(connection, cursor)
        return count

    def run_many(self, connection: Connection, params: list[dict[str, Any]]) -> None:
        """Execute once per dict of `params` (one executemany; all with the same names)."""
        plan = self._plan(connection, params[0], len(params) > 1)
        arguments = [plan.arguments(each) for each in params]
        _release(connection, _run(connection, plan.sql, arguments if len(arguments) > 1 else arguments[0],
                                  len(arguments) > 1))


def _run(connection: Connection, sql: str, arguments: Any, many: bool) -> Any:
    """`sql` on a cursor of `connection`'s DB-API connection (`_cursor`), in its transaction (begun here
    when none is: `_send` without that), after the `before_cursor_execute` listeners; a driver
    error is handled as SQLAlchemy handles it (wrapped, and a lost connection invalidated)."""
    if connection not in _begun_here and not connection.in_transaction():
        connection.begin()
    return _send(connection, sql, arguments, many)


_CURSOR = "kidb_cursor"


def _cursor(connection: Connection) -> Any:
    """A DB-API cursor for one statement. PostgreSQL: the one cursor kept in the DB-API
    connection's `info` (which SQLAlchemy empties when it invalidates that connection) and
    reused by every prepared statement on it, as a hand-written client reuses its cursor (making
    a psycopg cursor costs about 10 µs a statement; a sqlite3 one, new each time, nothing)."""
    pooled = connection.connection
    if connection.dialect.name != "postgresql":
        return pooled.cursor()
    cursor = pooled.info.get(_CURSOR)
    if cursor is None or cursor.closed or cursor.connection is not pooled.dbapi_connection:
        cursor = pooled.info[_CURSOR] = pooled.cursor()
    return cursor


def _release(connection: Connection, cursor: Any) -> None:
    """Done with a cursor from `_cursor`: closed unless it is the one kept for reuse."""
    if connection.dialect.name != "postgresql":
        cursor.close()


def _send(connection: Connection, sql: str, arguments: Any, many: bool) -> Any:
    cursor = None
    try:
        cursor = _cursor(connection)
        for listener in connection.dispatch.before_cursor_execute:
            listener(connection, cursor, sql, arguments, None, many)
        if many:
            cursor.executemany(sql, arguments)
        else:
            cursor.execute(sql, arguments)
    except Exception as error:  # noqa: BLE001 - any driver error: SQLAlchemy wraps it and re-raises
        if connection in _begun_here and not connection.in_transaction():
            connection.begin()  # SQLAlchemy's transaction, so that its handling leaves the rollback to `_unit`
        connection._handle_dbapi_exception(error, sql, arguments, cursor, None)
    return cursor
