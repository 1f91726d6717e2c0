"""votes: a member's elector and vote in one foreign key, checked once per row

Revision ID: 0033_member_elector_key
Revises: 0032_topics_stage_index
Create Date: 2026-12-07 09:10:00

Freezing an electorate of 100,000 owners on PostgreSQL spent about 1 of its 2.1 s in the
per-row checks of foreign keys, four per owner: the elector's vote, and the member's elector,
vote and person. The member's vote is always its elector's, so the two checks become one key
``(elector_id, vote_id)`` referring to ``vote_electors (id, vote_id)``, which also makes sure
the two agree. Deleting a vote still deletes its electors and so their members.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0033_member_elector_key'
down_revision = '0032_topics_stage_index'
branch_labels = None
depends_on = None


def upgrade():
    # A unique index (not a constraint): SQLite adds it without copying the table, which the
    # ballots, proxies and members refer to.
    op.create_index('uq_vote_electors_id_vote_id', 'vote_electors', ['id', 'vote_id'],
                    unique=True)
    with op.batch_alter_table('vote_elector_members') as batch:
        batch.drop_constraint('fk_vote_elector_members_elector_id_vote_electors',
                              type_='foreignkey')
        batch.drop_constraint('fk_vote_elector_members_vote_id_votes', type_='foreignkey')
        batch.create_foreign_key('fk_vote_elector_members_elector_vote_vote_electors',
                                 'vote_electors', ['elector_id', 'vote_id'], ['id', 'vote_id'],
                                 ondelete='CASCADE')


def downgrade():
    with op.batch_alter_table('vote_elector_members') as batch:
        batch.drop_constraint('fk_vote_elector_members_elector_vote_vote_electors',
                              type_='foreignkey')
        batch.create_foreign_key('fk_vote_elector_members_vote_id_votes', 'votes', ['vote_id'],
                                 ['id'], ondelete='CASCADE')
        batch.create_foreign_key('fk_vote_elector_members_elector_id_vote_electors',
                                 'vote_electors', ['elector_id'], ['id'], ondelete='CASCADE')
    op.drop_index('uq_vote_electors_id_vote_id', table_name='vote_electors')
