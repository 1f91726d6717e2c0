"""vote notice: per-community notice and length of owners' votes, announcement and
cancellation of votes

Revision ID: 0012_vote_notice
Revises: 0011_activation_codes
Create Date: 2026-12-06 13:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_vote_notice'
down_revision = '0011_activation_codes'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN only (no batch copy): on SQLite a batch rebuild drops and re-creates the
    # votes table, and with foreign keys on, dropping it would cascade to its electors and
    # ballots.
    op.add_column('communities', sa.Column('vote_notice_days', sa.Integer(), nullable=False,
                                           server_default='15'))
    op.add_column('communities', sa.Column('vote_min_open_days', sa.Integer(), nullable=False,
                                           server_default='7'))
    # Votes made before this revision were announced when they were created. (SQLite adds a
    # NOT NULL column only with a constant default; the application always gives the value.)
    op.add_column('votes', sa.Column('announced_at', sa.DateTime(), nullable=False,
                                     server_default='1970-01-01 00:00:00'))
    op.execute("UPDATE votes SET announced_at = created_at")
    if op.get_bind().dialect.name != 'sqlite':
        op.alter_column('votes', 'announced_at', server_default=None)
    # Votes made before were told at their creation (or never will be): none is told again.
    op.add_column('votes', sa.Column('opening_told_at', sa.DateTime(), nullable=True))
    op.execute("UPDATE votes SET opening_told_at = created_at")
    op.add_column('votes', sa.Column('notice_days', sa.Integer(), nullable=True))
    op.add_column('votes', sa.Column('min_open_days', sa.Integer(), nullable=True))
    op.add_column('votes', sa.Column('cancelled_at', sa.DateTime(), nullable=True))
    op.add_column('votes', sa.Column('cancel_reason', sa.Text(), nullable=True))
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite adds a column with its foreign key in place (alembic would want a batch copy).
        op.execute("ALTER TABLE votes ADD COLUMN cancelled_by_id INTEGER "
                   "CONSTRAINT fk_votes_cancelled_by_id_users REFERENCES users (id) "
                   "ON DELETE SET NULL")
    else:
        op.add_column('votes', sa.Column('cancelled_by_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_votes_cancelled_by_id_users'), 'votes', 'users',
                              ['cancelled_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    # SQLite 3.35+ drops a plain column in place, as PostgreSQL does; the foreign key goes
    # with its column on SQLite, and first on PostgreSQL.
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f('fk_votes_cancelled_by_id_users'), 'votes', type_='foreignkey')
    op.drop_column('votes', 'cancelled_by_id')
    op.drop_column('votes', 'cancel_reason')
    op.drop_column('votes', 'cancelled_at')
    op.drop_column('votes', 'min_open_days')
    op.drop_column('votes', 'notice_days')
    op.drop_column('votes', 'opening_told_at')
    op.drop_column('votes', 'announced_at')
    op.drop_column('communities', 'vote_min_open_days')
    op.drop_column('communities', 'vote_notice_days')
