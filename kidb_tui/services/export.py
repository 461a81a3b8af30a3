"""`kidb claims export`: claims of one stage as CSV for the payments system."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlmodel import col, select

from kidb_tui.clock import as_utc
from kidb_tui.errors import ValidationError
from kidb_tui.models import Claim, Participant
from kidb_tui.services import audit
from kidb_tui.services.claims import REJECTED, STAGES
from kidb_tui.services.runtime import Runtime

COLUMNS = (
    "reference", "stage", "nib", "full_name", "claim_type", "amount", "approved_amount", "bank_code",
    "account_number", "account_holder", "payment_reference", "created_at",
)


def export_claims(rt: Runtime, stage: str, path: Path, actor: str = "cli") -> int:
    """Write the claims in `stage` (oldest first) to `path`; returns how many."""
    if stage not in (*STAGES, REJECTED):
        raise ValidationError("stage", "stage_unknown")
    with rt.read() as session:
        rows = session.exec(
            select(Claim, Participant)
            .join(Participant, col(Participant.id) == col(Claim.participant_id))
            .where(Claim.stage == stage)
            .order_by(col(Claim.created_at), col(Claim.id))
        ).all()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for claim, participant in rows:
            writer.writerow([
                claim.reference, claim.stage, participant.nib, participant.full_name, claim.claim_type_code,
                claim.amount, claim.approved_amount if claim.approved_amount is not None else "", claim.bank_code,
                claim.account_number, claim.account_holder, claim.payment_reference, as_utc(claim.created_at).isoformat(),
            ])
    with rt.write() as session:
        audit.record(session, rt, actor, "claims.exported", stage, count=len(rows))
    return len(rows)
