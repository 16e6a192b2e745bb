"""spot registry: responsible unit, contact, active; indexes for the registry's list

Revision ID: bb2a3bcdfaa5
Revises: 7c41e9a2d5b8
Create Date: 2026-12-05 22:00:00.000000

Existing spots stay as they were: no responsible unit or contact yet, and active.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'bb2a3bcdfaa5'
down_revision = '7c41e9a2d5b8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('spot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('responsible_unit', sa.String(length=100), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('contact', sa.String(length=100), server_default='', nullable=False))
        batch_op.add_column(sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.create_index('ix_spot_spot_type_code', ['spot_type', 'code'], unique=False)
        batch_op.create_index('ix_spot_community_id_code', ['community_id', 'code'], unique=False)
        batch_op.create_index('ix_spot_active_code', ['active', 'code'], unique=False)


def downgrade():
    with op.batch_alter_table('spot', schema=None) as batch_op:
        batch_op.drop_index('ix_spot_active_code')
        batch_op.drop_index('ix_spot_community_id_code')
        batch_op.drop_index('ix_spot_spot_type_code')
        batch_op.drop_column('active')
        batch_op.drop_column('contact')
        batch_op.drop_column('responsible_unit')
