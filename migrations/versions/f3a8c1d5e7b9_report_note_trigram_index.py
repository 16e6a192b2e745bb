"""report note trigram index (pg_trgm, GIN) for the lists' word search; SQLite: an empty partial index

Revision ID: f3a8c1d5e7b9
Revises: a7c4e1f9b3d2
Create Date: 2026-12-06 01:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3a8c1d5e7b9'
down_revision = "a7c4e1f9b3d2"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.create_index(
            'ix_report_note_trgm',
            ['note'],
            unique=False,
            postgresql_using='gin',
            postgresql_ops={'note': 'gin_trgm_ops'},
            sqlite_where=sa.text('0'),
        )


def downgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_index('ix_report_note_trgm')
