"""privacy: agreements to the privacy notice, and the version each user agreed to last

Revision ID: 0025_privacy_consent
Revises: 0024_reception_matters
Create Date: 2026-12-06 19:00:00

``privacy_consents`` keeps each agreement (user, version, when, where it was given);
``users.privacy_version`` the version agreed to last, read with the user on every request;
``registration_codes.privacy_version`` the version agreed to on the registration form until the
code comes back and the account is made. Accounts that exist already have agreed to nothing:
they are asked once, before their next write.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025_privacy_consent'
down_revision = '0024_reception_matters'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'privacy_consents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.String(length=20), nullable=False),
        sa.Column('agreed_at', sa.DateTime(), nullable=False),
        sa.Column('channel', sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_privacy_consents_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_consents')),
    )
    op.create_index(op.f('ix_privacy_consents_user_id'), 'privacy_consents', ['user_id'],
                    unique=False)
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('privacy_version', sa.String(length=20), nullable=True))
    with op.batch_alter_table('registration_codes') as batch:
        batch.add_column(sa.Column('privacy_version', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('registration_codes') as batch:
        batch.drop_column('privacy_version')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('privacy_version')
    op.drop_index(op.f('ix_privacy_consents_user_id'), table_name='privacy_consents')
    op.drop_table('privacy_consents')
