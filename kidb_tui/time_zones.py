"""Indonesia's time zones, standard library only (so that the terminals' key lines, read by
`kidb attach` too, can name one): every time a person sees is in the branch's zone, with its
abbreviation; the database keeps UTC."""

from __future__ import annotations

ZONES = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
"""IANA name: the abbreviation shown after a time (WIB UTC+7, WITA UTC+8, WIT UTC+9)."""
DEFAULT = "Asia/Jakarta"


def allowed() -> str:
    """The zones in words, for a message that refuses another."""
    return ", ".join(f"{name} ({abbreviation})" for name, abbreviation in ZONES.items())
