"""bulletin numbers: the document number and issuing body a month's bulletin was published with

Revision ID: d696ab8a7479
Revises: e1a5c3b7d9f2
Create Date: 2026-12-05 22:00:00.000000

One row per published month, written with its first publication; months published before this revision
have none (their bulletin shows no number).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd696ab8a7479'
down_revision = 'e1a5c3b7d9f2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'bulletin_number',
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('serial', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=200), nullable=False),
        sa.Column('issuer', sa.String(length=200), nullable=False),
        sa.Column('snapshot_id', sa.Integer(), nullable=False),
        sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['snapshot_id'], ['ranking_snapshot.id'],
                                name=op.f('fk_bulletin_number_snapshot_id_ranking_snapshot')),
        sa.PrimaryKeyConstraint('month', name=op.f('pk_bulletin_number')),
        sa.UniqueConstraint('year', 'serial', name=op.f('uq_bulletin_number_year_serial')),
    )


def downgrade():
    op.drop_table('bulletin_number')
