"""ranking snapshot summary and facts digest

Revision ID: b8e2f4c6a1d3
Revises: a766bec2557f
Create Date: 2026-11-28 00:45:00.000000

A snapshot keeps, beside its whole document, the document without breakdowns and the digest of what its
breakdowns are built from, so that a GET of a published month need not parse tens of megabytes. Both are
NULL on snapshots published before: those are read from the document as before.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8e2f4c6a1d3'
down_revision = 'a766bec2557f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ranking_snapshot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('summary', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('facts_sha256', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('ranking_snapshot', schema=None) as batch_op:
        batch_op.drop_column('facts_sha256')
        batch_op.drop_column('summary')
