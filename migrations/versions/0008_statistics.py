"""statistics: moments of first action, closing and answer; month in Paris time

Also an index a period's figures are read from, and one on art. 40 dates.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 13:30:00

Before this revision the portal kept no time of a referral's first staff action, of
its closing, or of an association's answer: they are set from ``updated_at`` where
the status says the event happened (the last change is the best time known), and
left empty where it cannot be known (when a closed routing was accepted).

``month`` was the month in UTC; it is now the month in Paris time, so a year's total
and its months agree. Only a row received in the last hours of a UTC month can
change.
"""
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

PARIS = ZoneInfo("Europe/Paris")
STATISTICS_COLUMNS = [
    "kind",
    "domain",
    "reporter_role",
    "minor_involved",
    "health_risk",
    "urgent",
    "status",
    "closing_reason",
    "region_code",
    "departement",
    "first_action_at",
    "closed_at",
]


def _aware(moment):
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _months(zone):
    """Recompute the month of rows received on the last day of a UTC month, where
    the month in ``zone`` may differ (France is ahead of UTC, never behind)."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, created_at, month FROM referrals WHERE "
                + ("CAST(strftime('%d', created_at) AS INTEGER) >= 28"
                   if bind.dialect.name == "sqlite"
                   else "EXTRACT(DAY FROM created_at AT TIME ZONE 'UTC') >= 28"))
    ).all()
    for referral_id, created_at, month in rows:
        moment = _aware(created_at)
        wanted = f"{moment.astimezone(zone):%Y-%m}"
        if wanted != month:
            bind.execute(
                sa.text("UPDATE referrals SET month = :month WHERE id = :id"),
                {"month": wanted, "id": referral_id},
            )


def upgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_action_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_index('ix_referrals_month')
        batch_op.create_index(
            'ix_referrals_prosecutor_date', ['prosecutor_date'], unique=False
        )
    with op.batch_alter_table('routings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            'ix_routings_statistics',
            ['created_at', 'association_id', 'status', 'responded_at', 'closed_at'],
            unique=False,
        )
    op.execute("UPDATE referrals SET first_action_at = updated_at WHERE status <> 'new'")
    op.execute("UPDATE referrals SET closed_at = updated_at WHERE status = 'closed'")
    op.execute(
        "UPDATE routings SET responded_at = updated_at WHERE status IN ('accepted', 'declined')"
    )
    op.execute("UPDATE routings SET closed_at = updated_at WHERE status = 'closed'")
    _months(PARIS)
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(
            'ix_referrals_statistics', ['month', 'created_at', *STATISTICS_COLUMNS], unique=False
        )


def downgrade():
    _months(UTC)
    with op.batch_alter_table('routings', schema=None) as batch_op:
        batch_op.drop_index('ix_routings_statistics')
        batch_op.drop_column('closed_at')
        batch_op.drop_column('responded_at')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_referrals_statistics')
        batch_op.drop_index('ix_referrals_prosecutor_date')
        batch_op.create_index('ix_referrals_month', ['month'], unique=False)
        batch_op.drop_column('closed_at')
        batch_op.drop_column('first_action_at')
