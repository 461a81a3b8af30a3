"""Secrets as masked values: a PIN, password, reset code, pepper or audit key travels inside a
`SecretStr`/`SecretBytes`, whose `repr` and `str` print asterisks, so no crash report, log line
or audit row can show one. Only the code that hashes a secret unwraps it. They behave as
pydantic's types of the same names (same `repr`, `str`, equality, hash and length), written
here so that the settings read before the kiosk's first frame do not import pydantic."""

from __future__ import annotations

from typing import Generic, TypeVar

__all__ = ["SecretBytes", "SecretStr", "masked", "masked_bytes", "reveal"]

_MASK = "**********"
_Plain = TypeVar("_Plain", str, bytes)


class _Secret(Generic[_Plain]):
    __slots__ = ("_secret_value",)
    _secret_value: _Plain

    def __init__(self, secret_value: _Plain) -> None:
        self._secret_value = secret_value

    def get_secret_value(self) -> _Plain:
        return self._secret_value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, type(self)) and self._secret_value == other._secret_value

    def __hash__(self) -> int:
        return hash(self._secret_value)

    def __len__(self) -> int:
        return len(self._secret_value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class SecretStr(_Secret[str]):
    """Text whose `str` and `repr` show asterisks (nothing for an empty one)."""

    __slots__ = ()

    def __str__(self) -> str:
        return _MASK if self._secret_value else ""


class SecretBytes(_Secret[bytes]):
    """Bytes whose `str` and `repr` show asterisks (nothing for empty ones)."""

    __slots__ = ()

    def __str__(self) -> str:
        return str(_MASK.encode() if self._secret_value else b"")

    def __repr__(self) -> str:
        return f"SecretBytes({_MASK.encode() if self._secret_value else b''!r})"


def masked(value: str | SecretStr) -> SecretStr:
    """`value` as a SecretStr (already masked values pass through)."""
    return value if isinstance(value, SecretStr) else SecretStr(value)


def masked_bytes(value: bytes | SecretBytes) -> SecretBytes:
    return value if isinstance(value, SecretBytes) else SecretBytes(value)


def reveal(value: str | SecretStr) -> str:
    """The plain text of a secret, for the hasher and the policy checks only."""
    return value.get_secret_value() if isinstance(value, SecretStr) else value
