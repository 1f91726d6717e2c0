"""index topics by stage: the home page's topics closing soon, newest proposals, stage counts

Revision ID: 0032_topics_stage_index
Revises: 0031_reading_indexes
Create Date: 2026-12-07 04:00:00

The home page lists the topics in comment whose period ends soonest and the newest proposals,
and counts topics per stage, on every request. Each read every topic of the stage (sorting the
proposals), or every topic, so home cost 1.5-1.7x as much CPU in a world four times the size.
``topics (stage, comment_until)`` and ``topics (stage, submitted_at, id)`` give the first two in
index order (five rows read, whatever the number of topics); the count reads an index alone,
never the rows with the proposals' text. ``topics (cosign_count, id)`` does the same for the
topic list sorted by most co-signed.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0032_topics_stage_index'
down_revision = '0031_reading_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_topics_stage_comment_until', 'topics', ['stage', 'comment_until'])
    op.create_index('ix_topics_stage_submitted', 'topics', ['stage', 'submitted_at', 'id'])
    op.create_index('ix_topics_cosign_count', 'topics', ['cosign_count', 'id'])


def downgrade():
    op.drop_index('ix_topics_cosign_count', table_name='topics')
    op.drop_index('ix_topics_stage_submitted', table_name='topics')
    op.drop_index('ix_topics_stage_comment_until', table_name='topics')
