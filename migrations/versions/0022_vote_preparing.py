"""votes: the electorate is frozen by a background job; the vote is "preparing" until then

Revision ID: 0022_vote_preparing
Revises: 0021_messages
Create Date: 2026-12-06 16:30:00

A vote gets ``electorate_ready_at`` (null while its electorate is being frozen), the progress of
that work (``electorate_prepared`` of ``electorate_expected``: homes for owners and households,
people for residents) and ``electorate_run``, the freeze run that owns the work. Votes that exist
already were frozen when they were opened: they are ready since their announcement.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022_vote_preparing'
down_revision = '0021_messages'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('votes') as batch:
        batch.add_column(sa.Column('electorate_ready_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('electorate_expected', sa.Integer(), nullable=False,
                                   server_default='0'))
        batch.add_column(sa.Column('electorate_prepared', sa.Integer(), nullable=False,
                                   server_default='0'))
        batch.add_column(sa.Column('electorate_run', sa.String(length=16), nullable=True))
    op.execute("UPDATE votes SET electorate_ready_at = announced_at")


def downgrade():
    with op.batch_alter_table('votes') as batch:
        batch.drop_column('electorate_run')
        batch.drop_column('electorate_prepared')
        batch.drop_column('electorate_expected')
        batch.drop_column('electorate_ready_at')
