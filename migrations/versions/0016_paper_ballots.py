"""paper ballots (书面表决票): printed papers with serials, and their double entry

Revision ID: 0016_paper_ballots
Revises: 0014_ballot_channel
Create Date: 2026-12-06 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_paper_ballots'
down_revision = '0014_ballot_channel'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'paper_ballots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('vote_id', sa.Integer(), nullable=False),
        sa.Column('elector_id', sa.Integer(), nullable=False),
        sa.Column('serial', sa.String(length=16), nullable=False),
        sa.Column('printed_at', sa.DateTime(), nullable=False),
        sa.Column('printed_by_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('ballot_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['ballot_id'], ['ballots.id'],
                                name=op.f('fk_paper_ballots_ballot_id_ballots'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['elector_id'], ['vote_electors.id'],
                                name=op.f('fk_paper_ballots_elector_id_vote_electors'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['printed_by_id'], ['users.id'],
                                name=op.f('fk_paper_ballots_printed_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['vote_id'], ['votes.id'],
                                name=op.f('fk_paper_ballots_vote_id_votes'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_ballots')),
        sa.UniqueConstraint('serial', name=op.f('uq_paper_ballots_serial')),
        sa.UniqueConstraint('vote_id', 'elector_id',
                            name=op.f('uq_paper_ballots_vote_id_elector_id')),
    )
    op.create_index('ix_paper_ballots_vote_status', 'paper_ballots', ['vote_id', 'status'])
    op.create_table(
        'paper_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('paper_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('option', sa.String(length=80), nullable=True),
        sa.Column('entered_by_id', sa.Integer(), nullable=True),
        sa.Column('entered_at', sa.DateTime(), nullable=False),
        sa.Column('photo', sa.String(length=64), nullable=True),
        sa.Column('photo_type', sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'],
                                name=op.f('fk_paper_entries_entered_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['paper_id'], ['paper_ballots.id'],
                                name=op.f('fk_paper_entries_paper_id_paper_ballots'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_entries')),
        sa.UniqueConstraint('paper_id', 'kind', name=op.f('uq_paper_entries_paper_id_kind')),
    )


def downgrade():
    op.drop_table('paper_entries')
    op.drop_index('ix_paper_ballots_vote_status', table_name='paper_ballots')
    op.drop_table('paper_ballots')
