"""Secrets as masked values: a PIN, password, reset code, pepper or audit key travels inside
pydantic's `SecretStr`/`SecretBytes`, whose `repr` and `str` print asterisks, so no crash
report, log line or audit row can show one. Only the code that hashes a secret unwraps it."""

from __future__ import annotations

from pydantic import SecretBytes, SecretStr

__all__ = ["SecretBytes", "SecretStr", "masked", "masked_bytes", "reveal"]


def masked(value: str | SecretStr) -> SecretStr:
    """`value` as a SecretStr (already masked values pass through)."""
    return value if isinstance(value, SecretStr) else SecretStr(value)


def masked_bytes(value: bytes | SecretBytes) -> SecretBytes:
    return value if isinstance(value, SecretBytes) else SecretBytes(value)


def reveal(value: str | SecretStr) -> str:
    """The plain text of a secret, for the hasher and the policy checks only."""
    return value.get_secret_value() if isinstance(value, SecretStr) else value
