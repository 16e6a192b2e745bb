"""visit index on (inspector_id, observed_at, id) for the inspector's visits, paged by cursor

Revision ID: a7c4e1f9b3d2
Revises: 7479a6cca925
Create Date: 2026-12-06 01:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a7c4e1f9b3d2'
down_revision = '7479a6cca925'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index('ix_visit_inspector_observed', ['inspector_id', 'observed_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_inspector_observed')
