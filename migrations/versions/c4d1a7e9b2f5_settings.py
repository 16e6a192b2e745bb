"""settings: run-time settings the office changes (key -> JSON value)

Revision ID: c4d1a7e9b2f5
Revises: b8e2f4c6a1d3
Create Date: 2026-12-05 18:00:00.000000

The first settings say whether community and sub-district staff see who inspected and the photos' EXIF
(unannounced inspection); a key without a row has its default (fieldcheck/settings.py).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4d1a7e9b2f5'
down_revision = 'b8e2f4c6a1d3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'setting',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('value', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_setting_updated_by_id_user')),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_setting')),
    )


def downgrade():
    op.drop_table('setting')
