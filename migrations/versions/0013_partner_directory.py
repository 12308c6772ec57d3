"""partner directory: kind, contact details, listing, activity, verification, approval

Existing entries are associations, listed and active; an entry already marked
verified keeps its flag without a date or a name (nobody recorded them).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 18:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('associations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=30), nullable=False, server_default='association'))
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('address', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('opening_hours', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('listed', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('verified_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('approval_status', sa.String(length=20), nullable=False, server_default='none'))
        batch_op.add_column(sa.Column('approval_granted_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('approval_expires_on', sa.Date(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_associations_verified_by_id_users'), 'users', ['verified_by_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('associations', schema=None) as batch_op:
        for column in ('kind', 'email', 'address', 'opening_hours', 'listed', 'active', 'approval_status'):
            batch_op.alter_column(column, server_default=None)


def downgrade():
    with op.batch_alter_table('associations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_associations_verified_by_id_users'), type_='foreignkey')
        for column in ('approval_expires_on', 'approval_granted_on', 'approval_status', 'verified_by_id',
                       'verified_at', 'active', 'listed', 'opening_hours', 'address', 'email', 'kind'):
            batch_op.drop_column(column)
