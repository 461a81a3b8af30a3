"""The audit log's hash chain: each row's HMAC-SHA256, keyed with the audit key kept outside the
database, covers every column of the row and the previous row's hash, so an edited, deleted or
inserted row breaks the chain from that point on, and nobody without the key can re-hash a
rewritten one. Chains older than migration 0004 used plain SHA-256 (`legacy_digest`).

Since migration 0006 a row is written unchained, signed by its writer (`entry_mac`: the HMAC of
its content and a random nonce), and chained later by a sealer in the order the sealer finds
rows committed: `seq` is its place in the chain. Before 0006 the chain ran in id order.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, CursorResult, Row, text

from kidb_tui.clock import as_utc
from kidb_tui.masked import SecretBytes

GENESIS = "0" * 64
NOT_FOLLOWING = "does not follow the row before it (a row was deleted or inserted)"
EDITED = "content does not match its hash (the row was edited)"
OUT_OF_PLACE = "is not at its place in the chain (a sealed row was deleted, moved or renumbered)"
FORGED = "does not carry its writer's signature (the row was forged, copied or edited)"
_COLUMNS = "id, at, actor, action, subject, details, terminal_id, branch, prev_hash, row_hash"
_SEALED_COLUMNS = f"{_COLUMNS}, seq, nonce, entry_mac"
_ENTRY_TAG = "kidb-audit-entry"

_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
"""The canonical JSON of a row's content, made once (`json.dumps` with options makes an encoder a call)."""

Digest = Callable[[bytes], str]
"""A row's canonical bytes to the hex hash stored in `row_hash`."""


class AuditKeyMissing(RuntimeError):
    """Audit rows are neither written nor checked without the audit key."""

    def __init__(self) -> None:
        super().__init__(
            "no audit key: set KIDB_AUDIT_KEY or KIDB_AUDIT_KEY_FILE,"
            " or let kidb create audit.key in its data directory"
        )


def keyed_digest(key: SecretBytes | bytes) -> Digest:
    """HMAC-SHA256 with the audit key (`hmac.digest`: OpenSSL's one-shot HMAC, a few µs less a
    row than an `hmac.HMAC` object); an empty key raises AuditKeyMissing."""
    secret = key.get_secret_value() if isinstance(key, SecretBytes) else key
    if not secret:
        raise AuditKeyMissing()
    return lambda canonical: hmac.digest(secret, canonical, "sha256").hex()


def legacy_digest(canonical: bytes) -> str:
    """The unkeyed SHA-256 of the chain as migration 0002 built it."""
    return hashlib.sha256(canonical).hexdigest()


def canonical_row(
    row_id: int, at: datetime, actor: str, action: str, subject: str, details: dict,
    terminal_id: str, branch: str, prev_hash: str,
) -> bytes:
    return _CANONICAL.encode(
        [row_id, as_utc(at).isoformat(), actor, action, subject, details, terminal_id, branch, prev_hash],
    ).encode("utf-8")


def row_hash(
    digest: Digest, row_id: int, at: datetime, actor: str, action: str, subject: str, details: dict,
    terminal_id: str, branch: str, prev_hash: str,
) -> str:
    return digest(canonical_row(row_id, at, actor, action, subject, details, terminal_id, branch, prev_hash))


def canonical_entry(
    nonce: str, at: datetime, actor: str, action: str, subject: str, details: dict, terminal_id: str, branch: str,
) -> bytes:
    return _CANONICAL.encode(
        [_ENTRY_TAG, nonce, as_utc(at).isoformat(), actor, action, subject, details, terminal_id, branch],
    ).encode("utf-8")


def entry_mac(
    digest: Digest, nonce: str, at: datetime, actor: str, action: str, subject: str, details: dict,
    terminal_id: str, branch: str,
) -> str:
    """The writer's signature of a row's content: needs the key, and the nonce makes it unique."""
    return digest(canonical_entry(nonce, at, actor, action, subject, details, terminal_id, branch))


