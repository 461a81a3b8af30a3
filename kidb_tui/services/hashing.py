"""Secret hashing: HMAC-SHA256 with a pepper kept outside the database, then argon2id."""

from __future__ import annotations

import hashlib
import hmac
from functools import cached_property

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from kidb_tui.config import Argon2Params


class SecretHasher:
    def __init__(self, pepper: bytes, params: Argon2Params) -> None:
        self._pepper = pepper
        self._hasher = PasswordHasher(
            time_cost=params.time_cost,
            memory_cost=params.memory_kib,
            parallelism=params.parallelism,
            type=Type.ID,
        )

    @cached_property
    def _dummy(self) -> str:
        """Made on first need, so that starting a kiosk does not pay for an argon2 hash."""
        return self.hash("kidb-dummy-secret-for-unknown-accounts")

    def _peppered(self, secret: str) -> str:
        return hmac.new(self._pepper, secret.encode("utf-8"), hashlib.sha256).hexdigest()

    def hash(self, secret: str) -> str:
        return self._hasher.hash(self._peppered(secret))

    def verify(self, stored_hash: str, secret: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, self._peppered(secret))
        except (VerificationError, InvalidHashError):
            return False

    def verify_dummy(self, secret: str) -> bool:
        """Spend the same time as a real verification, for NIBs with no account."""
        self.verify(self._dummy, secret)
        return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)
