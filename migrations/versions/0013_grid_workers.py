"""grid workers: a role grant may name a grid (网格员 are granted per grid)

Revision ID: 0013_grid_workers
Revises: 0012_vote_notice
Create Date: 2026-12-06 13:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_grid_workers'
down_revision = '0012_vote_notice'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('role_grants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('grid_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_role_grants_grid_id_grids'), 'grids',
                                    ['grid_id'], ['id'], ondelete='CASCADE')
        batch_op.drop_constraint('uq_role_grants_user_id_community_id_role', type_='unique')
        batch_op.create_index('uq_role_grants_community_role',
                              ['user_id', 'community_id', 'role'], unique=True,
                              sqlite_where=sa.text('grid_id IS NULL'),
                              postgresql_where=sa.text('grid_id IS NULL'))
        batch_op.create_index('uq_role_grants_grid_role', ['user_id', 'grid_id', 'role'],
                              unique=True, sqlite_where=sa.text('grid_id IS NOT NULL'),
                              postgresql_where=sa.text('grid_id IS NOT NULL'))


def downgrade():
    op.execute("DELETE FROM role_grants WHERE grid_id IS NOT NULL")
    with op.batch_alter_table('role_grants', schema=None) as batch_op:
        batch_op.drop_index('uq_role_grants_grid_role')
        batch_op.drop_index('uq_role_grants_community_role')
        batch_op.create_unique_constraint('uq_role_grants_user_id_community_id_role',
                                          ['user_id', 'community_id', 'role'])
        batch_op.drop_constraint(batch_op.f('fk_role_grants_grid_id_grids'), type_='foreignkey')
        batch_op.drop_column('grid_id')
