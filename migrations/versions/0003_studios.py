"""studios: rooms, opening hours, representatives, sessions, reservations, reception records

Revision ID: 0003_studios
Revises: 0002_topics
Create Date: 2026-11-23 12:00:00

Sessions never overlap in one room, nor for one representative (cancelled sessions aside).
PostgreSQL enforces it with exclusion constraints over ``tsrange(starts_at, ends_at, '[)')``
(half open, so back-to-back sessions do not clash; needs btree_gist for the ``=`` part);
SQLite with triggers that abort an overlapping insert or update.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_studios'
down_revision = '0002_topics'
branch_labels = None
depends_on = None

_ACTIVE = sa.text("cancelled_at IS NULL")

_PG_EXCLUSIONS = [
    """ALTER TABLE studio_sessions ADD CONSTRAINT ex_studio_sessions_room_overlap
       EXCLUDE USING gist (room_id WITH =, tsrange(starts_at, ends_at, '[)') WITH &&)
       WHERE (cancelled_at IS NULL)""",
    """ALTER TABLE studio_sessions ADD CONSTRAINT ex_studio_sessions_representative_overlap
       EXCLUDE USING gist (representative_id WITH =, tsrange(starts_at, ends_at, '[)') WITH &&)
       WHERE (cancelled_at IS NULL)""",
]


def _sqlite_trigger(event: str, column: str) -> str:
    """Abort when NEW (not cancelled) overlaps another live session with the same ``column``.
    Times are stored as ISO strings of one format, so text comparison orders them."""
    name = f"studio_sessions_no_{column.removesuffix('_id')}_overlap_{event.lower()}"
    not_self = "AND s.id <> NEW.id" if event == "UPDATE" else ""
    return f"""
        CREATE TRIGGER {name} BEFORE {event} ON studio_sessions
        WHEN NEW.cancelled_at IS NULL
        BEGIN
            SELECT RAISE(ABORT, 'studio session overlaps another with the same {column}')
            WHERE EXISTS (
                SELECT 1 FROM studio_sessions s
                WHERE s.{column} = NEW.{column} AND s.cancelled_at IS NULL {not_self}
                  AND s.starts_at < NEW.ends_at AND NEW.starts_at < s.ends_at);
        END"""


_SQLITE_TRIGGERS = [(event, column) for event in ("INSERT", "UPDATE")
                    for column in ("room_id", "representative_id")]


def upgrade():
    op.create_table('studios',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_studios_community_id_communities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_studios')),
    sa.UniqueConstraint('community_id', 'name', name=op.f('uq_studios_community_id_name'))
    )
    with op.batch_alter_table('studios', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_studios_community_id'), ['community_id'], unique=False)

    op.create_table('representative_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.String(length=20), nullable=False),
    sa.Column('area_served', sa.String(length=200), nullable=False),
    sa.Column('bio', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_representative_profiles_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_representative_profiles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_representative_profiles')),
    sa.UniqueConstraint('user_id', 'community_id', name=op.f('uq_representative_profiles_user_id_community_id'))
    )
    with op.batch_alter_table('representative_profiles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_representative_profiles_community_id'), ['community_id'], unique=False)

    op.create_table('studio_rooms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('studio_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['studio_id'], ['studios.id'], name=op.f('fk_studio_rooms_studio_id_studios'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_studio_rooms')),
    sa.UniqueConstraint('studio_id', 'name', name=op.f('uq_studio_rooms_studio_id_name'))
    )
    op.create_table('studio_opening_hours',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('studio_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('opens', sa.Time(), nullable=False),
    sa.Column('closes', sa.Time(), nullable=False),
    sa.CheckConstraint('opens < closes', name=op.f('ck_studio_opening_hours_opens_before_closes')),
    sa.CheckConstraint('weekday >= 0 AND weekday <= 6', name=op.f('ck_studio_opening_hours_weekday_valid')),
    sa.ForeignKeyConstraint(['studio_id'], ['studios.id'], name=op.f('fk_studio_opening_hours_studio_id_studios'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_studio_opening_hours')),
    sa.UniqueConstraint('studio_id', 'weekday', 'opens', name=op.f('uq_studio_opening_hours_studio_id_weekday_opens'))
    )
    op.create_table('studio_representatives',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('studio_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['studio_id'], ['studios.id'], name=op.f('fk_studio_representatives_studio_id_studios'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_studio_representatives_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_studio_representatives')),
    sa.UniqueConstraint('studio_id', 'user_id', name=op.f('uq_studio_representatives_studio_id_user_id'))
    )
    with op.batch_alter_table('studio_representatives', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_studio_representatives_user_id'), ['user_id'], unique=False)

    op.create_table('studio_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('studio_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('representative_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('focus', sa.String(length=200), nullable=False),
    sa.Column('slot_minutes', sa.Integer(), nullable=False),
    sa.Column('series', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=False),
    sa.CheckConstraint('slot_minutes >= 10 AND slot_minutes <= 60', name=op.f('ck_studio_sessions_slot_minutes_range')),
    sa.CheckConstraint('starts_at < ends_at', name=op.f('ck_studio_sessions_starts_before_ends')),
    sa.ForeignKeyConstraint(['cancelled_by_id'], ['users.id'], name=op.f('fk_studio_sessions_cancelled_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['representative_id'], ['users.id'], name=op.f('fk_studio_sessions_representative_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['room_id'], ['studio_rooms.id'], name=op.f('fk_studio_sessions_room_id_studio_rooms'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['studio_id'], ['studios.id'], name=op.f('fk_studio_sessions_studio_id_studios'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_studio_sessions'))
    )
    with op.batch_alter_table('studio_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_studio_sessions_representative_starts', ['representative_id', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_studio_sessions_room_id'), ['room_id'], unique=False)
        batch_op.create_index('ix_studio_sessions_studio_starts', ['studio_id', 'starts_at'], unique=False)

    op.create_table('reservations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('slot_start', sa.DateTime(), nullable=False),
    sa.Column('slot_end', sa.DateTime(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('matter', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['resident_id'], ['users.id'], name=op.f('fk_reservations_resident_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['studio_sessions.id'], name=op.f('fk_reservations_session_id_studio_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reservations'))
    )
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.create_index('ix_reservations_resident_slot', ['resident_id', 'slot_start'], unique=False)
        batch_op.create_index('uq_reservations_active_resident', ['session_id', 'resident_id'], unique=True,
                              sqlite_where=_ACTIVE, postgresql_where=_ACTIVE)
        batch_op.create_index('uq_reservations_active_slot', ['session_id', 'slot_start'], unique=True,
                              sqlite_where=_ACTIVE, postgresql_where=_ACTIVE)

    op.create_table('reception_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reservation_id', sa.Integer(), nullable=False),
    sa.Column('attendance', sa.String(length=10), nullable=False),
    sa.Column('raised', sa.Text(), nullable=False),
    sa.Column('follow_up', sa.Text(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('topic_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_reception_records_recorded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reservation_id'], ['reservations.id'], name=op.f('fk_reception_records_reservation_id_reservations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_reception_records_topic_id_topics'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reception_records')),
    sa.UniqueConstraint('reservation_id', name=op.f('uq_reception_records_reservation_id'))
    )
    with op.batch_alter_table('reception_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reception_records_topic_id'), ['topic_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        for statement in _PG_EXCLUSIONS:
            op.execute(statement)
    else:
        for event, column in _SQLITE_TRIGGERS:
            op.execute(_sqlite_trigger(event, column))


def downgrade():
    # The exclusion constraints and triggers go with their table. btree_gist stays installed:
    # other schemas or later migrations may use it, and it is harmless.
    with op.batch_alter_table('reception_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reception_records_topic_id'))

    op.drop_table('reception_records')
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.drop_index('uq_reservations_active_slot')
        batch_op.drop_index('uq_reservations_active_resident')
        batch_op.drop_index('ix_reservations_resident_slot')

    op.drop_table('reservations')
    with op.batch_alter_table('studio_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_studio_sessions_studio_starts')
        batch_op.drop_index(batch_op.f('ix_studio_sessions_room_id'))
        batch_op.drop_index('ix_studio_sessions_representative_starts')

    op.drop_table('studio_sessions')
    with op.batch_alter_table('studio_representatives', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_studio_representatives_user_id'))

    op.drop_table('studio_representatives')
    op.drop_table('studio_opening_hours')
    op.drop_table('studio_rooms')
    with op.batch_alter_table('representative_profiles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_representative_profiles_community_id'))

    op.drop_table('representative_profiles')
    with op.batch_alter_table('studios', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_studios_community_id'))

    op.drop_table('studios')
