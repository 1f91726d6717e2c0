"""vote notice: per-community notice and length of owners' votes, announcement and
cancellation of votes

Revision ID: 0012_vote_notice
Revises: 0010_registration_codes
Create Date: 2026-12-06 13:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_vote_notice'
down_revision = '0010_registration_codes'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (no batch copy): SQLite must not rebuild tables others reference.
    op.add_column('communities', sa.Column('vote_notice_days', sa.Integer(), nullable=False,
                                           server_default='15'))
    op.add_column('communities', sa.Column('vote_min_open_days', sa.Integer(), nullable=False,
                                           server_default='7'))
    # Votes made before this revision were announced when they were created.
    op.add_column('votes', sa.Column('announced_at', sa.DateTime(), nullable=True))
    op.execute("UPDATE votes SET announced_at = created_at")
    # Votes made before were told at their creation, or not at all: none is told again.
    op.add_column('votes', sa.Column('opening_told_at', sa.DateTime(), nullable=True))
    op.execute("UPDATE votes SET opening_told_at = created_at")
    op.add_column('votes', sa.Column('notice_days', sa.Integer(), nullable=True))
    op.add_column('votes', sa.Column('min_open_days', sa.Integer(), nullable=True))
    op.add_column('votes', sa.Column('cancelled_at', sa.DateTime(), nullable=True))
    op.add_column('votes', sa.Column('cancel_reason', sa.Text(), nullable=True))
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.alter_column('announced_at', existing_type=sa.DateTime(), nullable=False)
        batch_op.add_column(sa.Column('cancelled_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_votes_cancelled_by_id_users'), 'users',
                                    ['cancelled_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_votes_cancelled_by_id_users'),
                                 type_='foreignkey')
        batch_op.drop_column('cancelled_by_id')
    op.drop_column('votes', 'cancel_reason')
    op.drop_column('votes', 'cancelled_at')
    op.drop_column('votes', 'min_open_days')
    op.drop_column('votes', 'notice_days')
    op.drop_column('votes', 'opening_told_at')
    op.drop_column('votes', 'announced_at')
    op.drop_column('communities', 'vote_min_open_days')
    op.drop_column('communities', 'vote_notice_days')
