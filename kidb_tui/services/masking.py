"""Masks for identity data in audit rows, logs and officer views."""

from __future__ import annotations


def mask_tail(value: str, visible: int = 4) -> str:
    """All but the last `visible` characters replaced by `*`."""
    if len(value) <= visible:
        return "*" * len(value)
    return "*" * (len(value) - visible) + value[-visible:]


def mask_phone(e164: str) -> str:
    if len(e164) < 8:
        return mask_tail(e164)
    return e164[:5] + "*" * (len(e164) - 8) + e164[-3:]


def mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    if not domain:
        return mask_tail(address)
    return f"{local[:1]}***@{domain}"
