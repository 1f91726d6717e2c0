"""mydata: downloads of "my data" (JSON, or a zip of CSV files)

Revision ID: 0028_data_exports
Revises: 0027_account_closing
Create Date: 2026-12-06 19:00:00

One row per download a person asked for: its format, whether it is being prepared, ready,
failed or expired, the file (relative to the instance folder's exports directory) and its size,
when it was asked for, when it was ready and when it expires (7 days later).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0028_data_exports'
down_revision = '0027_account_closing'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'data_exports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('format', sa.String(length=8), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('file_path', sa.String(length=200), nullable=True),
        sa.Column('size', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('ready_at', sa.DateTime(), nullable=True),
        sa.Column('expires_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_data_exports_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_data_exports')),
    )
    op.create_index('ix_data_exports_user_created', 'data_exports', ['user_id', 'created_at'])
    op.create_index('ix_data_exports_status_expires', 'data_exports', ['status', 'expires_at'])
    op.create_index('uq_data_exports_one_preparing', 'data_exports', ['user_id'], unique=True,
                    sqlite_where=sa.text("status = 'preparing'"),
                    postgresql_where=sa.text("status = 'preparing'"))


def downgrade():
    op.drop_index('uq_data_exports_one_preparing', table_name='data_exports')
    op.drop_index('ix_data_exports_status_expires', table_name='data_exports')
    op.drop_index('ix_data_exports_user_created', table_name='data_exports')
    op.drop_table('data_exports')
