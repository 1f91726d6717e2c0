"""comment thread index: a topic's top-level comments in time order, for paged threads

The topic page shows its comments a page of threads at a time. Without this index SQLite
answered "top-level comments of topic T, newest first" through the parent_id index, reading
every top-level comment of every topic.

Revision ID: 0009_comment_thread_index
Revises: 0008_password_resets_lockout
Create Date: 2026-12-01 04:10:00

"""
from alembic import op

revision = '0009_comment_thread_index'
down_revision = '0008_password_resets_lockout'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_comments_topic_parent_created', 'comments',
                    ['topic_id', 'parent_id', 'created_at'])


def downgrade():
    op.drop_index('ix_comments_topic_parent_created', table_name='comments')
