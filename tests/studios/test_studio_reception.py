"""Reception reservations and records: who may reserve, the limits, cancelling, recording,
and the reminders the day before."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult import clock
from consult.extensions import db
from consult.notifications.models import Notification
from consult.refusals import Refused
from consult.studios.models import ReceptionRecord, Reservation
from consult.studios.reception import cancel_reservation, record_reception, reserve
from consult.studios.reminders import send_reminders
from consult.studios.slots import SLOT_KEY_FORMAT
from tests.studio_world import NOW, TUESDAY, build, local, session_at


@pytest.fixture
def world(app, english):
    with clock.frozen(NOW):
        yield build()


def key(text: str) -> str:
    return local(text).strftime(SLOT_KEY_FORMAT)


@pytest.fixture
def tuesday(world):
    """李代表 on Tuesday 09:00-11:00, six slots of 20 minutes."""
    s = session_at(world, f"{TUESDAY} 09:00")
    db.session.commit()
    return s


def take(world, session, resident, at="09:00", day=TUESDAY, **kw):
    args = {"category": "property", "matter": "电梯经常停运"} | kw
    return reserve(resident, session, key(f"{day} {at}"), args["category"], args["matter"])


def active() -> int:
    return db.session.scalar(select(func.count(Reservation.id))
                             .where(Reservation.cancelled_at.is_(None)))


def test_reserve_a_slot(world, tuesday):
    resident = world.residents[0]
    r = take(world, tuesday, resident, "09:40", category="parking", matter="  车位不够  ")
    assert (r.slot_start, r.slot_end) == (local(f"{TUESDAY} 09:40"), local(f"{TUESDAY} 10:00"))
    assert (r.category, r.matter, r.resident_id) == ("parking", "车位不够", resident.id)


def test_a_taken_slot_is_refused(world, tuesday):
    take(world, tuesday, world.residents[0])
    with pytest.raises(Refused, match="just taken") as error:
        take(world, tuesday, world.residents[1])
    assert error.value.field == "slot"


def test_one_slot_per_resident_and_session(world, tuesday):
    take(world, tuesday, world.residents[0])
    with pytest.raises(Refused, match="already hold a slot in this session"):
        take(world, tuesday, world.residents[0], "10:00")


def test_at_most_three_upcoming_slots(world):
    resident = world.residents[0]
    days = ["2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04"]
    sessions = [session_at(world, f"{d} 09:00") for d in days]
    for s, d in zip(sessions[:3], days):
        take(world, s, resident, day=d)
    with pytest.raises(Refused, match="already hold 3 upcoming slots"):
        take(world, sessions[3], resident, day=days[3])
    # Once one has passed, another may be reserved.
    with clock.frozen(local("2026-12-01 09:30")):
        take(world, sessions[3], resident, day=days[3])


@pytest.mark.parametrize("slot, message", [
    ("2026-12-01T00:10", "one of the free slots"),  # not on the slot grid
    ("2026-12-01T03:00", "one of the free slots"),  # the session's end
    ("junk", "one of the free slots"),
])
def test_only_the_sessions_slots(world, tuesday, slot, message):
    with pytest.raises(Refused, match=message):
        reserve(world.residents[0], tuesday, slot, "other", "事")


def test_matter_is_required_and_short(world, tuesday):
    with pytest.raises(Refused) as error:
        take(world, tuesday, world.residents[0], matter=" ")
    assert error.value.field == "matter"
    with pytest.raises(Refused) as error:
        take(world, tuesday, world.residents[0], matter="长" * 501)
    assert error.value.field == "matter"
    with pytest.raises(Refused) as error:
        take(world, tuesday, world.residents[0], category="gossip")
    assert error.value.field == "category"
    assert active() == 0


def test_who_may_reserve(world, tuesday):
    for person, message in [(world.outsider, "verified residents"),
                            (world.secretary, "verified residents")]:
        with pytest.raises(Refused, match=message):
            take(world, tuesday, person)
    assert active() == 0


def test_no_reservation_in_a_started_or_cancelled_session(world, tuesday):
    with clock.frozen(local(f"{TUESDAY} 09:30")):
        with pytest.raises(Refused, match="already begun"):
            take(world, tuesday, world.residents[0], "09:20")
        take(world, tuesday, world.residents[0], "09:40")  # later slots still open
    tuesday.cancelled_at = NOW
    with pytest.raises(Refused, match="cancelled"):
        take(world, tuesday, world.residents[1], "10:00")


def test_cancel_up_to_two_hours_before_frees_the_slot(world, tuesday):
    r = take(world, tuesday, world.residents[0])
    with clock.frozen(local(f"{TUESDAY} 07:00") + timedelta(seconds=1)):
        with pytest.raises(Refused, match="two hours before"):
            cancel_reservation(world.residents[0], r)
    with clock.frozen(local(f"{TUESDAY} 07:00")):
        with pytest.raises(Refused, match="Only the resident"):
            cancel_reservation(world.residents[1], r)
        cancel_reservation(world.residents[0], r)
    assert r.cancelled_at is not None
    take(world, tuesday, world.residents[1])  # the slot is free again
    take(world, tuesday, world.residents[0], "10:00")  # and the resident may come back


def test_record_after_the_slot_began(world, tuesday):
    resident = world.residents[0]
    r = take(world, tuesday, resident)
    with pytest.raises(Refused, match="once its slot has begun"):
        record_reception(world.rep, r, "attended", "电梯", "")
    with clock.frozen(local(f"{TUESDAY} 09:30")):
        with pytest.raises(Refused) as error:
            record_reception(world.rep, r, "attended", " ", "")
        assert error.value.field == "raised"
        for person in (world.rep2, world.admin, resident):
            with pytest.raises(Refused):
                record_reception(person, r, "attended", "电梯", "")
        entry = record_reception(world.rep, r, "attended", "3栋电梯每周停运两次",
                                 "联系物业，两周内答复")
        assert entry.topic_id is None  # set by the Topics package when the matter becomes one
        # Correcting the record tells the resident once only.
        record_reception(world.rep, r, "attended", "3栋电梯每周停运三次", "联系物业")
    assert db.session.scalar(select(func.count(ReceptionRecord.id))) == 1
    notes = db.session.scalars(select(Notification).where(
        Notification.user_id == resident.id)).all()
    assert [n.kind for n in notes] == ["studio.recorded"]


def test_no_show_needs_no_text(world, tuesday):
    r = take(world, tuesday, world.residents[0])
    with clock.frozen(local(f"{TUESDAY} 10:00")):
        entry = record_reception(world.rep, r, "no_show", "", "")
    assert entry.attendance == "no_show"


# --- reminders -----------------------------------------------------------------------------

def test_reminders_the_day_before_are_sent_once(world, tuesday):
    a, b = world.residents[:2]
    take(world, tuesday, a, "09:00")
    gone = take(world, tuesday, b, "09:20")
    cancel_reservation(b, gone)
    wednesday = session_at(world, "2026-12-02 09:00", rep=world.rep2)
    cancelled = session_at(world, f"{TUESDAY} 14:00", rep=world.rep2, cancelled_at=NOW)
    db.session.commit()

    assert send_reminders(NOW) == 2  # Monday: a and 李代表 about Tuesday
    assert send_reminders(NOW + timedelta(hours=5)) == 0  # again later that day: nothing new
    notes = db.session.scalars(select(Notification).order_by(Notification.id)).all()
    assert [(n.user_id, n.kind) for n in notes] == [
        (world.rep.id, "studio.reminder_representative"), (a.id, "studio.reminder")]
    assert notes[0].params["count"] == 1
    assert notes[1].params["time"] == "09:00"
    assert notes[1].url == f"/studio-sessions/{tuesday.id}"
    # Tuesday evening (local) reminds about Wednesday; the cancelled session never.
    assert send_reminders(local(f"{TUESDAY} 20:00")) == 1
    assert db.session.scalars(select(Notification.user_id).where(
        Notification.id > notes[-1].id)).all() == [world.rep2.id]
    assert wednesday.id and cancelled.id


def test_remind_command(app, world, tuesday):
    take(world, tuesday, world.residents[0])
    db.session.commit()
    for expected in (2, 0):
        result = app.test_cli_runner().invoke(args=["studios", "remind"])
        assert result.exit_code == 0
        assert f"Studio reminders sent: {expected}." in result.output
    db.session.rollback()
    assert db.session.scalar(select(func.count(Notification.id))) == 2
