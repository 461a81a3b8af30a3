"""Rupiah as integers: formatting for display and parsing what people type."""

from __future__ import annotations

import re

from babel.numbers import format_decimal

_GROUPED = re.compile(r"\d{1,3}(\.\d{3})+")


def format_rupiah(amount: int) -> str:
    """`1234567` -> `Rp1.234.567` (id_ID grouping)."""
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{format_decimal(abs(int(amount)), locale='id_ID')}"


def parse_rupiah(text: str) -> int:
    """Whole rupiah typed with or without dot grouping and an optional `Rp` prefix.

    Raises ValueError with a rule name: `amount_whole` for a decimal part, `amount_format`
    for anything else that is not a whole number.
    """
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "")
    if cleaned[:2].lower() == "rp":
        cleaned = cleaned[2:]
    if "," in cleaned:
        raise ValueError("amount_whole")
    if cleaned.isascii() and cleaned.isdigit():
        return int(cleaned)
    if _GROUPED.fullmatch(cleaned):
        return int(cleaned.replace(".", ""))
    raise ValueError("amount_format")
