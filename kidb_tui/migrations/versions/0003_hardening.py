"""hardening: one participant per NIK; throttle keys long enough for terminal ids

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

import sqlmodel.sql.sqltypes
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_participant_nik', 'participant', ['nik'], unique=True)
    with op.batch_alter_table('login_throttle') as batch:
        batch.alter_column('key', existing_type=sqlmodel.sql.sqltypes.AutoString(length=40),
                           type_=sqlmodel.sql.sqltypes.AutoString(length=80), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('login_throttle') as batch:
        batch.alter_column('key', existing_type=sqlmodel.sql.sqltypes.AutoString(length=80),
                           type_=sqlmodel.sql.sqltypes.AutoString(length=40), existing_nullable=False)
    op.drop_index('ix_participant_nik', table_name='participant')
