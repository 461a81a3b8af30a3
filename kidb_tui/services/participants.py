"""`kidb participants import`: validate every CSV row (one row per NIB, one NIB per NIK, in the file
and in the database), then upsert all by NIB or import nothing."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

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


def _parse_row(row: dict[str, str], today: date) -> tuple[dict[str, object], list[ValidationError]]:
    checks = {
        "nib": lambda v: validation.nib(v),
        "nik": lambda v: validation.nik(v),
        "full_name": lambda v: validation.full_name(v),
        "birth_date": lambda v: _iso_date(v, "birth_date"),
        "email": lambda v: validation.email(v),
        "phone": lambda v: validation.phone(v),
        "address": lambda v: validation.address(v),
        "postal_code": lambda v: validation.postal_code(v),
        "balance": _balance,
        "membership_status": lambda v: _choice(v, "membership_status", MEMBERSHIP_STATUSES),
        "card_status": lambda v: _choice(v, "card_status", CARD_STATUSES),
        "membership_start": lambda v: _iso_date(v, "membership_start"),
        "employment_end": lambda v: _iso_date(v, "employment_end") if v.strip() else None,
    }
    values: dict[str, object] = {}
    errors: list[ValidationError] = []
    for name, check in checks.items():
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


def read_rows(text: str, today: date) -> tuple[list[tuple[int, dict[str, object]]], list[RowError]]:
    """Parse and validate CSV text into (line, values) pairs. The header is line 1; a row is
    numbered by the line its record starts on (a quoted field may span lines); blank lines are
    skipped. Text the csv module cannot read (an unterminated quote running past the field
    size limit) is reported at the line where the broken record starts."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = tuple(next(reader, ()))
    except csv.Error:
        header = ()
    if header[: len(HEADER)] != HEADER or any(extra not in OPTIONAL for extra in header[len(HEADER):]):
        return [], [RowError(1, "header", "expected " + ",".join(HEADER))]
    rows: list[tuple[int, dict[str, object]]] = []
    errors: list[RowError] = []
    seen: dict[str, tuple[int, object]] = {}
    line = reader.line_num + 1
    try:
        for fields in reader:
            if fields:
                _read_record(header, fields, line, today, rows, errors, seen)
            line = reader.line_num + 1
    except csv.Error:
        errors.append(RowError(line, "row", "unreadable_csv"))
    if not rows and not errors:
        errors.append(RowError(2, "row", "no_rows"))
    return rows, errors


def _read_record(
    header: tuple[str, ...], fields: list[str], line: int, today: date,
    rows: list[tuple[int, dict[str, object]]], errors: list[RowError], seen: dict[str, tuple[int, object]],
) -> None:
    """Validate one record into `rows`/`errors`. `seen` maps each NIB and NIK (as `nib:…`,
    `nik:…`) to its first line and that line's NIB: a repeated NIB is a duplicate, and so is a
    NIK repeated under another NIB (under the same one, the NIB's error says it all)."""
    if len(fields) != len(header):
        errors.append(RowError(line, "row", "column_count"))
        return
    values, row_errors = _parse_row(dict(zip(header, fields)), today)
    errors.extend(RowError(line, e.field, e.rule) for e in row_errors)
    nib = values.get("nib")
    for name in ("nib", "nik"):
        value = values.get(name)
        if not isinstance(value, str):
            continue
        first_line, first_nib = seen.setdefault(f"{name}:{value}", (line, nib))
        if first_line != line and (name == "nib" or first_nib != nib):
            errors.append(RowError(line, name, f"duplicate_of_line_{first_line}"))
    rows.append((line, values))


class _Rejected(Exception):
    """Raised inside the import transaction to roll it back."""


def _existing(session, name: str, values: list[str], chunk: int = 500) -> dict[str, Participant]:
    """The participants already stored with these values of `name` (nib or nik), by value,
    fetched a chunk at a time."""
    column = getattr(Participant, name)
    found: dict[str, Participant] = {}
    for start in range(0, len(values), chunk):
        query = select(Participant).where(col(column).in_(values[start : start + chunk]))
        found.update((getattr(person, name), person) for person in session.exec(query))
    return found


def import_text(rt: Runtime, text: str, actor: str = "cli") -> ImportReport:
    """Validate, then store every row or none. A NIB or NIK written by another import between
    our check and our commit (the unique index refuses it) is retried once, so that the second
    pass reports it by line; if it keeps happening the file is refused as a whole."""
    rows, errors = read_rows(text, rt.now().date())
    if errors:
        return ImportReport(errors=errors)
    for _ in range(2):
        try:
            return _store(rt, rows, actor)
        except IntegrityError:
            continue
    return ImportReport(errors=[RowError(0, "database", "changed_by_a_concurrent_import_try_again")])


def _store(rt: Runtime, rows: list[tuple[int, dict[str, object]]], actor: str) -> ImportReport:
    report = ImportReport()
    now = rt.now()
    try:
        with rt.write() as session, session.no_autoflush:
            by_nib = _existing(session, "nib", [str(values["nib"]) for _, values in rows])
            by_nik = _existing(session, "nik", [str(values["nik"]) for _, values in rows])
            for line, values in rows:
                holder = by_nik.get(str(values["nik"]))
                if holder is not None and holder.nib != values["nib"]:
                    report.errors.append(RowError(line, "nik", f"belongs_to_nib_{holder.nib}"))
                found = by_nib.get(str(values["nib"]))
                if found is None:
                    session.add(Participant(**values, reserved=0, created_at=now, updated_at=now))
                    report.created += 1
                    continue
                if int(values["balance"]) < found.reserved:
                    report.errors.append(RowError(line, "balance", "below_amount_reserved_by_open_claims"))
                for name, value in values.items():
                    setattr(found, name, value)
                found.updated_at = now
                report.updated += 1
            if report.errors:
                raise _Rejected
            audit.record(session, rt, actor, "participants.imported", "", created=report.created, updated=report.updated)
    except _Rejected:
        report.created = report.updated = 0
    return report


def import_file(rt: Runtime, path: Path, actor: str = "cli") -> ImportReport:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        return ImportReport(errors=[RowError(0, "file", "not_utf8")])
    except OSError:
        return ImportReport(errors=[RowError(0, "file", "unreadable")])
    return import_text(rt, text, actor)
