"""registration codes: an account is made once the code sent to its phone or e-mail comes back

Revision ID: 0010_registration_codes
Revises: 0009_comment_thread_index
Create Date: 2026-12-06 10:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_registration_codes'
down_revision = '0009_comment_thread_index'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'registration_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=50), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.Column('phone', sa.String(length=20), nullable=True),
        sa.Column('password_hash', sa.String(length=255), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('usable', sa.Boolean(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('sends', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_registration_codes')),
    )


def downgrade():
    op.drop_table('registration_codes')
