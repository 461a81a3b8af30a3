"""What the claim steps hand on to each other (the type with its requirements, the validated
draft) and the small text helpers they share."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from textual.style import Style

from kidb_tui.services.claims import ClaimDraft, CleanClaim
from kidb_tui.services.reference import BankInfo, ClaimTypeInfo
from kidb_tui.services.requirements import RequirementReport

Translate = Callable[..., str]
BOLD = Style(bold=True)
"""Bold as a style object: a style given as text ("bold") is parsed through the app's style
sheet, and the session's first such parse tokenizes every theme variable (a few ms of the
form's first frame)."""


@dataclass(frozen=True)
class Requirements:
    """The chosen type, how the participant stands against each of its rules, and the banks
    the form offers."""

    info: ClaimTypeInfo
    report: RequirementReport
    banks: tuple[BankInfo, ...]


@dataclass(frozen=True)
class ValidDraft:
    """The form as typed (sent to `submit_claim`), as validated (shown), and its idempotency key."""

    key: str
    draft: ClaimDraft
    clean: CleanClaim


def limit_text(t: Translate, info: ClaimTypeInfo) -> str:
    """"maks. 30% saldo", or "seluruh saldo" for the types that pay the whole balance."""
    if info.full_balance:
        return t("claim.limit_full")
    return t("claim.limit_share", pct=info.max_share_pct)


def document_names(t: Translate, codes: Iterable[str]) -> list[str]:
    return [t(f"doc.{code}") for code in codes]
