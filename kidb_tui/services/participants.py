"""`kidb participants import`: validate every CSV row (one row per NIB, one NIB per NIK, in the file
and in the database) with no lock held, then upsert all by NIB in one short bulk write, or
import nothing."""

from __future__ import annotations

import csv
import io
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from itertools import repeat
from pathlib import Path
from typing import Any, cast

from sqlalchemy import ClauseElement, Dialect, Row, Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlmodel import Session

from kidb_tui import validation
from kidb_tui.errors import ValidationError
from kidb_tui.models import Participant
from kidb_tui.services import audit
from kidb_tui.services.runtime import Runtime

HEADER = (
    "nib", "nik", "full_name", "birth_date", "email", "phone", "address", "postal_code",
    "balance", "membership_status", "card_status", "membership_start",
)
OPTIONAL = ("employment_end",)
MEMBERSHIP_STATUSES = ("active", "inactive")
CARD_STATUSES = ("active", "blocked")


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    rule: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.rule}"


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    lock_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors


def _iso_date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValidationError(name, "date_iso") from exc


def _balance(value: str) -> int:
    text = value.strip()
    if not (text.isascii() and text.isdigit()):
        raise ValidationError("balance", "balance_non_negative_integer")
    return int(text)


def _choice(value: str, name: str, allowed: tuple[str, ...]) -> str:
    if value.strip() not in allowed:
        raise ValidationError(name, "one_of_" + "_".join(allowed))
    return value.strip()


Stored = Row[int, str, str, int]
"""A stored participant as (id, nib, nik, reserved)."""

_CHECKS: dict[str, Callable[[str], object]] = {
    "nib": validation.nib,
    "nik": validation.nik,
    "full_name": validation.full_name,
    "birth_date": lambda v: _iso_date(v, "birth_date"),
    "email": validation.email,
    "phone": validation.phone,
    "address": validation.address,
    "postal_code": validation.postal_code,
    "balance": _balance,
    "membership_status": lambda v: _choice(v, "membership_status", MEMBERSHIP_STATUSES),
    "card_status": lambda v: _choice(v, "card_status", CARD_STATUSES),
    "membership_start": lambda v: _iso_date(v, "membership_start"),
    "employment_end": lambda v: _iso_date(v, "employment_end") if v.strip() else None,
}


def _parse_row(row: dict[str, str], today: date) -> tuple[dict[str, object], list[ValidationError]]:
    values: dict[str, object] = {}
    errors: list[ValidationError] = []
    for name, check in _CHECKS.items():
        if name not in row:
            continue
        try:
            values[name] = check(row[name] or "")
        except ValidationError as error:
            errors.append(ValidationError(name, error.rule))
    for name in ("birth_date", "membership_start"):
        value = values.get(name)
        if isinstance(value, date) and value > today:
            errors.append(ValidationError(name, "date_future"))
    return values, errors


Progress = Callable[[str, int, int], None]
"""Told `(phase, done, total)` as an import goes: phase `validate` (rows checked), then `store`."""

PARALLEL_FROM = 5_000
"""Files with at least this many rows are validated by one worker process per CPU."""
_CHUNK = 2_000
_ID_CHUNK = 5_000


