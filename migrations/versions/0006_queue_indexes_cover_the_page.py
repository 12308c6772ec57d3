"""queue indexes carry the listed columns too: a page is read from an index alone

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 13:40:00

The queue showed public_id and returned from the rows themselves: 51 lookups by
primary key into rows that hold their ciphertext, 40 % of a page's database time
at a million referrals. Both queue indexes now end with those two columns.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
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


def _recreate(extra):
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_referrals_queue')
        batch_op.drop_index('ix_referrals_status_queue')
        batch_op.create_index(
            'ix_referrals_queue', ['urgent', 'created_at', 'id', 'status', *FILTER_COLUMNS, *extra]
        )
        batch_op.create_index(
            'ix_referrals_status_queue',
            ['status', 'urgent', 'created_at', 'id', *FILTER_COLUMNS, *extra],
        )


def upgrade():
    _recreate(SHOWN_COLUMNS)


def downgrade():
    _recreate([])
