"""Booking and cancelling studio sessions: clashes, repeats, opening hours, the database's own
refusal of overlaps, and notifications on cancellation."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from consult import clock
from consult.audit.models import AuditEntry
from consult.extensions import db
from consult.notifications.models import Notification
from consult.studios.booking import book_sessions, cancel_session
from consult.refusals import Refused
from consult.studios.models import Reservation, StudioSession
from tests import factories
from tests.studio_world import NOW, TUESDAY, build, local, session_at


@pytest.fixture
def world(app, english):
    with clock.frozen(NOW):
        yield build()


def book(world, actor=None, **kw):
    args = {"room_id": world.room.id, "day": TUESDAY, "start": "09:00", "end": "11:00"} | kw
    return book_sessions(actor or world.rep, world.studio, **args)


def live_sessions() -> int:
    return db.session.scalar(select(func.count(StudioSession.id))
                             .where(StudioSession.cancelled_at.is_(None)))


def test_book_one_session(world):
    result = book(world, focus="加装电梯", slot_minutes=30)
    assert result.skipped == []
    (s,) = result.sessions
    assert (s.starts_at, s.ends_at) == (local("2026-12-01 09:00"), local("2026-12-01 11:00"))
    assert (s.focus, s.slot_minutes, s.series) == ("加装电梯", 30, None)
    assert db.session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc())) \
        == "studio_session.book"


def test_room_clash_names_the_booking(world):
    book(world)
    with pytest.raises(Refused) as error:
        book(world, actor=world.rep2, start="10:00", end="11:30")
    assert error.value.field == "room"
    assert error.value.message == "接待室一 is already booked 09:00–11:00 by 李代表."


def test_representative_cannot_be_in_two_rooms_at_once(world):
    book(world)
    with pytest.raises(Refused) as error:
        book(world, room_id=world.room2.id, start="10:40", end="11:40")
    assert error.value.field == "start"
    assert "李代表 is already booked 09:00–11:00 at 幸福社区人大代表工作室 (接待室一)" \
        in error.value.message


def test_back_to_back_is_not_a_clash_and_another_room_is_free(world):
    book(world)
    book(world, actor=world.rep2, start="11:00", end="12:00")
    book(world, actor=world.rep2, room_id=world.room2.id, start="09:00", end="11:00",
         day="2026-12-02")
    assert live_sessions() == 3


def test_cancelled_session_frees_the_room(world):
    (s,) = book(world).sessions
    cancel_session(world.rep, s, "开会")
    book(world, actor=world.rep2)
    assert live_sessions() == 1


def test_weekly_repeat_books_what_fits_and_lists_the_clashes(world):
    # rep2 holds the room on the third Tuesday.
    session_at(world, "2026-12-15 10:00", minutes=60, rep=world.rep2)
    result = book(world, weeks=4)
    assert [s.starts_at for s in result.sessions] == [
        local(f"{d} 09:00") for d in ("2026-12-01", "2026-12-08", "2026-12-22")]
    assert len({s.series for s in result.sessions}) == 1 and result.sessions[0].series
    assert [(str(k.day), k.message) for k in result.skipped] == [
        ("2026-12-15", "接待室一 is already booked 10:00–11:00 by 周代表.")]


def test_weekly_repeat_with_no_date_free_fails_and_writes_nothing(world):
    for day in ("2026-12-01", "2026-12-08"):
        session_at(world, f"{day} 09:00", rep=world.rep2)
    before = live_sessions()
    with pytest.raises(Refused, match="None of the dates could be booked"):
        book(world, weeks=2)
    assert live_sessions() == before


@pytest.mark.parametrize("kw, field, message", [
    ({"start": "08:00", "end": "10:00"}, "start", "not open"),
    ({"start": "11:00", "end": "15:00"}, "start", "not open"),  # over the lunch break
    ({"day": "2026-12-05", "start": "14:00", "end": "15:00"}, "start", "not open"),  # Saturday
    ({"day": "2026-11-30", "start": "09:00", "end": "09:40"}, "day", "future"),  # this morning
    ({"end": "08:00"}, "end", "after the start"),
    ({"end": "09:15"}, "end", "at least one slot"),
    ({"slot_minutes": 5}, "slot_minutes", "10 to 60"),
    ({"slot_minutes": 61}, "slot_minutes", "10 to 60"),
    ({"weeks": 13}, "weeks", "1 to 12"),
    ({"day": "2026-13-01"}, "day", "date like"),
    ({"start": "nine"}, "start", "time like"),
    ({"focus": "长" * 201}, "focus", "200"),
])
def test_booking_rules(world, kw, field, message):
    with pytest.raises(Refused, match=message) as error:
        book(world, **kw)
    assert error.value.field == field
    assert live_sessions() == 0


def test_room_of_another_studio_is_refused(world):
    elsewhere = factories.studio(world.community, "另一个工作室")
    with pytest.raises(Refused) as error:
        book(world, room_id=elsewhere.rooms[0].id)
    assert error.value.field == "room"


def test_only_attached_representatives_book(world):
    unattached = factories.representative(world.community, "吴代表")
    db.session.commit()
    with pytest.raises(Refused, match="not attached"):
        book(world, actor=unattached)
    with pytest.raises(Refused, match="Only a representative"):
        book(world, actor=world.admin)


# --- the database refuses overlaps that slip past the check --------------------------------

def _overlapping_insert(world, **kw):
    factories.studio_session(world.studio, world.rep, local("2026-12-01 09:00"))
    db.session.commit()
    args = {"rep": world.rep2, "room": world.room} | kw
    with pytest.raises(IntegrityError):
        factories.studio_session(world.studio, args["rep"], local("2026-12-01 10:59"),
                                 room=args["room"])
    db.session.rollback()


def test_database_refuses_room_overlap(world):
    _overlapping_insert(world)


def test_database_refuses_representative_overlap(world):
    _overlapping_insert(world, rep=world.rep, room=world.room2)


def test_database_allows_back_to_back_and_cancelled(world):
    first = factories.studio_session(world.studio, world.rep, local("2026-12-01 09:00"))
    factories.studio_session(world.studio, world.rep2, local("2026-12-01 11:00"))
    first.cancelled_at = NOW
    db.session.flush()
    factories.studio_session(world.studio, world.rep2, local("2026-12-01 09:00"), minutes=60)
    db.session.commit()
    # ... and un-cancelling into a clash is refused too.
    first.cancelled_at = None
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


# --- cancelling ----------------------------------------------------------------------------

def _reserve(world, session, resident, minute="09:00"):
    r = Reservation(session_id=session.id, resident_id=resident.id,
                    slot_start=local(f"{TUESDAY} {minute}"),
                    slot_end=local(f"{TUESDAY} {minute}") + timedelta(minutes=20),
                    category="other", matter="楼道灯坏了")
    db.session.add(r)
    db.session.flush()
    return r


def test_cancel_notifies_residents_with_reservations(world):
    s = session_at(world, f"{TUESDAY} 09:00")
    a, b, c = world.residents[:3]
    _reserve(world, s, a, "09:00")
    gone = _reserve(world, s, b, "09:20")
    gone.cancelled_at = NOW
    db.session.commit()
    sent = cancel_session(world.admin, s, "代表参加区人大会议")
    assert sent == 2  # resident a and the representative; b had cancelled
    notes = db.session.scalars(select(Notification)).all()
    assert {n.user_id for n in notes} == {a.id, world.rep.id}
    assert notes[0].kind == "studio.cancelled"
    assert notes[0].params["reason"] == "代表参加区人大会议"
    assert notes[0].url == f"/studio-sessions/{s.id}"
    assert s.cancel_reason == "代表参加区人大会议" and s.cancelled_by_id == world.admin.id


def test_cancel_needs_a_reason_and_a_future_session(world):
    s = session_at(world, f"{TUESDAY} 09:00")
    with pytest.raises(Refused) as error:
        cancel_session(world.rep, s, "  ")
    assert error.value.field == "reason"
    with clock.frozen(local(f"{TUESDAY} 09:10")):
        with pytest.raises(Refused, match="already begun"):
            cancel_session(world.rep, s, "迟到")
    cancel_session(world.rep, s, "开会")
    with pytest.raises(Refused, match="already cancelled"):
        cancel_session(world.rep, s, "开会")


def test_only_the_holder_or_an_admin_cancels(world):
    s = session_at(world, f"{TUESDAY} 09:00")
    for person in (world.rep2, world.secretary, world.residents[0]):
        with pytest.raises(Refused):
            cancel_session(person, s, "不想开了")
    assert s.cancelled_at is None
