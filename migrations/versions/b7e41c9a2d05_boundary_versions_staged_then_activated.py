"""boundary versions: uploaded inactive with their features, then activated

Revision ID: b7e41c9a2d05
Revises: d696ab8a7479
Create Date: 2026-12-05 22:00:00.000000

``boundary_version.features`` keeps an upload's checked FeatureCollection until (and after) it is
activated; ``activated_at`` says when it was last put in force (the version activated last is in
force). Every existing version was in force when it was imported: each gets its import time.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e41c9a2d05'
down_revision = 'd696ab8a7479'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('boundary_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('features', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_boundary_version_activated_at_id', ['activated_at', 'id'], unique=False)
    op.execute('UPDATE boundary_version SET activated_at = created_at')


def downgrade():
    with op.batch_alter_table('boundary_version', schema=None) as batch_op:
        batch_op.drop_index('ix_boundary_version_activated_at_id')
        batch_op.drop_column('activated_at')
        batch_op.drop_column('features')
