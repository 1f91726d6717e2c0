"""votes: what a closed vote's page shows besides the result, stored when it is tallied

Revision ID: 0029_vote_closed_figures
Revises: 0028_data_exports
Create Date: 2026-12-06 22:10:00

``votes.closed_figures`` (JSON): turnout, counted ballots, ballots by channel and turnout by
building, stored with the result when the vote is tallied (nothing of them changes afterwards),
so that its page and API read them instead of counting 80,000 ballots on every view. Votes
tallied before this revision are filled in by the next ``flask vote close`` (the cron), never by
a page; until then their pages count as before.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0029_vote_closed_figures'
down_revision = '0028_data_exports'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('votes') as batch:
        batch.add_column(sa.Column('closed_figures', sa.JSON(none_as_null=True), nullable=True))


def downgrade():
    with op.batch_alter_table('votes') as batch:
        batch.drop_column('closed_figures')
