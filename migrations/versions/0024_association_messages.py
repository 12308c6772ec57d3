"""conversation: messages between the reporter and an association; its "to read" mark

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 00:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('association_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_messages_association_id_associations'), 'associations',
            ['association_id'], ['id'], ondelete='RESTRICT',
        )
    with op.batch_alter_table('routings', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('to_read_since', sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table('routings', schema=None) as batch_op:
        batch_op.drop_column('to_read_since')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_messages_association_id_associations'), type_='foreignkey'
        )
        batch_op.drop_column('association_id')
