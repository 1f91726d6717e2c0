"""halls: deliberation halls, meetings, agendas, registrations, minutes and their revisions

Revision ID: 0004_halls
Revises: 0003_studios
Create Date: 2026-11-24 12:00:00

Live meetings never overlap in one hall. PostgreSQL enforces it with an exclusion constraint
over ``tsrange(starts_at, ends_at, '[)')`` (half open: back-to-back meetings do not clash;
btree_gist for the ``=`` part, as in 0003); SQLite with triggers that abort an overlapping
insert or update.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_halls'
down_revision = '0003_studios'
branch_labels = None
depends_on = None

_PG_EXCLUSION = """ALTER TABLE meetings ADD CONSTRAINT ex_meetings_hall_overlap
    EXCLUDE USING gist (hall_id WITH =, tsrange(starts_at, ends_at, '[)') WITH &&)
    WHERE (cancelled_at IS NULL)"""


def _sqlite_trigger(event: str) -> str:
    """Abort when NEW (not cancelled) overlaps another live meeting in the same hall. Times are
    stored as ISO strings of one format, so text comparison orders them."""
    not_self = "AND m.id <> NEW.id" if event == "UPDATE" else ""
    return f"""
        CREATE TRIGGER meetings_no_hall_overlap_{event.lower()} BEFORE {event} ON meetings
        WHEN NEW.cancelled_at IS NULL
        BEGIN
            SELECT RAISE(ABORT, 'meeting overlaps another in the same hall')
            WHERE EXISTS (
                SELECT 1 FROM meetings m
                WHERE m.hall_id = NEW.hall_id AND m.cancelled_at IS NULL {not_self}
                  AND m.starts_at < NEW.ends_at AND NEW.starts_at < m.ends_at);
        END"""


def upgrade():
    op.create_table('halls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('accessibility', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('capacity > 0', name=op.f('ck_halls_capacity_positive')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_halls_community_id_communities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_halls')),
    sa.UniqueConstraint('community_id', 'name', name=op.f('uq_halls_community_id_name'))
    )
    with op.batch_alter_table('halls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_halls_community_id'), ['community_id'], unique=False)

    op.create_table('meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=False),
    sa.CheckConstraint('starts_at < ends_at', name=op.f('ck_meetings_starts_before_ends')),
    sa.ForeignKeyConstraint(['cancelled_by_id'], ['users.id'], name=op.f('fk_meetings_cancelled_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_meetings_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_meetings_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_meetings_hall_id_halls'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings'))
    )
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.create_index('ix_meetings_community_starts', ['community_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_meetings_hall_starts', ['hall_id', 'starts_at'], unique=False)

    op.create_table('meeting_agenda_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_agenda_items_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_meeting_agenda_items_topic_id_topics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_agenda_items')),
    sa.UniqueConstraint('meeting_id', 'topic_id', name=op.f('uq_meeting_agenda_items_meeting_id_topic_id'))
    )
    with op.batch_alter_table('meeting_agenda_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_agenda_items_topic_id'), ['topic_id'], unique=False)

    op.create_table('meeting_registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_registrations_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_meeting_registrations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_registrations')),
    sa.UniqueConstraint('meeting_id', 'user_id', name=op.f('uq_meeting_registrations_meeting_id_user_id'))
    )
    with op.batch_alter_table('meeting_registrations', schema=None) as batch_op:
        batch_op.create_index('ix_meeting_registrations_meeting_status', ['meeting_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_registrations_user_id'), ['user_id'], unique=False)

    op.create_table('minutes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('first_published_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_minutes_meeting_id_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_minutes')),
    sa.UniqueConstraint('meeting_id', name=op.f('uq_minutes_meeting_id'))
    )
    op.create_table('minutes_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('minutes_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('present_count', sa.Integer(), nullable=False),
    sa.Column('officials_present', sa.Text(), nullable=False),
    sa.Column('residents_count', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('present_count >= 0 AND residents_count >= 0', name=op.f('ck_minutes_revisions_counts_not_negative')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_minutes_revisions_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['minutes_id'], ['minutes.id'], name=op.f('fk_minutes_revisions_minutes_id_minutes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_minutes_revisions_published_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_minutes_revisions')),
    sa.UniqueConstraint('minutes_id', 'number', name=op.f('uq_minutes_revisions_minutes_id_number'))
    )
    op.create_table('minutes_resolutions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('comment_days', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['revision_id'], ['minutes_revisions.id'], name=op.f('fk_minutes_resolutions_revision_id_minutes_revisions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_minutes_resolutions_topic_id_topics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_minutes_resolutions')),
    sa.UniqueConstraint('revision_id', 'topic_id', name=op.f('uq_minutes_resolutions_revision_id_topic_id'))
    )
    with op.batch_alter_table('minutes_resolutions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_minutes_resolutions_topic_id'), ['topic_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(_PG_EXCLUSION)
    else:
        for event in ("INSERT", "UPDATE"):
            op.execute(_sqlite_trigger(event))


def downgrade():
    # The exclusion constraint and the triggers go with their table; btree_gist stays (0003).
    with op.batch_alter_table('minutes_resolutions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_minutes_resolutions_topic_id'))

    op.drop_table('minutes_resolutions')
    op.drop_table('minutes_revisions')
    op.drop_table('minutes')
    with op.batch_alter_table('meeting_registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_registrations_user_id'))
        batch_op.drop_index('ix_meeting_registrations_meeting_status')

    op.drop_table('meeting_registrations')
    with op.batch_alter_table('meeting_agenda_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_agenda_items_topic_id'))

    op.drop_table('meeting_agenda_items')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index('ix_meetings_hall_starts')
        batch_op.drop_index('ix_meetings_community_starts')

    op.drop_table('meetings')
    with op.batch_alter_table('halls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_halls_community_id'))

    op.drop_table('halls')
