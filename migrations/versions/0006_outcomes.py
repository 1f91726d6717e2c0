"""outcomes: publicised outcomes, objections, implementation progress, satisfaction ratings

Revision ID: 0006_outcomes
Revises: 0005_votes
Create Date: 2026-11-23 12:46:52.387693

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_outcomes'
down_revision = '0005_votes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outcomes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('vote_id', sa.Integer(), nullable=True),
    sa.Column('decision', sa.Text(), nullable=False),
    sa.Column('act', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('window_ends_at', sa.DateTime(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('settled_at', sa.DateTime(), nullable=True),
    sa.Column('responsible', sa.String(length=200), nullable=False),
    sa.Column('target_date', sa.Date(), nullable=True),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.Column('ratings_until', sa.DateTime(), nullable=True),
    sa.CheckConstraint('window_ends_at > published_at', name=op.f('ck_outcomes_window_after_publication')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_outcomes_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_outcomes_published_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_outcomes_topic_id_topics'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vote_id'], ['votes.id'], name=op.f('fk_outcomes_vote_id_votes'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcomes'))
    )
    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        batch_op.create_index('ix_outcomes_community_published', ['community_id', 'published_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outcomes_topic_id'), ['topic_id'], unique=False)

    op.create_table('outcome_objections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('outcome_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('upheld', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_outcome_objections_answered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_outcome_objections_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['outcome_id'], ['outcomes.id'], name=op.f('fk_outcome_objections_outcome_id_outcomes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_objections'))
    )
    with op.batch_alter_table('outcome_objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_objections_outcome_id'), ['outcome_id'], unique=False)

    op.create_table('outcome_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('outcome_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('percent', sa.SmallInteger(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('percent >= 0 AND percent <= 100', name=op.f('ck_outcome_progress_percent_range')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_outcome_progress_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['outcome_id'], ['outcomes.id'], name=op.f('fk_outcome_progress_outcome_id_outcomes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_progress'))
    )
    with op.batch_alter_table('outcome_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_progress_outcome_id'), ['outcome_id'], unique=False)

    op.create_table('outcome_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('outcome_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('stars', sa.SmallInteger(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('stars >= 1 AND stars <= 5', name=op.f('ck_outcome_ratings_stars_range')),
    sa.ForeignKeyConstraint(['outcome_id'], ['outcomes.id'], name=op.f('fk_outcome_ratings_outcome_id_outcomes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_outcome_ratings_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_ratings')),
    sa.UniqueConstraint('outcome_id', 'user_id', name=op.f('uq_outcome_ratings_outcome_id_user_id'))
    )


def downgrade():
    op.drop_table('outcome_ratings')
    with op.batch_alter_table('outcome_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_progress_outcome_id'))

    op.drop_table('outcome_progress')
    with op.batch_alter_table('outcome_objections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_objections_outcome_id'))

    op.drop_table('outcome_objections')
    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcomes_topic_id'))
        batch_op.drop_index('ix_outcomes_community_published')

    op.drop_table('outcomes')
