"""Secret hashing: HMAC-SHA256 with a pepper kept outside the database, then argon2id."""

from __future__ import annotations

import hmac
from functools import cached_property

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from kidb_tui.config import Argon2Params
from kidb_tui.masked import SecretBytes, SecretStr, masked_bytes, reveal


class SecretHasher:
    """Hashes and verifies secrets; the pepper is held masked, so a crash report that shows
    this object's attributes shows asterisks."""

    def __init__(self, pepper: bytes | SecretBytes, params: Argon2Params) -> None:
        self._pepper = masked_bytes(pepper)
        self._hasher = PasswordHasher(
            time_cost=params.time_cost,
            memory_cost=params.memory_kib,
            parallelism=params.parallelism,
            type=Type.ID,
        )

    @cached_property
    def _dummy(self) -> str:
        """Made by `prepare_dummy()` (a session prepares it before its first login) or on first need."""
        return self.hash("kidb-dummy-secret-for-unknown-accounts")

    def prepare_dummy(self) -> None:
        """Make the dummy hash now, so the first unknown NIB of a process costs what a known one does."""
        self._dummy  # noqa: B018  (the cached property is computed and kept)

    def _peppered(self, secret: str | SecretStr) -> str:
        return hmac.digest(self._pepper.get_secret_value(), reveal(secret).encode("utf-8"), "sha256").hex()

    def hash(self, secret: str | SecretStr) -> str:
        return self._hasher.hash(self._peppered(secret))

    def verify(self, stored_hash: str, secret: str | SecretStr) -> bool:
        try:
            return self._hasher.verify(stored_hash, self._peppered(secret))
        except (VerificationError, InvalidHashError):
            return False

    def verify_dummy(self, secret: str | SecretStr) -> bool:
        """Spend the same time as a real verification, for NIBs with no account."""
        self.verify(self._dummy, secret)
        return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)
