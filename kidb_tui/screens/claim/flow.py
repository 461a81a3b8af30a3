"""What the claim screens share: the validated draft handed from step to step, and small text helpers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from kidb_tui.services import reference
from kidb_tui.services.claims import ClaimDraft, CleanClaim
from kidb_tui.services.reference import ClaimTypeInfo


@dataclass(frozen=True)
class ValidDraft:
    """The form as typed (sent to `submit_claim`), as validated (shown), and its idempotency key."""

    key: str
    draft: ClaimDraft
    clean: CleanClaim


def claim_type(rt, type_code: str) -> ClaimTypeInfo:
    return next(info for info in reference.claim_types(rt) if info.code == type_code)


def limit_text(screen, info: ClaimTypeInfo) -> str:
    """"maks. 30% saldo", or "seluruh saldo" for the types that pay the whole balance."""
    if info.full_balance:
        return screen.t("claim.limit_full")
    return screen.t("claim.limit_share", pct=info.max_share_pct)


def document_names(screen, codes: Iterable[str]) -> list[str]:
    return [screen.t(f"doc.{code}") for code in codes]


def summary_row(label: str, value: str) -> ComposeResult:
    """A label column and a plain-text value that wraps under itself."""
    with Horizontal(classes="claim-row"):
        yield Static(label, markup=False, classes="claim-row-label")
        yield Static(value, markup=False, classes="claim-row-value")
