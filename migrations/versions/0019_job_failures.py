"""job failures: background jobs that failed for good, for administrators to see and retry

Revision ID: 0019_job_failures
Revises: 0018_grid_assistance
Create Date: 2026-12-06 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_job_failures'
down_revision = '0018_grid_assistance'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'job_failures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('failed_at', sa.DateTime(), nullable=False),
        sa.Column('resolved_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job_failures')),
    )
    op.create_index(op.f('ix_job_failures_failed_at'), 'job_failures', ['failed_at'])


def downgrade():
    op.drop_index(op.f('ix_job_failures_failed_at'), table_name='job_failures')
    op.drop_table('job_failures')
