"""deadlines: what a case waits for and by which day; reminders of late answers and
the staff's daily digest (filled for open cases by `portal init`)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 20:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
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
SHOWN_COLUMNS = ["public_id", "returned", "to_read_since"]


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
    op.create_table('staff_digests',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_staff_digests'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('due_kind', sa.String(length=20), nullable=True))
    with op.batch_alter_table('routings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accept_due', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('reminded_on', sa.Date(), nullable=True))
    _recreate([*SHOWN_COLUMNS, "due_on"])


def downgrade():
    _recreate(SHOWN_COLUMNS)
    with op.batch_alter_table('routings', schema=None) as batch_op:
        batch_op.drop_column('reminded_on')
        batch_op.drop_column('accept_due')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_column('due_kind')
        batch_op.drop_column('due_on')
    op.drop_table('staff_digests')
