"""statistics tallies: per-day and per-month counts of what the statistics count

The table starts empty; `portal init` (run at every upgrade) fills it from the rows
with `portal.statistics.tallies.rebuild`, as `portal statistics rebuild` does: a
migration never imports application code.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 16:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('statistics_tallies',
    sa.Column('grain', sa.String(length=5), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('dimension', sa.String(length=32), nullable=False),
    sa.Column('association_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.String(length=40), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('grain', 'start', 'dimension', 'association_id', 'value', name=op.f('pk_statistics_tallies'))
    )


def downgrade():
    op.drop_table('statistics_tallies')