def new_nonce() -> str:
    return secrets.token_hex(16)


def parse_at(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def parse_details(value) -> dict:
    return value if isinstance(value, dict) else json.loads(value or "{}")


@dataclass(frozen=True)
class ChainBreak:
    """The first row where the chain does not hold, and how."""

    row_id: int
    problem: str

    def __str__(self) -> str:
        return f"audit row {self.row_id}: {self.problem}"


def _expected_hash(row, prev_hash: str, digest: Digest) -> str | None:
    """The hash a raw row should carry, or None when its stored content cannot even be parsed."""
    try:
        return row_hash(
            digest, row.id, parse_at(row.at), row.actor, row.action, row.subject, parse_details(row.details),
            row.terminal_id, row.branch, prev_hash,
        )
    except (TypeError, ValueError):
        return None


def raw_rows(connection: Connection) -> CursorResult[Any]:
    """Every audit row in id order as stored (a malformed date or JSON is not parsed yet)."""
    return connection.execute(text(f"SELECT {_COLUMNS} FROM audit_event ORDER BY id"))


def checked_rows(rows: Iterable[Row[Any]], digest: Digest) -> Iterator[tuple[Row[Any], str | None]]:
    """Each row with the problem found in it (None when it holds), checked against the row before."""
    previous = GENESIS
    for row in rows:
        if row.prev_hash != previous:
            yield row, NOT_FOLLOWING
        elif row.row_hash != _expected_hash(row, previous, digest):
            yield row, EDITED
        else:
            yield row, None
        previous = row.row_hash


def first_break(connection: Connection, digest: Digest) -> ChainBreak | None:
    """The first break of a chain in id order (the chain as it was before migration 0006)."""
    for row, problem in checked_rows(raw_rows(connection), digest):
        if problem is not None:
            return ChainBreak(row.id, problem)
    return None


def sealed_rows(connection: Connection) -> CursorResult[Any]:
    """The sealed rows in chain order, as stored."""
    return connection.execute(text(f"SELECT {_SEALED_COLUMNS} FROM audit_event WHERE seq IS NOT NULL ORDER BY seq"))


def unsealed_rows(connection: Connection, after_id: int | None = None, limit: int | None = None) -> CursorResult[Any]:
    """Rows not sealed yet (the committed ones this connection sees), in id order: all of them, or
    up to `limit` after the row `after_id`."""
    after = "" if after_id is None else " AND id > :after"
    bound = "" if limit is None else f" LIMIT {int(limit)}"
    return connection.execute(
        text(f"SELECT {_SEALED_COLUMNS} FROM audit_event WHERE seq IS NULL{after} ORDER BY id{bound}"),
        {"after": after_id},
    )


def entry_holds(row, digest: Digest) -> bool:
    """Whether a raw row's content still carries its writer's signature."""
    try:
        expected = entry_mac(
            digest, row.nonce, parse_at(row.at), row.actor, row.action, row.subject, parse_details(row.details),
            row.terminal_id, row.branch,
        )
    except (TypeError, ValueError):
        return False
    return hmac.compare_digest(expected, row.entry_mac or "")


def checked_chain(rows: Iterable[Row[Any]], digest: Digest) -> Iterator[tuple[Row[Any], str | None]]:
    """Each sealed row (in `seq` order) with the problem found in it: it must follow the row
    sealed before it, match its hash, sit at the next place and still carry its signature."""
    previous = GENESIS
    for place, row in enumerate(rows, start=1):
        if row.prev_hash != previous:
            yield row, NOT_FOLLOWING
        elif row.row_hash != _expected_hash(row, previous, digest):
            yield row, EDITED
        elif row.seq != place:
            yield row, OUT_OF_PLACE
        elif not entry_holds(row, digest):
            yield row, FORGED
        else:
            yield row, None
        previous = row.row_hash


def first_problem(connection: Connection, digest: Digest) -> ChainBreak | None:
    """The first sealed row that breaks the chain, else the first unsealed row without its
    writer's signature; None when every row holds."""
    for row, problem in checked_chain(sealed_rows(connection), digest):
        if problem is not None:
            return ChainBreak(row.id, problem)
    for row in unsealed_rows(connection):
        if not entry_holds(row, digest):
            return ChainBreak(row.id, FORGED)
    return None


def sealed_hash(digest: Digest, row: Row[Any], prev_hash: str) -> str:
    """The chain hash a raw row gets when sealed after a row whose hash is `prev_hash` (the row's
    content parses: its writer's signature was checked first)."""
    return row_hash(
        digest, row.id, parse_at(row.at), row.actor, row.action, row.subject, parse_details(row.details),
        row.terminal_id, row.branch, prev_hash,
    )


def number_id_ordered_chain(connection: Connection, digest: Digest) -> int:
    """Migration 0006: the chain as it was (id order) becomes the first sealed rows, each given
    its place, a nonce and its signature; a row from the first break on gets no valid signature,
    so the break stays visible. Returns the number of rows."""
    count, holding = 0, True
    for row, problem in checked_rows(raw_rows(connection).all(), digest):
        count += 1
        holding = holding and problem is None
        nonce = new_nonce()
        mac = entry_mac(
            digest, nonce, parse_at(row.at), row.actor, row.action, row.subject, parse_details(row.details),
            row.terminal_id, row.branch,
        ) if holding else ""
        connection.execute(
            text("UPDATE audit_event SET seq = :seq, nonce = :nonce, entry_mac = :mac WHERE id = :id"),
            {"seq": count, "nonce": nonce, "mac": mac, "id": row.id},
        )
    return count


def chain_in_id_order(connection: Connection, digest: Digest) -> ChainBreak | None:
    """The downgrade of migration 0006: chain every row in id order again, up to the first row
    nothing vouches for (a sealed row from the chain's first break on, or an unsealed row without
    its signature), which keeps its hashes with the rows after it. Returns that break, if any."""
    vouched: set[int] = set()
    found: ChainBreak | None = None
    for row, problem in checked_chain(sealed_rows(connection).all(), digest):
        if problem is not None:
            found = ChainBreak(row.id, problem)
            break
        vouched.add(row.id)
    vouched.update(row.id for row in unsealed_rows(connection).all() if entry_holds(row, digest))
    previous = GENESIS
    for row in raw_rows(connection).all():
        if row.id not in vouched:
            return found or ChainBreak(row.id, FORGED)
        current = sealed_hash(digest, row, previous)
        _store(connection, row.id, previous, current)
        previous = current
    return found


def rechain_audit_rows(connection: Connection) -> None:
    """Compute the unkeyed chain over rows written before any chain existed (migration 0002)."""
    previous = GENESIS
    for row in raw_rows(connection).all():
        current = row_hash(
            legacy_digest, row.id, parse_at(row.at), row.actor, row.action, row.subject,
            parse_details(row.details), row.terminal_id, row.branch, previous,
        )
        _store(connection, row.id, previous, current)
        previous = current


def convert_chain(connection: Connection, old: Digest, new: Digest) -> ChainBreak | None:
    """Re-hash the chain from `old` to `new` (migration 0004 and its downgrade), up to the first row
    the old chain does not vouch for: that row and the ones after it keep their old hashes, so
    the break stays visible instead of being laundered. Returns that break, if any."""
    previous = GENESIS
    for row, problem in checked_rows(raw_rows(connection).all(), old):
        if problem is not None:
            return ChainBreak(row.id, problem)
        current = _expected_hash(row, previous, new)
        assert current is not None, "checked_rows let through a row that cannot be parsed"
        _store(connection, row.id, previous, current)
        previous = current
    return None


def _store(connection: Connection, row_id: int, prev_hash: str, current: str) -> None:
    connection.execute(
        text("UPDATE audit_event SET prev_hash = :prev, row_hash = :hash WHERE id = :id"),
        {"prev": prev_hash, "hash": current, "id": row_id},
    )
