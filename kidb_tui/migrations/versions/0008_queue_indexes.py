"""queue indexes: the back office's queue reads a page in index order, oldest first, all claims
or one stage's (the stage index becomes (stage, created_at, id), which still serves a lookup or
count by stage)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_claim_stage', table_name='claim')
    op.create_index('ix_claim_stage_created', 'claim', ['stage', 'created_at', 'id'], unique=False)
    op.create_index('ix_claim_created', 'claim', ['created_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_claim_created', table_name='claim')
    op.drop_index('ix_claim_stage_created', table_name='claim')
    op.create_index('ix_claim_stage', 'claim', ['stage'], unique=False)
