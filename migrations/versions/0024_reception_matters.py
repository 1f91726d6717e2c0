"""studios: the matters raised at a reception are followed to the end

Revision ID: 0024_reception_matters
Revises: 0023_official_answers
Create Date: 2026-12-06 16:45:00

A reception record gets the follow-up of its matter: ``matter_status`` (recorded, handling,
answered), ``due_on`` (the local date the representative promised an answer by), the
``answer`` the resident reads and when it was given, the resident's ``rating`` (1-5) of the
answer with its reason, and ``reopened_at``/``reopen_reason``: the one time a low rating put the
matter back to "being handled". Records that exist already are "recorded".
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024_reception_matters'
down_revision = '0023_official_answers'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reception_records') as batch:
        batch.add_column(sa.Column('matter_status', sa.String(length=12), nullable=False,
                                   server_default='recorded'))
        batch.add_column(sa.Column('due_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('answer', sa.Text(), nullable=False, server_default=''))
        batch.add_column(sa.Column('answered_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('rating', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('rating_reason', sa.Text(), nullable=False,
                                   server_default=''))
        batch.add_column(sa.Column('rated_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('reopened_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('reopen_reason', sa.Text(), nullable=False,
                                   server_default=''))
        batch.create_check_constraint('ck_reception_records_rating_range',
                                      'rating IS NULL OR (rating >= 1 AND rating <= 5)')
        batch.create_index('ix_reception_records_status_due', ['matter_status', 'due_on'])


def downgrade():
    with op.batch_alter_table('reception_records') as batch:
        batch.drop_index('ix_reception_records_status_due')
        batch.drop_constraint('ck_reception_records_rating_range', type_='check')
        for name in ('reopen_reason', 'reopened_at', 'rated_at', 'rating_reason', 'rating',
                     'answered_at', 'answer', 'due_on', 'matter_status'):
            batch.drop_column(name)
