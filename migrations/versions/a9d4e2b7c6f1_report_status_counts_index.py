"""report index (status, community_id, due_at, id, suspension_requested, item_id): open items and counts from the index

Revision ID: a9d4e2b7c6f1
Revises: f3a8c1d5e7b9
Create Date: 2026-12-06 01:20:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a9d4e2b7c6f1'
down_revision = 'f3a8c1d5e7b9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.create_index(
            'ix_report_status_counts',
            ['status', 'community_id', 'due_at', 'id', 'suspension_requested', 'item_id'],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_index('ix_report_status_counts')
