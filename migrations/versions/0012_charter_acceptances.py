"""charter acceptances: which version of the confidentiality charter each member accepted

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 17:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('charter_acceptances',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=20), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_charter_acceptances_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'version', name=op.f('pk_charter_acceptances'))
    )


def downgrade():
    op.drop_table('charter_acceptances')
