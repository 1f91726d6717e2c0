"""disclosures: the record of who saw a resident's phone, e-mail or not-voted status

Revision ID: 0026_data_views
Revises: 0025_privacy_consent
Create Date: 2026-12-06 19:00:00

``data_views`` keeps one row per resident shown on an official's page, CSV or API answer: who
looked (and their name and role then), whose data, which page (endpoint, kind, object), which
fields, when, and the community. Residents read the rows about them; administrators export them.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026_data_views'
down_revision = '0025_privacy_consent'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'data_views',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('viewer_id', sa.Integer(), nullable=True),
        sa.Column('viewer_name', sa.String(length=100), nullable=False),
        sa.Column('viewer_role', sa.String(length=20), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=True),
        sa.Column('endpoint', sa.String(length=80), nullable=False),
        sa.Column('page', sa.String(length=30), nullable=False),
        sa.Column('object_ref', sa.String(length=60), nullable=False),
        sa.Column('object_name', sa.String(length=200), nullable=False),
        sa.Column('fields', sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(['viewer_id'], ['users.id'], ondelete='SET NULL',
                                name=op.f('fk_data_views_viewer_id_users')),
        sa.ForeignKeyConstraint(['subject_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_data_views_subject_id_users')),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id'], ondelete='SET NULL',
                                name=op.f('fk_data_views_community_id_communities')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_data_views')),
    )
    op.create_index('ix_data_views_subject_at', 'data_views', ['subject_id', 'at'])
    op.create_index('ix_data_views_community_at', 'data_views', ['community_id', 'at'])
    op.create_index(op.f('ix_data_views_viewer_id'), 'data_views', ['viewer_id'])


def downgrade():
    op.drop_index(op.f('ix_data_views_viewer_id'), table_name='data_views')
    op.drop_index('ix_data_views_community_at', table_name='data_views')
    op.drop_index('ix_data_views_subject_at', table_name='data_views')
    op.drop_table('data_views')
