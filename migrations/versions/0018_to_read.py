"""to read: a reporter's answer, a partner's note or decision marks the case until
staff open it; the queue indexes carry the mark

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 20:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

FILTER_COLUMNS = [
    "region_code",
    "departement",
    "domain",
    "kind",
    "assigned_to_id",
    "minor_involved",
    "health_risk",
]
SHOWN_COLUMNS = ["public_id", "returned"]


def _recreate(shown):
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_referrals_queue')
        batch_op.drop_index('ix_referrals_status_queue')
        batch_op.create_index(
            'ix_referrals_queue', ['urgent', 'created_at', 'id', 'status', *FILTER_COLUMNS, *shown]
        )
        batch_op.create_index(
            'ix_referrals_status_queue',
            ['status', 'urgent', 'created_at', 'id', *FILTER_COLUMNS, *shown],
        )


def upgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('to_read_since', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            'ix_referrals_to_read', ['to_read_since', 'assigned_to_id'], unique=False
        )
    _recreate([*SHOWN_COLUMNS, "to_read_since"])


def downgrade():
    _recreate(SHOWN_COLUMNS)
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_referrals_to_read')
        batch_op.drop_column('to_read_since')
