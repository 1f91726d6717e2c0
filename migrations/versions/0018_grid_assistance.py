"""grid assistance: residents' consents to their grid workers, the acts done under them, and
the assisted marker on ballots and comments

Revision ID: 0018_grid_assistance
Revises: 0017_vote_proxies
Create Date: 2026-12-06 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_grid_assistance'
down_revision = '0017_vote_proxies'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'grid_consents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('resident_id', sa.Integer(), nullable=False),
        sa.Column('grid_id', sa.Integer(), nullable=False),
        sa.Column('scope', sa.String(length=20), nullable=False),
        sa.Column('source', sa.String(length=12), nullable=False),
        sa.Column('evidence', sa.Text(), nullable=False),
        sa.Column('starts_at', sa.DateTime(), nullable=False),
        sa.Column('ends_at', sa.DateTime(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.Column('revoked_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('ends_at > starts_at',
                           name=op.f('ck_grid_consents_ends_after_start')),
        sa.ForeignKeyConstraint(['grid_id'], ['grids.id'],
                                name=op.f('fk_grid_consents_grid_id_grids'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'],
                                name=op.f('fk_grid_consents_recorded_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['resident_id'], ['users.id'],
                                name=op.f('fk_grid_consents_resident_id_users'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'],
                                name=op.f('fk_grid_consents_revoked_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_grid_consents')),
    )
    op.create_index('ix_grid_consents_grid_resident', 'grid_consents',
                    ['grid_id', 'resident_id'])
    op.create_index(op.f('ix_grid_consents_resident_id'), 'grid_consents', ['resident_id'])
    op.create_table(
        'grid_assisted_acts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('consent_id', sa.Integer(), nullable=False),
        sa.Column('resident_id', sa.Integer(), nullable=False),
        sa.Column('worker_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('vote_id', sa.Integer(), nullable=True),
        sa.Column('ballot_id', sa.Integer(), nullable=True),
        sa.Column('topic_id', sa.Integer(), nullable=True),
        sa.Column('comment_id', sa.Integer(), nullable=True),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['ballot_id'], ['ballots.id'],
                                name=op.f('fk_grid_assisted_acts_ballot_id_ballots'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['comment_id'], ['comments.id'],
                                name=op.f('fk_grid_assisted_acts_comment_id_comments'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['consent_id'], ['grid_consents.id'],
                                name=op.f('fk_grid_assisted_acts_consent_id_grid_consents'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['resident_id'], ['users.id'],
                                name=op.f('fk_grid_assisted_acts_resident_id_users'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['topic_id'], ['topics.id'],
                                name=op.f('fk_grid_assisted_acts_topic_id_topics'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['vote_id'], ['votes.id'],
                                name=op.f('fk_grid_assisted_acts_vote_id_votes'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['worker_id'], ['users.id'],
                                name=op.f('fk_grid_assisted_acts_worker_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_grid_assisted_acts')),
    )
    op.create_index(op.f('ix_grid_assisted_acts_consent_id'), 'grid_assisted_acts',
                    ['consent_id'])
    op.create_index(op.f('ix_grid_assisted_acts_resident_id'), 'grid_assisted_acts',
                    ['resident_id'])
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assisted_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_ballots_assisted_by_id_users'), 'users',
                                    ['assisted_by_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assisted_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_comments_assisted_by_id_users'), 'users',
                                    ['assisted_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_comments_assisted_by_id_users'),
                                 type_='foreignkey')
        batch_op.drop_column('assisted_by_id')
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_ballots_assisted_by_id_users'),
                                 type_='foreignkey')
        batch_op.drop_column('assisted_by_id')
    op.drop_index(op.f('ix_grid_assisted_acts_resident_id'), table_name='grid_assisted_acts')
    op.drop_index(op.f('ix_grid_assisted_acts_consent_id'), table_name='grid_assisted_acts')
    op.drop_table('grid_assisted_acts')
    op.drop_index(op.f('ix_grid_consents_resident_id'), table_name='grid_consents')
    op.drop_index('ix_grid_consents_grid_resident', table_name='grid_consents')
    op.drop_table('grid_consents')
