"""Failure counting that holds under parallel attempts: every attempt at a secret or an identity
proof is reserved in a write transaction *before* it is checked, per key (a typed NIB, `act:NIB`,
`reset:NIB`, `officer:NAME`) and per terminal, so no more than the limit is ever evaluated on any
number of threads, processes and servers: the database is the only shared state.

A key locks for `lock_minutes` once `lock_threshold` attempts failed with no success in between;
an attempt beyond that number, made while the last ones are still being checked, waits to learn
their outcome rather than being checked itself. A terminal waits once `terminal_failure_limit`
failures came from it with less than `terminal_window_minutes` of quiet between them (so any
such number within the window counts): 1 minute, doubling with each further failure, at most 30.
After a quiet window it starts afresh.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Connection, TextualSelect, and_, bindparam, case, delete, or_, text, update
from sqlmodel import Session, col, select

from kidb_tui.clock import as_utc
from kidb_tui.db import Prepared, Unit, connection_of
from kidb_tui.models import LoginThrottle, Participant, stored_id, table
from kidb_tui.services import audit, notifications
from kidb_tui.services.runtime import Runtime

TERMINAL_PREFIX = "terminal:"
PARTICIPANT_KEY_PREFIXES = ("act:", "reset:")
CONSOLE = "-"  # the terminal id of a session without one (the local console); SSH ids never start with "-"
FIRST_WAIT_MINUTES = 1
MAX_WAIT_MINUTES = 30
PATIENCE_SECONDS = 5.0  # how long an attempt waits for the key's undecided attempts
POLL_SECONDS = 0.05
UNDECIDED_AFTER = timedelta(minutes=1)  # an attempt not decided by then counts as failed


@dataclass(frozen=True)
class Attempt:
    """A reserved attempt, or why none was reserved.

    `key` is None when only the terminal counts (a username that names no officer). `failures`
    and `terminal_failures` include this attempt. `locked`: the key is locked and the secret
    must not be checked (the terminal still counts the failure). `waiting`: the terminal waits
    and nothing was counted. `wait_minutes`: how long the terminal waits, when it does.
    """

    key: str | None
    terminal: str
    failures: int = 0
    terminal_failures: int = 0
    locked: bool = False
    waiting: bool = False
    wait_minutes: int = 0

    @property
    def may_check(self) -> bool:
        return not (self.locked or self.waiting)


def terminal_key(rt: Runtime) -> str:
    return TERMINAL_PREFIX + (rt.settings.terminal_id or CONSOLE)


_TABLE = table(LoginThrottle)


@dataclass
class _Counter:
    """A throttle row as read by `_rows`, changed in memory and written back by `_store`."""

    key: str
    failures: int
    last_failure_at: datetime | None
    locked_until: datetime | None


@cache
def _upsert(count: int) -> TextualSelect:
    """Insert `count` keys (:k0, :k1, ...) if missing, touching each existing one, and return them
    (the same SQL on PostgreSQL and SQLite; written as text because SQLAlchemy does not cache a
    multi-row INSERT, and this one runs on every attempt)."""
    rows = ", ".join(f"(:k{i}, 0)" for i in range(count))
    return text(
        f"INSERT INTO login_throttle (key, failures) VALUES {rows} ON CONFLICT (key) DO UPDATE SET key = excluded.key"
        " RETURNING key, failures, last_failure_at, locked_until"
    ).columns(_TABLE.c.key, _TABLE.c.failures, _TABLE.c.last_failure_at, _TABLE.c.locked_until)


@cache
def _count_plainly(count: int) -> Prepared:
    """The common attempt in one statement: count it against `count` keys (:k0, the terminal,
    first) by one each, inserting a missing key with one failure, and return the keys counted.
    A key is counted only when that is all the attempt does to it (the rules of
    `_reserve_in_transaction`): it is not locked and stays under its limit (:terminal_under for
    the terminal, whose next failure would make it wait, :key_under for the others), and the
    terminal's last failure is within its window (:quiet_before), so that it does not start
    afresh. A key left out is still locked (PostgreSQL), and the caller then rolls back."""
    rows = ", ".join(f"(:k{i}, 1, :now)" for i in range(count))
    return Prepared(text(
        f"INSERT INTO login_throttle (key, failures, last_failure_at) VALUES {rows}"
        " ON CONFLICT (key) DO UPDATE SET failures = login_throttle.failures + 1,"
        " last_failure_at = excluded.last_failure_at"
        " WHERE login_throttle.locked_until IS NULL"
        " AND login_throttle.failures < CASE WHEN login_throttle.key = :k0 THEN :terminal_under ELSE :key_under END"
        " AND (login_throttle.key <> :k0 OR login_throttle.last_failure_at IS NULL"
        " OR login_throttle.last_failure_at > :quiet_before)"
        " RETURNING key, failures"
    ).bindparams(
        bindparam("now", type_=_TABLE.c.last_failure_at.type),
        bindparam("quiet_before", type_=_TABLE.c.last_failure_at.type),
    ).columns(_TABLE.c.key, _TABLE.c.failures))


_STORE = update(_TABLE).where(_TABLE.c.key == bindparam("b_key")).values(
    failures=bindparam("b_failures"), last_failure_at=bindparam("b_last"), locked_until=bindparam("b_until"))


def _rows(connection: Connection, keys: list[str]) -> dict[str, _Counter]:
    """The throttle rows of `keys`, created if missing and locked until the transaction ends, in
    one statement: an upsert that touches each row (PostgreSQL locks it; SQLite write
    transactions are already serialised by `BEGIN IMMEDIATE`) and returns it. Every caller
    passes the terminal key first, so rows are always locked in the same order."""
    found = connection.execute(_upsert(len(keys)), {f"k{i}": key for i, key in enumerate(keys)})
    return {row.key: _Counter(*row) for row in found}


def _store(connection: Connection, counters: list[_Counter]) -> None:
    """Write the counters back, in one statement."""
    connection.execute(_STORE, [
        {"b_key": c.key, "b_failures": c.failures, "b_last": c.last_failure_at, "b_until": c.locked_until}
        for c in counters
    ])


def _active(rt: Runtime, until: datetime | None) -> bool:
    return bool(until and as_utc(until) > rt.now())


def _minutes_left(rt: Runtime, until: datetime) -> int:
    return max(1, math.ceil((as_utc(until) - rt.now()).total_seconds() / 60))


def is_locked(rt: Runtime, session: Session, key: str) -> bool:
    """Whether the key (or terminal key) is locked, or waiting, now."""
    row = session.get(LoginThrottle, key)
    return bool(row and _active(rt, row.locked_until))


def wait_minutes(rt: Runtime, failures: int) -> int:
    """How long a terminal waits after its `failures`-th failure in a row (0: it does not)."""
    over = failures - rt.settings.terminal_failure_limit
    if over < 0:
        return 0
    return int(min(FIRST_WAIT_MINUTES * 2 ** min(over, 8), MAX_WAIT_MINUTES))


def _start_afresh_if_quiet(rt: Runtime, station: _Counter) -> None:
    moments = [as_utc(moment) for moment in (station.last_failure_at, station.locked_until) if moment]
    if moments and rt.now() - max(moments) >= timedelta(minutes=rt.settings.terminal_window_minutes):
        station.failures, station.locked_until = 0, None


def reserve(rt: Runtime, key: str | None) -> Attempt:
    """Count the attempt before its secret is checked. Refused without counting while the
    terminal waits; counted against the terminal only while the key is locked. While the key's
    last allowed attempts are still being checked elsewhere, waits (up to PATIENCE_SECONDS) to
    learn whether one of them succeeded, which frees the key, or all failed, which locks it."""
    give_up = time.monotonic() + PATIENCE_SECONDS
    while True:
        attempt = _reserve_once(rt, key, patient=time.monotonic() < give_up)
        if attempt is not None:
            return attempt
        time.sleep(POLL_SECONDS)


def _key_state(rt: Runtime, row: _Counter) -> str:
    """`open`, `locked`, or `undecided`: as many attempts as allowed are reserved and not all
    decided yet. A reservation left undecided for long (its session died) counts as failed."""
    settings = rt.settings
    if row.locked_until is None and row.failures >= settings.lock_threshold and row.last_failure_at is not None \
            and rt.now() - as_utc(row.last_failure_at) >= UNDECIDED_AFTER:
        row.locked_until = as_utc(row.last_failure_at) + timedelta(minutes=settings.lock_minutes)
    if row.locked_until and not _active(rt, row.locked_until):
        row.failures, row.locked_until = 0, None
    if _active(rt, row.locked_until):
        return "locked"
    return "undecided" if row.failures >= settings.lock_threshold else "open"


class _Waiting(Exception):
    """The terminal waits: the reservation's transaction is rolled back, so nothing is counted
    or created."""

    def __init__(self, attempt: Attempt) -> None:
        super().__init__()
        self.attempt = attempt


def _reserve_once(rt: Runtime, key: str | None, patient: bool) -> Attempt | None:
    """One try in one write transaction; None when it should wait for undecided attempts."""
    try:
        return _reserve_in_transaction(rt, key, patient)
    except _Waiting as waiting:
        return waiting.attempt


class _NotPlain(Exception):
    """The attempt does more than count: its one-statement transaction is rolled back."""


def _reserve_plainly(rt: Runtime, key: str | None) -> Attempt | None:
    """The attempt counted in one statement (`_count_plainly`) when that is all it does; None
    (nothing counted) when a key is locked, waiting, at its limit or starting afresh."""
    settings, terminal, now = rt.settings, terminal_key(rt), rt.now()
    keys = [terminal] if key is None else [terminal, key]
    if settings.terminal_failure_limit <= 1 or settings.lock_threshold < 1:
        return None
    try:
        with rt.transaction() as connection:
            counted: dict[str, int] = dict(_count_plainly(len(keys)).rows(connection, {
                **{f"k{i}": name for i, name in enumerate(keys)}, "now": now,
                "terminal_under": settings.terminal_failure_limit - 1, "key_under": settings.lock_threshold,
                "quiet_before": now - timedelta(minutes=settings.terminal_window_minutes),
            }))
            if len(counted) < len(keys):
                raise _NotPlain()
    except _NotPlain:
        return None
    return Attempt(key, terminal, counted[key] if key is not None else 0, counted[terminal])


def _reserve_in_transaction(rt: Runtime, key: str | None, patient: bool) -> Attempt | None:
    plain = _reserve_plainly(rt, key)
    if plain is not None:
        return plain
    terminal, now = terminal_key(rt), rt.now()
    with rt.transaction() as connection:
        rows = _rows(connection, [terminal] if key is None else [terminal, key])
        station = rows[terminal]
        _start_afresh_if_quiet(rt, station)
        if _active(rt, station.locked_until):
            assert station.locked_until is not None
            raise _Waiting(Attempt(key, terminal, waiting=True, wait_minutes=_minutes_left(rt, station.locked_until)))
        failures, locked = 0, False
        if key is not None:
            row = rows[key]
            state = _key_state(rt, row)
            if state == "undecided" and patient:
                _store(connection, list(rows.values()))
                return None
            locked = state != "open"
            if not locked:
                row.failures += 1
                row.last_failure_at = now
            failures = row.failures
        station.failures += 1
        station.last_failure_at = now
        wait = wait_minutes(rt, station.failures)
        if wait:
            station.locked_until = now + timedelta(minutes=wait)
        _store(connection, list(rows.values()))
        return Attempt(key, terminal, failures, station.failures, locked, wait_minutes=wait)


def failed(rt: Runtime, attempt: Attempt, action: str, actor: str = "kiosk") -> None:
    """The attempt failed: its reservation stays counted, and the last one allowed locks the key.
    The audit trail says so (subject: the key, or nothing for a key that must not be stored),
    and when the key locked or the terminal began to wait."""
    if attempt.waiting:
        return
    settings = rt.settings
    with rt.write() as session:
        if attempt.key is not None and not attempt.locked and attempt.failures >= settings.lock_threshold:
            row = session.exec(select(LoginThrottle).where(LoginThrottle.key == attempt.key).with_for_update()).first()
            if row is not None and row.failures >= settings.lock_threshold and row.locked_until is None:
                row.locked_until = rt.now() + timedelta(minutes=settings.lock_minutes)
                session.add(row)
            audit.record(session, rt, actor, "auth.locked", attempt.key, failures=attempt.failures)
            _tell_participant(session, rt, attempt.key)
        if attempt.key is None:
            audit.record(session, rt, actor, action, "")
        elif attempt.locked:
            audit.record(session, rt, actor, action, attempt.key, failures=attempt.failures, locked=True)
        else:
            audit.record(session, rt, actor, action, attempt.key, failures=attempt.failures)
        if attempt.wait_minutes:
            audit.record(session, rt, actor, "auth.terminal_wait", attempt.terminal,
                         failures=attempt.terminal_failures, minutes=attempt.wait_minutes)


_GIVE_BACK = {"failures": case((_TABLE.c.failures > 0, _TABLE.c.failures - 1), else_=0)}
_GIVE_BACK_ATTEMPT = Prepared(update(_TABLE).where(_TABLE.c.key == bindparam("terminal")).values(_GIVE_BACK))
_GIVE_BACK_AND_END_WAIT = Prepared(update(_TABLE).where(_TABLE.c.key == bindparam("terminal")).values(
    {**_GIVE_BACK, "locked_until": None}))
_FORGETTABLE = and_(_TABLE.c.key == bindparam("terminal"), _TABLE.c.failures == 0, _TABLE.c.locked_until.is_(None))
_FORGET_TERMINAL = Prepared(delete(_TABLE).where(_FORGETTABLE))
_FORGET_KEY_AND_TERMINAL = Prepared(delete(_TABLE).where(or_(_TABLE.c.key == bindparam("key"), _FORGETTABLE)))


def _tell_participant(session: Session, rt: Runtime, key: str) -> None:
    """The participant whose NIB (login, activation or reset) just locked is told, with how long."""
    nib = key.rpartition(":")[2] if key.startswith(PARTICIPANT_KEY_PREFIXES) else key
    if not nib.isdigit():
        return
    participant = session.exec(select(Participant).where(Participant.nib == nib)).first()
    if participant is not None:
        notifications.notify(session, rt, stored_id(participant.id), "account_locked", minutes=rt.settings.lock_minutes)


@cache
def _settle_at_once(keyed: bool, end_wait: bool) -> Prepared:
    """PostgreSQL: `succeeded` in one statement. A data-modifying CTE cannot delete the row its
    own update changed, so the terminal's row is deleted when the give-back would leave it with
    nothing to remember (at most one failure, and no wait, or the wait this attempt began), and
    given back otherwise (the update skips a row the CTE deleted: both see the same snapshot)."""
    forget = "key = :terminal AND failures <= 1" + ("" if end_wait else " AND locked_until IS NULL")
    give_back = "failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END" + (
        ", locked_until = NULL" if end_wait else "")
    return Prepared(text(
        f"WITH forgotten AS (DELETE FROM login_throttle WHERE {f'key = :key OR ({forget})' if keyed else forget}"
        f" RETURNING key) UPDATE login_throttle SET {give_back} WHERE key = :terminal"
        " AND NOT EXISTS (SELECT 1 FROM forgotten WHERE forgotten.key = :terminal)"
    ))


def succeeded(unit: Unit, rt: Runtime, attempt: Attempt) -> None:
    """In the caller's write transaction, set-based: the terminal's reservation is given back (a
    success does not wipe a terminal's earlier failures; a wait this attempt began ends), then
    the key's row and a terminal row left with nothing to remember go. Two statements on
    SQLite, one on PostgreSQL (`_settle_at_once`: a round trip less)."""
    connection = connection_of(unit)
    if connection.dialect.name == "postgresql":
        keys = {"terminal": attempt.terminal} if attempt.key is None else {"terminal": attempt.terminal, "key": attempt.key}
        _settle_at_once(attempt.key is not None, bool(attempt.wait_minutes)).run(connection, keys)
        return
    (_GIVE_BACK_AND_END_WAIT if attempt.wait_minutes else _GIVE_BACK_ATTEMPT).run(
        connection, {"terminal": attempt.terminal})
    if attempt.key is None:
        _FORGET_TERMINAL.run(connection, {"terminal": attempt.terminal})
    else:
        _FORGET_KEY_AND_TERMINAL.run(connection, {"terminal": attempt.terminal, "key": attempt.key})


def clear(session: Session, key: str) -> bool:
    """Forget the failures and lock of `key`; whether there were any."""
    return bool(session.exec(delete(LoginThrottle).where(col(LoginThrottle.key) == key)).rowcount)
