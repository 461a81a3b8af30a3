"""What every service call needs: engine, settings, clock, hasher and the terminal it serves."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session

from kidb_tui.clock import Clock, SystemClock
from kidb_tui.config import Settings
from kidb_tui.db import make_engine, one_connection, read_connection, read_session, write_connection, write_session
from kidb_tui.errors import SystemBusy
from kidb_tui.services.hashing import SecretHasher

T = TypeVar("T")


@dataclass
class Runtime:
    engine: Engine
    settings: Settings
    clock: Clock
    hasher: SecretHasher

    @classmethod
    def create(cls, settings: Settings, clock: Clock | None = None, engine: Engine | None = None) -> Runtime:
        return cls(
            engine=engine or make_engine(settings.database_url),
            settings=settings,
            clock=clock or SystemClock(),
            hasher=SecretHasher(settings.pepper, settings.argon2),
        )

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        """Today's date at the branch (its time zone)."""
        return self.now().astimezone(self.settings.zone).date()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction; a busy, locked or unreachable database raises SystemBusy."""
        with _busy_as_domain_error(), write_session(self.engine) as session:
            yield session

    @contextmanager
    def read(self, snapshot: bool = False) -> Iterator[Session]:
        """A read-only unit of work; with `snapshot` every statement sees the same moment."""
        with _busy_as_domain_error(), read_session(self.engine, snapshot) as session:
            yield session

    def transaction(self) -> AbstractContextManager[Connection]:
        """`write` on a Core connection, without an ORM Session: for the hot paths (a secret's
        attempt, a claim, a login), whose statements are all Core."""
        return _BusyAsDomainError(write_connection, self.engine)

    def one_connection(self) -> AbstractContextManager[None]:
        """`transaction`s and `query`s inside check out one connection between them."""
        return _BusyAsDomainError(one_connection, self.engine)

    def query(self) -> AbstractContextManager[Connection]:
        """`read` on a Core connection, without an ORM Session."""
        return _BusyAsDomainError(read_connection, self.engine)


_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)


class _BusyAsDomainError(AbstractContextManager[T]):
    """`_busy_as_domain_error` around the context `make(engine)` (made on entering, so that its
    failure to begin is translated too), as a class: the hot paths enter a few a claim, and each
    generator context costs a few µs more."""

    __slots__ = ("engine", "inner", "make")

    def __init__(self, make: Callable[[Engine], AbstractContextManager[T]], engine: Engine) -> None:
        self.make, self.engine = make, engine
        self.inner: AbstractContextManager[T] | None = None

    def __enter__(self) -> T:
        try:
            self.inner = self.make(self.engine)
            return self.inner.__enter__()
        except _UNAVAILABLE:
            raise SystemBusy() from None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: Any) -> bool | None:
        assert self.inner is not None
        try:
            suppressed = self.inner.__exit__(kind, error, trace)
        except _UNAVAILABLE:
            raise SystemBusy() from None
        if not suppressed and isinstance(error, _UNAVAILABLE):
            raise SystemBusy() from None
        return suppressed


@contextmanager
def _busy_as_domain_error() -> Iterator[None]:
    """SQLite's busy timeout, a lost PostgreSQL connection or an exhausted pool become SystemBusy
    (raised without its cause, whose text would name the statement)."""
    try:
        yield
    except _UNAVAILABLE:
        raise SystemBusy() from None
