"""notify_mark (reminders and digests told once) and an index for the failed deliveries

Revision ID: c8430cd04ec4
Revises: b7e41c9a2d05
Create Date: 2026-12-05 22:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c8430cd04ec4'
down_revision = 'b7e41c9a2d05'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notify_mark',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], name=op.f('fk_notify_mark_report_id_report'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_mark')),
    sa.UniqueConstraint('kind', 'key', name=op.f('uq_notify_mark_kind_key'))
    )
    with op.batch_alter_table('notify_mark', schema=None) as batch_op:
        batch_op.create_index('ix_notify_mark_report', ['report_id', 'kind', 'due_at'], unique=False)
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.create_index('ix_delivery_failed', ['failed_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_failed')
    with op.batch_alter_table('notify_mark', schema=None) as batch_op:
        batch_op.drop_index('ix_notify_mark_report')
    op.drop_table('notify_mark')
