"""vote proxies (委托投票): authorisations, and the authorisation a proxy ballot was cast under

Revision ID: 0017_vote_proxies
Revises: 0016_paper_ballots
Create Date: 2026-12-06 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_vote_proxies'
down_revision = '0016_paper_ballots'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'vote_proxies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('vote_id', sa.Integer(), nullable=False),
        sa.Column('elector_id', sa.Integer(), nullable=False),
        sa.Column('granted_by_id', sa.Integer(), nullable=True),
        sa.Column('proxy_name', sa.String(length=60), nullable=False),
        sa.Column('proxy_phone', sa.String(length=20), nullable=False),
        sa.Column('proxy_user_id', sa.Integer(), nullable=True),
        sa.Column('channel', sa.String(length=8), nullable=False),
        sa.Column('reference', sa.String(length=60), nullable=False),
        sa.Column('scan_path', sa.String(length=200), nullable=True),
        sa.Column('scan_type', sa.String(length=40), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('accepted_at', sa.DateTime(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.Column('revoked_by_id', sa.Integer(), nullable=True),
        sa.Column('revoked_reason', sa.String(length=12), nullable=True),
        sa.ForeignKeyConstraint(['vote_id'], ['votes.id'],
                                name=op.f('fk_vote_proxies_vote_id_votes'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['elector_id'], ['vote_electors.id'],
                                name=op.f('fk_vote_proxies_elector_id_vote_electors'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['granted_by_id'], ['users.id'],
                                name=op.f('fk_vote_proxies_granted_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['proxy_user_id'], ['users.id'],
                                name=op.f('fk_vote_proxies_proxy_user_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_vote_proxies_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'],
                                name=op.f('fk_vote_proxies_revoked_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_vote_proxies')),
    )
    op.create_index('uq_vote_proxies_one_live_per_elector', 'vote_proxies', ['elector_id'],
                    unique=True, sqlite_where=sa.text('revoked_at IS NULL'),
                    postgresql_where=sa.text('revoked_at IS NULL'))
    op.create_index('ix_vote_proxies_vote_phone', 'vote_proxies', ['vote_id', 'proxy_phone'])
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('proxy_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_ballots_proxy_id_vote_proxies'),
                                    'vote_proxies', ['proxy_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_ballots_proxy_id_vote_proxies'),
                                 type_='foreignkey')
        batch_op.drop_column('proxy_id')
    op.drop_index('ix_vote_proxies_vote_phone', table_name='vote_proxies')
    op.drop_index('uq_vote_proxies_one_live_per_elector', table_name='vote_proxies')
    op.drop_table('vote_proxies')
