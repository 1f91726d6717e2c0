"""topics: the "broad support" ranking stored by a job, for a worker that has none kept yet

Revision ID: 0034_topic_rankings
Revises: 0033_member_elector_key
Create Date: 2026-12-07 09:30:00

Each app worker keeps the rankings it computed; a worker that has none for a topic (just
started, or the topic dropped from its 64) ranked it afresh on its first read: 0.26 s at 1,000
comments and 1.3 s at 5,000 on the benchmark machine. A job (``topics.rank``) now stores the
ranking of a topic with many comments after its marks change, and such a worker reads it in
one query.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0034_topic_rankings'
down_revision = '0033_member_elector_key'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'topic_rankings',
        sa.Column('topic_id', sa.Integer(), nullable=False),
        sa.Column('token', sa.BigInteger(), nullable=False),
        sa.Column('groups', sa.Integer(), nullable=False),
        sa.Column('tops', sa.LargeBinary(), nullable=False),
        sa.Column('ids', sa.LargeBinary(), nullable=False),
        sa.Column('counts', sa.LargeBinary(), nullable=False),
        sa.Column('ranked_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['topic_id'], ['topics.id'],
                                name=op.f('fk_topic_rankings_topic_id_topics'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('topic_id', name=op.f('pk_topic_rankings')),
    )


def downgrade():
    op.drop_table('topic_rankings')
