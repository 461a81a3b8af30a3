"""Rupiah as integers: formatting for display and parsing what people type.

What is accepted as an amount (one rule, the message of each refusal names it):
- digits, optionally with an `Rp` prefix and spaces: `1500000`, `Rp 1500000`;
- thousands grouped in threes by dots *or* by commas, one kind in the whole number:
  `1.500.000` and `1,500,000` are both Rp1.500.000;
- a last group of one or two digits after a dot or comma is sen, and rupiah are whole:
  `1.500.000,50`, `1,500,000.50`, `12,5`, `15.00` are refused (`amount_whole`);
- dots and commas both used for thousands (`1.500,000`, `1,500.000`) could mean either
  number: refused as ambiguous (`amount_ambiguous`);
- anything else (`1.50.000`, `1.5000`, `sejuta`) is refused (`amount_format`).
"""

from __future__ import annotations

import re

_SEPARATORS = ".,"
_DECIMAL = re.compile(r"[0-9]+[.,][0-9]{1,2}")


def _grouped(separator: str) -> re.Pattern[str]:
    return re.compile(rf"[0-9]{{1,3}}(?:\{separator}[0-9]{{3}})+")


_GROUPED = {separator: _grouped(separator) for separator in _SEPARATORS}


def format_rupiah(amount: int) -> str:
    """`1234567` -> `Rp1.234.567` (babel's id_ID grouping). babel is imported on the first amount
    shown, not before the kiosk's first frame (the login screen shows none)."""
    from babel.numbers import format_decimal

    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{format_decimal(abs(int(amount)), locale='id_ID')}"


def parse_rupiah(text: str) -> int:
    """Whole rupiah typed as the module docstring describes.

    Raises ValueError with a rule name: `amount_whole`, `amount_ambiguous` or `amount_format`.
    """
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "")
    if cleaned[:2].lower() == "rp":
        cleaned = cleaned[2:]
    if cleaned.isascii() and cleaned.isdigit():
        return int(cleaned)
    used = {separator for separator in _SEPARATORS if separator in cleaned}
    if len(used) == 1:
        [separator] = used
        if _GROUPED[separator].fullmatch(cleaned):
            return int(cleaned.replace(separator, ""))
        if _DECIMAL.fullmatch(cleaned):
            raise ValueError("amount_whole")
        raise ValueError("amount_format")
    if len(used) == 2:
        last = max(_SEPARATORS, key=cleaned.rfind)
        head, tail = cleaned.rsplit(last, 1)
        other = next(separator for separator in _SEPARATORS if separator != last)
        if _GROUPED[other].fullmatch(head) and tail.isascii() and tail.isdigit():
            if len(tail) <= 2:
                raise ValueError("amount_whole")
            if len(tail) == 3:
                raise ValueError("amount_ambiguous")
    raise ValueError("amount_format")


def amount_preview(text: str) -> str:
    """What the amount field shows beside what is typed: `= Rp1.500.000`, or "" while the text
    is not an amount. Any size, the width of the widget permitting."""
    try:
        return f"= {format_rupiah(parse_rupiah(text))}"
    except ValueError:
        return ""
