"""votes: frozen electorates, ballots with receipts, stored results

Revision ID: 0005_votes
Revises: 0004_halls
Create Date: 2026-11-23 12:20:21.607849

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0005_votes'
down_revision = '0004_halls'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('electorate', sa.String(length=12), nullable=False),
    sa.Column('rule', sa.String(length=24), nullable=False),
    sa.Column('quorum_percent', sa.Integer(), nullable=True),
    sa.Column('secret', sa.Boolean(), nullable=False),
    sa.Column('opens_at', sa.DateTime(), nullable=False),
    sa.Column('closes_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('electorate_size', sa.Integer(), nullable=False),
    sa.Column('area_total', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('tallied_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('closes_at > opens_at', name=op.f('ck_votes_closes_after_opening')),
    sa.CheckConstraint('quorum_percent IS NULL OR (quorum_percent > 0 AND quorum_percent <= 100)', name=op.f('ck_votes_quorum_is_a_percentage')),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_votes_building_id_buildings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_votes_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_votes_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_votes_grid_id_grids'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_votes_topic_id_topics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_votes'))
    )
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_votes_topic_id'), ['topic_id'], unique=False)

    op.create_table('vote_electors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('headcount', sa.Integer(), nullable=False),
    sa.Column('area', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('units_label', sa.Text(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['vote_id'], ['votes.id'], name=op.f('fk_vote_electors_vote_id_votes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vote_electors')),
    sa.UniqueConstraint('vote_id', 'key', name=op.f('uq_vote_electors_vote_id_key'))
    )
    op.create_table('ballots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('elector_id', sa.Integer(), nullable=False),
    sa.Column('option', sa.String(length=80), nullable=False),
    sa.Column('cast_at', sa.DateTime(), nullable=False),
    sa.Column('cast_by_id', sa.Integer(), nullable=True),
    sa.Column('tracker', sa.String(length=16), nullable=False),
    sa.Column('counted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['cast_by_id'], ['users.id'], name=op.f('fk_ballots_cast_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['elector_id'], ['vote_electors.id'], name=op.f('fk_ballots_elector_id_vote_electors'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vote_id'], ['votes.id'], name=op.f('fk_ballots_vote_id_votes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballots')),
    sa.UniqueConstraint('tracker', name=op.f('uq_ballots_tracker'))
    )
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.create_index('ix_ballots_vote_counted', ['vote_id', 'counted'], unique=False)
        batch_op.create_index('uq_ballots_one_counted_per_elector', ['vote_id', 'elector_id'], unique=True, sqlite_where=sa.text('counted'), postgresql_where=sa.text('counted'))

    op.create_table('vote_elector_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('elector_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['elector_id'], ['vote_electors.id'], name=op.f('fk_vote_elector_members_elector_id_vote_electors'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_vote_elector_members_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vote_id'], ['votes.id'], name=op.f('fk_vote_elector_members_vote_id_votes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vote_elector_members')),
    sa.UniqueConstraint('elector_id', 'user_id', name=op.f('uq_vote_elector_members_elector_id_user_id'))
    )
    with op.batch_alter_table('vote_elector_members', schema=None) as batch_op:
        batch_op.create_index('ix_vote_elector_members_vote_user', ['vote_id', 'user_id'], unique=False)


def downgrade():
    op.drop_table('vote_elector_members')
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.drop_index('uq_ballots_one_counted_per_elector', sqlite_where=sa.text('counted'), postgresql_where=sa.text('counted'))
        batch_op.drop_index('ix_ballots_vote_counted')
    op.drop_table('ballots')
    op.drop_table('vote_electors')
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_votes_topic_id'))
    op.drop_table('votes')
