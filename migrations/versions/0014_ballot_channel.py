"""ballot channel: how a ballot reached the count (online, paper, proxy)

Revision ID: 0014_ballot_channel
Revises: 0013_grid_workers
Create Date: 2026-12-06 13:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_ballot_channel'
down_revision = '0013_grid_workers'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=8), nullable=False,
                                      server_default='online'))


def downgrade():
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.drop_column('channel')
