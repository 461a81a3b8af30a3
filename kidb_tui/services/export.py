"""`kidb claims export`: the claims of one stage not exported in that stage before, as a CSV
file for the payments system, recorded as an export batch (each claim marked, so that a second
export leaves it out; `--again BATCH` writes a batch again).

Text cells are quoted (bank codes and account numbers stay text, leading zeros kept) and a
cell a spreadsheet would run as a formula gets a leading `'`; amounts are plain numbers; times
are the branch's local time (ISO 8601 with its offset, and the zone's abbreviation). The last
line is the control line: `CONTROL`, the batch, the row count, the sum of `amount` and the sum
of `approved_amount`. The file is created 0600.
"""

from __future__ import annotations

import csv
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy import and_, exists
from sqlmodel import col, select

from kidb_tui import time_zones
from kidb_tui.clock import as_utc
from kidb_tui.errors import ValidationError
from kidb_tui.models import Claim, ClaimExport, ExportBatch, Participant
from kidb_tui.services import audit
from kidb_tui.services.claims import REJECTED, STAGES
from kidb_tui.services.runtime import Runtime
from kidb_tui.validation import FORMULA_STARTS

COLUMNS = (
    "reference", "stage", "nib", "full_name", "claim_type", "amount", "approved_amount", "bank_code",
    "account_number", "account_holder", "payment_reference", "created_at", "time_zone", "export_batch",
)
CONTROL = "CONTROL"
DELIMITERS = {",": ",", ";": ";", "|": "|", "\t": "\t", "tab": "\t", "\\t": "\t"}
BATCH_PREFIX = "EXP-"
_BOM = "\ufeff"


@dataclass(frozen=True)
class Exported:
    """What one export wrote: its batch (empty when no claim was due), rows and the two sums."""

    batch: str
    count: int
    amount_total: int
    approved_total: int


def batch_name(batch_id: int) -> str:
    return f"{BATCH_PREFIX}{batch_id:06d}"


def batch_id(name: str) -> int:
    """`EXP-000012` or `12` as the batch's id; ValidationError when it is neither."""
    digits = name.strip().upper().removeprefix(BATCH_PREFIX)
    if not (digits.isascii() and digits.isdigit() and 0 < len(digits) <= 12):
        raise ValidationError("batch", "batch_format")
    return int(digits)


def delimiter_of(text: str) -> str:
    """`,` `;` `|` or a tab (`\\t` or `tab`); ValidationError otherwise."""
    if text not in DELIMITERS:
        raise ValidationError("delimiter", "delimiter_one_of_comma_semicolon_pipe_tab")
    return DELIMITERS[text]


def neutralised(value: object) -> object:
    """A text cell a spreadsheet would run as a formula gets a leading `'` (OWASP CSV
    injection); numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def _open_private(path: Path) -> IO[str]:
    """`path` for writing, created 0600; an existing file is emptied and tightened to 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) & 0o077:
            os.fchmod(fd, 0o600)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "w", newline="", encoding="utf-8")


def _cells(rt: Runtime, claim: Claim, participant: Participant, batch: str) -> list[object]:
    local = as_utc(claim.created_at).astimezone(rt.settings.zone)
    return [neutralised(cell) for cell in (
        claim.reference, claim.stage, participant.nib, participant.full_name, claim.claim_type_code,
        claim.amount, claim.approved_amount if claim.approved_amount is not None else "", claim.bank_code,
        claim.account_number, claim.account_holder, claim.payment_reference, local.isoformat(),
        time_zones.ZONES.get(rt.settings.timezone) or local.tzname() or "", batch,
    )]


def _sums(rows: list[tuple[Claim, Participant]]) -> tuple[int, int]:
    return sum(claim.amount for claim, _ in rows), sum(claim.approved_amount or 0 for claim, _ in rows)


def _write(rt: Runtime, path: Path, rows: list[tuple[Claim, Participant]], batch: str, delimiter: str,
           bom: bool) -> Exported:
    amount_total, approved_total = _sums(rows)
    with _open_private(path) as handle:
        if bom:
            handle.write(_BOM)
        writer = csv.writer(handle, delimiter=delimiter, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for claim, participant in rows:
            writer.writerow(_cells(rt, claim, participant, batch))
        writer.writerow([CONTROL, batch, len(rows), amount_total, approved_total])
    return Exported(batch, len(rows), amount_total, approved_total)


def _claims_query(*conditions):
    return (select(Claim, Participant).join(Participant, col(Participant.id) == col(Claim.participant_id))
            .where(*conditions).order_by(col(Claim.created_at), col(Claim.id)))


def export_claims(rt: Runtime, stage: str, path: Path, actor: str = "cli", delimiter: str = ",",
                  bom: bool = False) -> Exported:
    """Write the claims in `stage` (oldest first) not yet exported in that stage to `path` as a
    new batch, and mark them, in one write transaction: if the file cannot be written nothing
    is marked; two exports at once cannot both take a claim (the claim and stage are unique in
    claim_export)."""
    if stage not in (*STAGES, REJECTED):
        raise ValidationError("stage", "stage_unknown")
    delimiter = delimiter_of(delimiter)
    already = exists().where(and_(col(ClaimExport.claim_id) == col(Claim.id), col(ClaimExport.stage) == stage))
    try:
        with rt.write() as session:
            rows = list(session.exec(_claims_query(col(Claim.stage) == stage, ~already)).all())
            name = ""
            if rows:
                amount_total, approved_total = _sums(rows)
                batch = ExportBatch(stage=stage, created_at=rt.now(), actor=actor, row_count=len(rows),
                                    amount_total=amount_total, approved_total=approved_total)
                session.add(batch)
                session.flush()
                assert batch.id is not None
                name = batch_name(batch.id)
                session.add_all([ClaimExport(batch_id=batch.id, claim_id=claim.id, stage=stage) for claim, _ in rows])
                session.flush()
            exported = _write(rt, path, rows, name, delimiter, bom)
            audit.record(session, rt, actor, "claims.exported", stage, count=len(rows), batch=name)
    except BaseException:
        path.unlink(missing_ok=True)  # a file whose claims were not marked must not be paid from
        raise
    return exported


def export_again(rt: Runtime, batch: str, path: Path, actor: str = "cli", delimiter: str = ",",
                 bom: bool = False) -> Exported:
    """Write the claims of an earlier batch again (as they are now), under the same batch."""
    number = batch_id(batch)
    delimiter = delimiter_of(delimiter)
    with rt.write() as session:
        found = session.get(ExportBatch, number)
        if found is None:
            raise ValidationError("batch", "batch_unknown")
        in_batch = exists().where(and_(col(ClaimExport.claim_id) == col(Claim.id), col(ClaimExport.batch_id) == number))
        rows = list(session.exec(_claims_query(in_batch)).all())
        exported = _write(rt, path, rows, batch_name(number), delimiter, bom)
        audit.record(session, rt, actor, "claims.exported_again", found.stage, count=len(rows), batch=exported.batch)
    return exported
