"""The final income tax withheld from a claim payout and the estimated net amount the
participant receives, from the rules in `data/tax_rules.json` (rates, brackets, the claim types
they apply to, their legal source and effective date), so a rate can be corrected without code.

Money stays whole rupiah: each bracket's tax is `part * rate_pct // 100` (rounded down), and
the net payout is the gross amount less the sum.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from kidb_tui.resources import data_dir


@dataclass(frozen=True)
class Bracket:
    up_to: int | None
    rate_pct: int


@dataclass(frozen=True)
class TaxRule:
    code: str
    applies_to: frozenset[str]
    effective_from: date
    brackets: tuple[Bracket, ...]
    source: str

    def tax_on(self, gross: int) -> int:
        """The tax on `gross` whole rupiah: each bracket's rate on the part of `gross` inside it."""
        tax, lower = 0, 0
        for bracket in self.brackets:
            upper = gross if bracket.up_to is None else min(gross, bracket.up_to)
            if upper > lower:
                tax += (upper - lower) * bracket.rate_pct // 100
            if bracket.up_to is None or gross <= bracket.up_to:
                break
            lower = bracket.up_to
        return tax


@dataclass(frozen=True)
class PayoutEstimate:
    """What a claim of `gross_amount` pays out: `tax_amount` withheld under `rule` (None: no tax
    rule applies to the claim type), `net_amount` transferred."""

    gross_amount: int
    tax_amount: int
    net_amount: int
    rule: TaxRule | None


def _rule(entry: dict[str, Any]) -> TaxRule:
    brackets = tuple(Bracket(b["up_to"], b["rate_pct"]) for b in entry["brackets"])
    limits = [b.up_to for b in brackets]
    bounded = [limit for limit in limits[:-1] if limit is not None]
    if limits[-1] is not None or len(bounded) != len(limits) - 1 or bounded != sorted(bounded):
        raise ValueError(f"tax rule {entry['code']}: brackets must rise and end with `up_to: null`")
    return TaxRule(entry["code"], frozenset(entry["applies_to"]), date.fromisoformat(entry["effective_from"]),
                   brackets, entry["source"])


@cache
def rules() -> tuple[TaxRule, ...]:
    """Every rule in data/tax_rules.json, checked."""
    entries = json.loads((data_dir() / "tax_rules.json").read_text(encoding="utf-8"))["rules"]
    return tuple(_rule(entry) for entry in entries)


def rule_for(type_code: str, on: date) -> TaxRule | None:
    """The rule in force on `on` for the claim type: the latest effective one, if any."""
    found = [rule for rule in rules() if type_code in rule.applies_to and rule.effective_from <= on]
    return max(found, key=lambda rule: rule.effective_from, default=None)


def estimate(type_code: str, gross: int, on: date) -> PayoutEstimate:
    """The estimated net payout of a claim of `gross` rupiah paid on `on`."""
    rule = rule_for(type_code, on)
    tax = rule.tax_on(gross) if rule is not None else 0
    return PayoutEstimate(gross, tax, gross - tax, rule)
