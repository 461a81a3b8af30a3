"""keyed audit chain: re-hash the audit rows with HMAC-SHA256 and the audit key

The key comes from `kidb_tui.migrate.upgrade(..., audit_key=...)` (bootstrap passes the
settings' key) and is needed only when audit rows exist. Only the rows the unkeyed chain
vouches for are re-hashed: a row where it already broke keeps its old hash, so the break is
still reported afterwards instead of being laundered by the new key.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import logging

import sqlalchemy as sa
from alembic import op

from kidb_tui.audit_chain import convert_chain, keyed_digest, legacy_digest

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def _rechain(to_keyed: bool) -> None:
    connection = op.get_bind()
    if connection.execute(sa.text("SELECT 1 FROM audit_event LIMIT 1")).first() is None:
        return
    config = op.get_context().config
    assert config is not None, "kidb runs its migrations with a Config (kidb_tui/migrate.py)"
    keyed = keyed_digest(config.attributes.get("audit_key") or b"")
    old, new = (legacy_digest, keyed) if to_keyed else (keyed, legacy_digest)
    problem = convert_chain(connection, old, new)
    if problem is not None:
        logging.getLogger("kidb.audit").warning("%s; it and the rows after it keep their old hashes", problem)


def upgrade() -> None:
    _rechain(to_keyed=True)


def downgrade() -> None:
    _rechain(to_keyed=False)
