"""the changes seen in each status, which key the triage queue's kept pages

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 19:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('referral_status_counts', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('changes', sa.BigInteger(), server_default='0', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('referral_status_counts', schema=None) as batch_op:
        batch_op.drop_column('changes')
