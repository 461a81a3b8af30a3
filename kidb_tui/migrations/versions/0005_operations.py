"""operations: export batches (each exported claim marked once per stage)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('export_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('amount_total', sa.BigInteger(), nullable=False),
    sa.Column('approved_total', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('claim_export',
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['export_batch.id'], ),
    sa.ForeignKeyConstraint(['claim_id'], ['claim.id'], ),
    sa.PrimaryKeyConstraint('batch_id', 'claim_id'),
    sa.UniqueConstraint('claim_id', 'stage', name='uq_claim_export_claim_stage')
    )


def downgrade() -> None:
    op.drop_table('claim_export')
    op.drop_table('export_batch')
