"""reasons that can be counted: why an association declined, what came of a case, linked referrals

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 19:37:34

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('referral_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('other_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['other_id'], ['referrals.id'], name=op.f('fk_referral_links_other_id_referrals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_links_referral_id_referrals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_links')),
    sa.UniqueConstraint('referral_id', 'other_id', name=op.f('uq_referral_links_referral_id'))
    )
    with op.batch_alter_table('referral_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_links_other_id'), ['other_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_links_referral_id'), ['referral_id'], unique=False)

    with op.batch_alter_table('routings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decline_reason', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('outcome', sa.String(length=30), nullable=True))



def downgrade():
    with op.batch_alter_table('routings', schema=None) as batch_op:
        batch_op.drop_column('outcome')
        batch_op.drop_column('decline_reason')

    with op.batch_alter_table('referral_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_links_referral_id'))
        batch_op.drop_index(batch_op.f('ix_referral_links_other_id'))

    op.drop_table('referral_links')
