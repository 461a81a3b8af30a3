"""`kidb claims export`: claims of one stage as CSV for the payments system."""

from __future__ import annotations

import csv
import os
import stat
from pathlib import Path
from typing import IO

from sqlmodel import col, select

from kidb_tui.clock import as_utc
from kidb_tui.errors import ValidationError
from kidb_tui.models import Claim, Participant
from kidb_tui.services import audit
from kidb_tui.services.claims import REJECTED, STAGES
from kidb_tui.services.runtime import Runtime
from kidb_tui.validation import FORMULA_STARTS

COLUMNS = (
    "reference", "stage", "nib", "full_name", "claim_type", "amount", "approved_amount", "bank_code",
    "account_number", "account_holder", "payment_reference", "created_at",
)


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


def export_claims(rt: Runtime, stage: str, path: Path, actor: str = "cli") -> int:
    """Write the claims in `stage` (oldest first) to `path` (mode 0600, formulas neutralised);
    returns how many."""
    if stage not in (*STAGES, REJECTED):
        raise ValidationError("stage", "stage_unknown")
    with rt.read() as session:
        rows = session.exec(
            select(Claim, Participant)
            .join(Participant, col(Participant.id) == col(Claim.participant_id))
            .where(Claim.stage == stage)
            .order_by(col(Claim.created_at), col(Claim.id))
        ).all()
    with _open_private(path) as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for claim, participant in rows:
            writer.writerow([neutralised(cell) for cell in (
                claim.reference, claim.stage, participant.nib, participant.full_name, claim.claim_type_code,
                claim.amount, claim.approved_amount if claim.approved_amount is not None else "", claim.bank_code,
                claim.account_number, claim.account_holder, claim.payment_reference, as_utc(claim.created_at).isoformat(),
            )])
    with rt.write() as session:
        audit.record(session, rt, actor, "claims.exported", stage, count=len(rows))
    return len(rows)
