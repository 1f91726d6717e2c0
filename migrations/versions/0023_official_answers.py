"""topics: officials speak in the thread; an official answer marks the topic answered

Revision ID: 0023_official_answers
Revises: 0022_vote_preparing
Create Date: 2026-12-06 16:40:00

A comment gets ``official`` (posted by an office holder as the official answer, 官方回复) and
``author_role`` (the role of its author in the topic's community when it was posted, shown
next to the name; empty for a resident). A topic gets ``answered_at``: when its first official
answer that is still shown was posted (lists show "answered officially" without a join).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023_official_answers'
down_revision = '0022_vote_preparing'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('comments') as batch:
        batch.add_column(sa.Column('official', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column('author_role', sa.String(length=20), nullable=True))
    with op.batch_alter_table('topics') as batch:
        batch.add_column(sa.Column('answered_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('topics') as batch:
        batch.drop_column('answered_at')
    with op.batch_alter_table('comments') as batch:
        batch.drop_column('author_role')
        batch.drop_column('official')
