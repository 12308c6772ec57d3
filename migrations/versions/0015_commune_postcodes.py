"""official geography: communes and their postcodes (filled by `portal init`)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('commune_postcodes',
    sa.Column('postcode', sa.String(length=5), nullable=False),
    sa.Column('insee', sa.String(length=5), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('departement_code', sa.String(length=3), nullable=False),
    sa.PrimaryKeyConstraint('postcode', 'insee', name=op.f('pk_commune_postcodes'))
    )
    with op.batch_alter_table('commune_postcodes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commune_postcodes_departement_code'), ['departement_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_commune_postcodes_insee'), ['insee'], unique=False)


def downgrade():
    op.drop_table('commune_postcodes')
