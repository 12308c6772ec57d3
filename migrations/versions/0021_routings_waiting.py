"""routings still waiting for an answer, by their own index

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 20:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('routings', schema=None) as batch_op:
        batch_op.create_index('ix_routings_waiting', ['status', 'referral_id'], unique=False)


def downgrade():
    with op.batch_alter_table('routings', schema=None) as batch_op:
        batch_op.drop_index('ix_routings_waiting')
