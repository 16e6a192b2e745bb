"""workflow: dispatch, rectification, closing, appeal and suspension fields

Revision ID: 3c9b643b4d80
Revises: fd6d9d4aaeea
Create Date: 2026-11-27 18:09:38.554714

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c9b643b4d80'
down_revision = 'fd6d9d4aaeea'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('rectified_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('appeal_from', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('suspension_requested', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('planned_date', sa.Date(), nullable=True))
        batch_op.create_index('ix_report_community_due', ['community_id', 'due_at'], unique=False)
    # Reports filed before this revision were dispatched on arrival.
    op.execute("UPDATE report SET dispatched_at = received_at WHERE status <> 'reported'")


def downgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_index('ix_report_community_due')
        batch_op.drop_column('planned_date')
        batch_op.drop_column('suspension_requested')
        batch_op.drop_column('appeal_from')
        batch_op.drop_column('closed_at')
        batch_op.drop_column('rectified_at')
        batch_op.drop_column('dispatched_at')

