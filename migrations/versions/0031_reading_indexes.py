"""indexes for reading a person's data: their reactions by time, ballots by elector

Revision ID: 0031_reading_indexes
Revises: 0030_ranking
Create Date: 2026-12-07 00:05:00

"My data" read a person's comment reactions and ballots by scanning whole tables (408,000
reactions in the benchmark world: 420 of its 590 ms of SQL). ``comment_reactions (user_id, at)``
serves the first, ``ballots (elector_id)`` the join from a person's electors to their ballots
(also the turnout by building counted when a vote is tallied).
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0031_reading_indexes'
down_revision = '0030_ranking'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_comment_reactions_user_at', 'comment_reactions', ['user_id', 'at'])
    op.create_index('ix_ballots_elector', 'ballots', ['elector_id'])


def downgrade():
    op.drop_index('ix_ballots_elector', table_name='ballots')
    op.drop_index('ix_comment_reactions_user_at', table_name='comment_reactions')
