"""topics: a token that changes with every mark, comment, withdrawal, hiding or restoring, so
the kept "broad support" ranking of a topic is known to be current without reading its marks

Revision ID: 0030_ranking
Revises: 0029_vote_closed_figures
Create Date: 2026-12-06 22:10:00

``topics.ranking_token`` is a number, random when the topic is made and raised by one in the
same transaction as each change the broad-support ranking reads. The page keeps a topic's
ranking with the token it was computed for and uses it while the topic's token is the same.
Topics made before this revision start at 0.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0030_ranking'
down_revision = '0029_vote_closed_figures'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('topics') as batch:
        batch.add_column(sa.Column('ranking_token', sa.BigInteger(), nullable=False,
                                   server_default='0'))


def downgrade():
    with op.batch_alter_table('topics') as batch:
        batch.drop_column('ranking_token')
