"""messages: people's message settings and preferences, and the outbox of SMS and e-mail

Revision ID: 0021_messages
Revises: 0020_phone_codes
Create Date: 2026-12-06 16:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_messages'
down_revision = '0020_phone_codes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'message_settings',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=True),
        sa.Column('quiet_start', sa.Integer(), nullable=False),
        sa.Column('quiet_end', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=10), nullable=False),
        sa.Column('digest_through', sa.Integer(), nullable=False),
        sa.Column('last_digest_on', sa.Date(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_message_settings_user_id_users')),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_message_settings')),
    )
    op.create_table(
        'message_preferences',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=20), nullable=False),
        sa.Column('mode', sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_message_preferences_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_message_preferences')),
        sa.UniqueConstraint('user_id', 'category',
                            name=op.f('uq_message_preferences_user_id_category')),
    )
    op.create_table(
        'outbox_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dedup_key', sa.String(length=120), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('to_address', sa.String(length=254), nullable=False),
        sa.Column('purpose', sa.String(length=40), nullable=False),
        sa.Column('category', sa.String(length=20), nullable=True),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('html', sa.Text(), nullable=False),
        sa.Column('template', sa.String(length=20), nullable=False),
        sa.Column('params', sa.Text(), nullable=False),
        sa.Column('unsubscribe_url', sa.String(length=400), nullable=False),
        sa.Column('language', sa.String(length=10), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('not_before', sa.DateTime(), nullable=False),
        sa.Column('held_for_quiet_hours', sa.Boolean(), nullable=False),
        sa.Column('claimed_at', sa.DateTime(), nullable=True),
        sa.Column('last_error', sa.String(length=500), nullable=False),
        sa.Column('provider_ref', sa.String(length=120), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_outbox_messages_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
        sa.UniqueConstraint('dedup_key', name=op.f('uq_outbox_messages_dedup_key')),
    )
    op.create_index('ix_outbox_due', 'outbox_messages', ['status', 'not_before'])
    op.create_index(op.f('ix_outbox_messages_user_id'), 'outbox_messages', ['user_id'])


def downgrade():
    op.drop_index(op.f('ix_outbox_messages_user_id'), table_name='outbox_messages')
    op.drop_index('ix_outbox_due', table_name='outbox_messages')
    op.drop_table('outbox_messages')
    op.drop_table('message_preferences')
    op.drop_table('message_settings')
