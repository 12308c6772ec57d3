"""queue indexes carrying the filter columns; status counts kept instead of counted

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 03:10:00

The single-column indexes on status, domain, département and region led the query
planners to read every matching row and sort them (benchmarks/triage.py); both
queue indexes now carry the filter columns after their ordering columns instead.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

STATUSES = (
    "new",
    "in_triage",
    "awaiting_reporter",
    "routed",
    "transmitted_to_prosecutor",
    "closed",
)
FILTER_COLUMNS = [
    "region_code",
    "departement",
    "domain",
    "kind",
    "assigned_to_id",
    "minor_involved",
    "health_risk",
]


def upgrade():
    counts = op.create_table('referral_status_counts',
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('status', name=op.f('pk_referral_status_counts'))
    )
    existing = dict(
        op.get_bind().execute(
            sa.text("SELECT status, count(*) FROM referrals GROUP BY status")
        ).all()
    )
    op.bulk_insert(counts, [{"status": s, "count": existing.get(s, 0)} for s in STATUSES])
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        for name in ('status', 'domain', 'departement', 'region_code'):
            batch_op.drop_index(f'ix_referrals_{name}')
        batch_op.drop_index('ix_referrals_queue')
        batch_op.drop_index('ix_referrals_status_queue')
        batch_op.create_index(
            'ix_referrals_queue', ['urgent', 'created_at', 'id', 'status', *FILTER_COLUMNS]
        )
        batch_op.create_index(
            'ix_referrals_status_queue', ['status', 'urgent', 'created_at', 'id', *FILTER_COLUMNS]
        )


def downgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_referrals_status_queue')
        batch_op.drop_index('ix_referrals_queue')
        batch_op.create_index('ix_referrals_status_queue', ['status', 'urgent', 'created_at', 'id'])
        batch_op.create_index('ix_referrals_queue', ['urgent', 'created_at', 'id'])
        for name in ('region_code', 'departement', 'domain', 'status'):
            batch_op.create_index(f'ix_referrals_{name}', [name])
    op.drop_table('referral_status_counts')
