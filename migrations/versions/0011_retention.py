"""retention: rules by category of closed case, extensions, the moment of a purge

The defaults are the README's proposals ("Retention"), for the data protection
officer to confirm or change from /bo/admin/conservation.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 17:00:00

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

#: Months after the case ends (README, "Retention": why each).
DEFAULT_MONTHS = {
    'closed_without_follow_up': 6,
    'opinion_answered': 24,
    'report_closed': 60,
    'transmitted_to_prosecutor': 72,
}


def upgrade():
    rules = op.create_table('retention_rules',
    sa.Column('category', sa.String(length=30), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_retention_rules_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('category', name=op.f('pk_retention_rules'))
    )
    now = datetime.now(UTC)
    op.bulk_insert(rules, [
        {'category': category, 'months': months, 'updated_at': now, 'updated_by_id': None}
        for category, months in DEFAULT_MONTHS.items()
    ])
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_until', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_column('purged_at')
        batch_op.drop_column('retention_until')
    op.drop_table('retention_rules')
