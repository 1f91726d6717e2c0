"""phone codes: six-digit codes by SMS for a password reset and a change of phone number, and
indexes to count the registration codes sent to one phone or address

Revision ID: 0020_phone_codes
Revises: 0019_job_failures
Create Date: 2026-12-06 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_phone_codes'
down_revision = '0019_job_failures'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'phone_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.String(length=10), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('phone', sa.String(length=20), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('usable', sa.Boolean(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_phone_codes_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_codes')),
    )
    op.create_index('ix_phone_codes_phone_created', 'phone_codes', ['phone', 'created_at'])
    op.create_index('ix_phone_codes_user_created', 'phone_codes', ['user_id', 'created_at'])
    op.create_index('ix_registration_codes_phone_created', 'registration_codes',
                    ['phone', 'created_at'])
    op.create_index('ix_registration_codes_email_created', 'registration_codes',
                    ['email', 'created_at'])


def downgrade():
    op.drop_index('ix_registration_codes_email_created', table_name='registration_codes')
    op.drop_index('ix_registration_codes_phone_created', table_name='registration_codes')
    op.drop_index('ix_phone_codes_user_created', table_name='phone_codes')
    op.drop_index('ix_phone_codes_phone_created', table_name='phone_codes')
    op.drop_table('phone_codes')
