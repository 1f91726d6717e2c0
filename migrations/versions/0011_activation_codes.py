"""activation codes: roster owners without a password activate their account with a code

Revision ID: 0011_activation_codes
Revises: 0010_registration_codes
Create Date: 2026-12-06 13:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_activation_codes'
down_revision = '0010_registration_codes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'activation_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('issued_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.Column('voided_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_activation_codes_user_id_users'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id'],
                                name=op.f('fk_activation_codes_community_id_communities'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'],
                                name=op.f('fk_activation_codes_issued_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_activation_codes')),
        sa.UniqueConstraint('code_hash', name=op.f('uq_activation_codes_code_hash')),
    )
    with op.batch_alter_table('activation_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activation_codes_user_id'), ['user_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_activation_codes_community_id'), ['community_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('activation_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activation_codes_community_id'))
        batch_op.drop_index(batch_op.f('ix_activation_codes_user_id'))
    op.drop_table('activation_codes')