def _records(text: str) -> tuple[tuple[str, ...], list[tuple[int, list[str]]], list[RowError]]:
    """The header and the non-blank records with the line each starts on. The header is line 1;
    a quoted field may span lines. Text the csv module cannot read (an unterminated quote
    running past the field size limit) is reported at the line where the broken record starts."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = tuple(next(reader, ()))
    except csv.Error:
        header = ()
    if header[: len(HEADER)] != HEADER or any(extra not in OPTIONAL for extra in header[len(HEADER):]):
        return header, [], [RowError(1, "header", "expected " + ",".join(HEADER))]
    records: list[tuple[int, list[str]]] = []
    line = reader.line_num + 1
    try:
        for fields in reader:
            if fields:
                records.append((line, fields))
            line = reader.line_num + 1
    except csv.Error:
        return header, records, [RowError(line, "row", "unreadable_csv")]
    return header, records, []


def _validate_chunk(
    header: tuple[str, ...], records: list[tuple[int, list[str]]], today: date,
) -> list[tuple[int, dict[str, object] | None, list[tuple[str, str]]]]:
    """Each record as (line, values or None when its column count is wrong, [(field, rule)])."""
    checked: list[tuple[int, dict[str, object] | None, list[tuple[str, str]]]] = []
    for line, fields in records:
        if len(fields) != len(header):
            checked.append((line, None, [("row", "column_count")]))
            continue
        values, errors = _parse_row(dict(zip(header, fields, strict=False)), today)
        checked.append((line, values, [(error.field, error.rule) for error in errors]))
    return checked


def _validated(header: tuple[str, ...], records: list[tuple[int, list[str]]], today: date,
               progress: Progress | None) -> Iterator[tuple[int, dict[str, object] | None, list[tuple[str, str]]]]:
    """Every record validated, in file order: by worker processes (forked, so they need no
    imports) when the file is big and there is more than one CPU, else here."""
    chunks = [records[start:start + _CHUNK] for start in range(0, len(records), _CHUNK)]
    workers = min(os.cpu_count() or 1, len(chunks))
    done = 0
    if len(records) >= PARALLEL_FROM and workers > 1:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            for chunk, checked in zip(chunks, pool.map(_validate_chunk, repeat(header), chunks, repeat(today)), strict=False):
                done += len(chunk)
                if progress:
                    progress("validate", done, len(records))
                yield from checked
        return
    for chunk in chunks:
        checked = _validate_chunk(header, chunk, today)
        done += len(chunk)
        if progress:
            progress("validate", done, len(records))
        yield from checked


def read_rows(text: str, today: date, progress: Progress | None = None,
              ) -> tuple[list[tuple[int, dict[str, object]]], list[RowError]]:
    """Parse and validate CSV text into (line, values) pairs (see `_records` for the line
    numbers; blank lines are skipped). One row per NIB, and a NIK repeated under another NIB is
    a duplicate too (under the same NIB, the NIB's error says it all): `seen` maps each NIB and
    NIK (as `nib:…`, `nik:…`) to its first line and that line's NIB."""
    header, records, errors = _records(text)
    if errors and not records:
        return [], errors
    rows: list[tuple[int, dict[str, object]]] = []
    found: list[RowError] = []
    seen: dict[str, tuple[int, object]] = {}
    for line, values, row_errors in _validated(header, records, today, progress):
        found.extend(RowError(line, field, rule) for field, rule in row_errors)
        if values is None:
            continue
        nib = values.get("nib")
        for name in ("nib", "nik"):
            value = values.get(name)
            if not isinstance(value, str):
                continue
            first_line, first_nib = seen.setdefault(f"{name}:{value}", (line, nib))
            if first_line != line and (name == "nib" or first_nib != nib):
                found.append(RowError(line, name, f"duplicate_of_line_{first_line}"))
        rows.append((line, values))
    found.extend(errors)
    if not rows and not found:
        found.append(RowError(2, "row", "no_rows"))
    return rows, found


def _existing(session: Session, name: str, values: list[str], chunk: int = _ID_CHUNK) -> dict[str, Stored]:
    """The participants already stored with these values of `name` (nib or nik), by value, as
    rows of (id, nib, nik, reserved) (read by position: faster than by name), fetched a chunk
    at a time."""
    table: Table = Participant.__table__  # type: ignore[attr-defined]  # SQLModel sets it on the class
    columns = (table.c.id, table.c.nib, table.c.nik, table.c.reserved)
    position = 1 if name == "nib" else 2
    found: dict[str, Stored] = {}
    for start in range(0, len(values), chunk):
        query = select(*columns).where(table.c[name].in_(values[start : start + chunk]))
        found.update((person[position], person) for person in session.connection().execute(query))
    return found


def import_text(rt: Runtime, text: str, actor: str = "cli", progress: Progress | None = None) -> ImportReport:
    """Validate every row, then check it against the database, both with no lock held, then
    store every row or none in one short write transaction (see `_store`). What changed in
    between (a NIB or NIK another import stored, a balance a kiosk reserved) makes the write
    fail and the whole thing is done once more, so that the second pass reports it by line; if
    it keeps happening the file is refused as a whole."""
    rows, errors = read_rows(text, rt.today(), progress)
    if errors:
        return ImportReport(errors=errors)
    for _ in range(2):
        try:
            return _store(rt, rows, actor, progress)
        except (IntegrityError, _Changed):
            continue
    return ImportReport(errors=[RowError(0, "database", "changed_by_a_concurrent_import_try_again")])


class _Changed(Exception):
    """A participant changed between the check and the write; raised to roll the write back."""


class _Bulk:
    """One INSERT or UPDATE of participants for executemany straight to the driver: compiled
    once, and each row's values put through the column types' bind processors (what SQLAlchemy
    does inside `execute`) before the write lock is taken rather than while it is held."""

    def __init__(self, statement: ClauseElement, dialect: Dialect, columns: dict[str, Any]) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        self.sql = str(compiled)
        self.order = list(compiled.positiontup or []) if compiled.positional else None
        self.processors = {name: column.type.bind_processor(dialect) for name, column in columns.items()}

    def parameters(self, rows: list[dict[str, object]]) -> list[Any]:
        processors = list(self.processors.items())
        processed = [{name: process(row[name]) if process else row[name] for name, process in processors}
                     for row in rows]
        if self.order is None:
            return processed
        return [tuple(values[name] for name in self.order) for values in processed]


def _conflicts(rows: list[tuple[int, dict[str, object]]], by_nib: dict[str, Stored],
               by_nik: dict[str, Stored]) -> list[RowError]:
    """NIKs that belong to another NIB, and balances below what the participant's open claims reserve."""
    errors = []
    for line, values in rows:
        holder = by_nik.get(str(values["nik"]))
        if holder is not None and holder[1] != values["nib"]:
            errors.append(RowError(line, "nik", f"belongs_to_nib_{holder[1]}"))
        found = by_nib.get(str(values["nib"]))
        if found is not None and int(values["balance"]) < found[3]:  # type: ignore[call-overload]
            errors.append(RowError(line, "balance", "below_amount_reserved_by_open_claims"))
    return errors


def _store(rt: Runtime, rows: list[tuple[int, dict[str, object]]], actor: str,
           progress: Progress | None = None) -> ImportReport:
    """Read the participants the file names and check the rows against them, then, in the write
    transaction, one executemany INSERT of the new NIBs and one executemany UPDATE of the known
    ones, each update only while the balance still covers what is reserved. A row inserted or a
    balance reserved since the read fails the write (IntegrityError, _Changed): import_text
    starts again. `lock_seconds` is how long the write transaction ran."""
    with rt.read() as session:
        by_nib = _existing(session, "nib", [str(values["nib"]) for _, values in rows])
        by_nik = _existing(session, "nik", [str(values["nik"]) for _, values in rows])
    errors = _conflicts(rows, by_nib, by_nik)
    if errors:
        return ImportReport(errors=errors)
    now = rt.now()
    table: Table = Participant.__table__  # type: ignore[attr-defined]  # SQLModel sets it on the class
    names = list(rows[0][1])
    inserts = [{**values, "reserved": 0, "created_at": now, "updated_at": now}
               for _, values in rows if str(values["nib"]) not in by_nib]
    updates = [{**values, "updated_at": now, "target_id": by_nib[str(values["nib"])][0]}
               for _, values in rows if str(values["nib"]) in by_nib]
    dialect = rt.engine.dialect
    insert_columns = {name: table.c[name] for name in [*names, "reserved", "created_at", "updated_at"]}
    add = _Bulk(insert(table).values({name: bindparam(name) for name in insert_columns}), dialect, insert_columns)
    changed = [name for name in names if name != "nib"] + ["updated_at"]
    update_columns = {**{name: table.c[name] for name in changed}, "target_id": table.c.id}
    change = _Bulk(
        update(table).where(table.c.id == bindparam("target_id"), table.c.reserved <= bindparam("balance"))
        .values({name: bindparam(name) for name in changed}),
        dialect, update_columns)
    insert_parameters, update_parameters = add.parameters(inserts), change.parameters(updates)
    if progress:
        progress("store", 0, len(rows))
    started = time.perf_counter()
    with rt.write() as session:
        connection = session.connection()
        if insert_parameters:
            connection.exec_driver_sql(add.sql, insert_parameters)
        if update_parameters and connection.exec_driver_sql(change.sql, update_parameters).rowcount != len(updates):
            raise _Changed
        audit.record(session, rt, actor, "participants.imported", "", created=len(inserts), updated=len(updates))
    report = ImportReport(created=len(inserts), updated=len(updates), lock_seconds=time.perf_counter() - started)
    if progress:
        progress("store", len(rows), len(rows))
    return report


def import_file(rt: Runtime, path: Path, actor: str = "cli", progress: Progress | None = None) -> ImportReport:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        return ImportReport(errors=[RowError(0, "file", "not_utf8")])
    except OSError:
        return ImportReport(errors=[RowError(0, "file", "unreadable")])
    return import_text(rt, text, actor, progress)
