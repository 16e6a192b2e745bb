"""report index on (status, id) for the office's queues paged by cursor

Revision ID: 7c41e9a2d5b8
Revises: c8430cd04ec4
Create Date: 2026-12-05 22:45:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7c41e9a2d5b8'
down_revision = "c8430cd04ec4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.create_index('ix_report_status_id', ['status', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_index('ix_report_status_id')
