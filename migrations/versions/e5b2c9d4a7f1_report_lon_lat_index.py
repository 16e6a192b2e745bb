"""report index on (lon, lat) for the map's bounding boxes

Revision ID: e5b2c9d4a7f1
Revises: d1ace7d1b5ad
Create Date: 2026-12-05 20:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e5b2c9d4a7f1'
down_revision = 'd1ace7d1b5ad'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.create_index('ix_report_lon_lat', ['lon', 'lat'], unique=False)


def downgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_index('ix_report_lon_lat')
