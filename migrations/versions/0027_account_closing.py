"""accounts: closing an account (注销账号); audit entries keep personal data outside the chain

Revision ID: 0027_account_closing
Revises: 0026_data_views
Create Date: 2026-12-06 19:00:00

``users`` gets ``closed_at`` (the account was closed by its owner), ``pseudonym`` (the stable
four-character code its public name was replaced with) and ``purged_at`` (when the retention job
removed what was left after RETAIN_CLOSED_ACCOUNT_DAYS).

``audit_entries`` gets ``personal`` (names, phones of the people an entry is about: kept out of
the hashed payload), ``personal_digest`` (SHA-256 of ``personal``, which the entry's hash
covers), ``subject_id`` (the person the personal data is about) and ``hash_version`` (NULL: the
first formula, which entries written before this revision keep; 2: the formula with the digest).
The append-only triggers now allow exactly one change: setting ``personal`` to NULL (closing an
account erases it; the digest and the chain stay).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0027_account_closing'
down_revision = '0026_data_views'
branch_labels = None
depends_on = None

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.personal IS NULL
       AND (to_jsonb(NEW) - 'personal') = (to_jsonb(OLD) - 'personal') THEN
        RETURN NEW;  -- erasing the personal data kept beside the chain
    END IF;
    RAISE EXCEPTION 'audit_entries is append-only';
END;
$$ LANGUAGE plpgsql;
"""
_PG_FUNCTION_BEFORE = """
CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_entries is append-only';
END;
$$ LANGUAGE plpgsql;
"""
_CHAINED = ("id, at, actor_id, action, object_type, object_id, community_id, details, "
            "prev_hash, hash, personal_digest, subject_id, hash_version")
_SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER audit_entries_no_update BEFORE UPDATE OF {_CHAINED} ON audit_entries
       BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END""",
    """CREATE TRIGGER audit_entries_personal_erase_only BEFORE UPDATE OF personal
       ON audit_entries WHEN NEW.personal IS NOT NULL
       BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END""",
]
_SQLITE_TRIGGER_BEFORE = """CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
       BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END"""


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('closed_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('pseudonym', sa.String(length=8), nullable=True))
        batch.add_column(sa.Column('purged_at', sa.DateTime(), nullable=True))
        batch.create_index('ix_users_closed_at', ['closed_at'])
    if not _postgres():
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_update")
    # Plain ADD COLUMN (nullable columns): SQLite keeps the table and its other trigger.
    op.add_column('audit_entries', sa.Column('personal', sa.JSON(), nullable=True))
    op.add_column('audit_entries', sa.Column('personal_digest', sa.String(length=64),
                                             nullable=True))
    op.add_column('audit_entries', sa.Column('subject_id', sa.Integer(), nullable=True))
    op.add_column('audit_entries', sa.Column('hash_version', sa.Integer(), nullable=True))
    op.create_index('ix_audit_entries_subject_id', 'audit_entries', ['subject_id'])
    if _postgres():
        op.execute(_PG_FUNCTION)
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade():
    if _postgres():
        op.execute(_PG_FUNCTION_BEFORE)
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_update ON audit_entries")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_entries_personal_erase_only")
    op.drop_index('ix_audit_entries_subject_id', table_name='audit_entries')
    with op.batch_alter_table('audit_entries') as batch:
        batch.drop_column('hash_version')
        batch.drop_column('subject_id')
        batch.drop_column('personal_digest')
        batch.drop_column('personal')
    if _postgres():
        op.execute("CREATE TRIGGER audit_entries_no_update BEFORE UPDATE OR DELETE ON "
                   "audit_entries FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()")
    else:
        # batch mode copied the table: both triggers are made again
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_delete")
        op.execute(_SQLITE_TRIGGER_BEFORE)
        op.execute("""CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
       BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END""")
    with op.batch_alter_table('users') as batch:
        batch.drop_index('ix_users_closed_at')
        batch.drop_column('purged_at')
        batch.drop_column('pseudonym')
        batch.drop_column('closed_at')
