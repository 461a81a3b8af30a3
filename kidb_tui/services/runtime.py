"""What every service call needs: engine, settings, clock, hasher and the terminal it serves."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
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

    def write(self) -> AbstractContextManager[Session]:
        """One write transaction; a busy, locked or unreachable database raises SystemBusy."""
        return _BusyAsDomainError(write_session, self.engine)

    def read(self, snapshot: bool = False) -> AbstractContextManager[Session]:
        """A read-only unit of work; with `snapshot` every statement sees the same moment."""
        return _BusyAsDomainError(read_session, self.engine, snapshot)

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
    """The context `make(engine, *options)`, made on entering (so that its failure to begin is
    translated too), with SQLite's busy timeout, a lost PostgreSQL connection or an exhausted
    pool become SystemBusy (raised without its cause, whose text would name the statement). A
    class, not a generator context: the hot paths enter a few a claim, and each generator
    context costs a few µs more."""

    __slots__ = ("engine", "inner", "make", "options")

    def __init__(self, make: Callable[..., AbstractContextManager[T]], engine: Engine, *options: Any) -> None:
        self.make, self.engine, self.options = make, engine, options
        self.inner: AbstractContextManager[T] | None = None

    def __enter__(self) -> T:
        try:
            self.inner = self.make(self.engine, *self.options)
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

