"""scale-out: audit rows are signed by their writer and chained later by a sealer

`audit_event` gains `seq` (the row's place in the chain, set when sealed), `nonce` and
`entry_mac` (the writer's HMAC of the content); `audit_seal` records each sealed batch. The rows
already chained (in id order) become the first sealed rows, recorded as one seal, and get their
signatures: that needs the audit key when audit rows exist, as 0004 does. A row from the first
break of the old chain on gets no valid signature, so the break is still reported. The downgrade
chains every row in id order again.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

import logging
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from kidb_tui.audit_chain import Digest, chain_in_id_order, keyed_digest, number_id_ordered_chain

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_UNSEALED = sa.text("seq IS NULL")


def _digest() -> Digest:
    config = op.get_context().config
    assert config is not None, "kidb runs its migrations with a Config (kidb_tui/migrate.py)"
    return keyed_digest(config.attributes.get("audit_key") or b"")


def _has_rows(connection) -> bool:
    return connection.execute(sa.text("SELECT 1 FROM audit_event LIMIT 1")).first() is not None


def upgrade() -> None:
    op.create_table('audit_seal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('first_seq', sa.BigInteger(), nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('head_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('sealed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sealer', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('first_seq', name='uq_audit_seal_first_seq'),
    )
    with op.batch_alter_table('audit_event') as batch:
        batch.add_column(sa.Column('seq', sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column('nonce', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch.add_column(sa.Column('entry_mac', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False,
                                   server_default=''))
    connection = op.get_bind()
    if _has_rows(connection):
        rows = number_id_ordered_chain(connection, _digest())
        head = connection.execute(sa.text("SELECT row_hash FROM audit_event WHERE seq = :seq"), {"seq": rows}).scalar()
        connection.execute(
            sa.text("INSERT INTO audit_seal (first_seq, last_seq, head_hash, sealed_at, sealer)"
                    " VALUES (1, :last, :head, :at, 'migration 0006')"),
            {"last": rows, "head": head, "at": datetime.now(UTC)},
        )
    with op.batch_alter_table('audit_event') as batch:
        batch.alter_column('nonce', existing_type=sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False)
        batch.create_unique_constraint('uq_audit_event_seq', ['seq'])
        batch.create_unique_constraint('uq_audit_event_nonce', ['nonce'])
    op.create_index('ix_audit_event_unsealed', 'audit_event', ['id'], unique=False,
                    sqlite_where=_UNSEALED, postgresql_where=_UNSEALED)


def downgrade() -> None:
    connection = op.get_bind()
    if _has_rows(connection):
        problem = chain_in_id_order(connection, _digest())
        if problem is not None:
            logging.getLogger("kidb.audit").warning("%s; it and the rows after it keep their hashes", problem)
    op.drop_index('ix_audit_event_unsealed', table_name='audit_event')
    with op.batch_alter_table('audit_event') as batch:
        batch.drop_constraint('uq_audit_event_nonce', type_='unique')
        batch.drop_constraint('uq_audit_event_seq', type_='unique')
        batch.drop_column('entry_mac')
        batch.drop_column('nonce')
        batch.drop_column('seq')
    op.drop_table('audit_seal')
