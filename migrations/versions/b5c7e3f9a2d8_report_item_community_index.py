"""report index (item_id, community_id) in place of (item_id): item and category filters within a scope

Revision ID: b5c7e3f9a2d8
Revises: a9d4e2b7c6f1
Create Date: 2026-12-06 01:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b5c7e3f9a2d8'
down_revision = 'a9d4e2b7c6f1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.create_index('ix_report_item_community', ['item_id', 'community_id'], unique=False)
        batch_op.drop_index('ix_report_item_id')


def downgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.create_index('ix_report_item_id', ['item_id'], unique=False)
        batch_op.drop_index('ix_report_item_community')
