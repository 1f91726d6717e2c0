"""Studio pages over HTTP: each form (good and bad input), privacy of reservations, the
iCalendar feeds, and a fixed number of queries per page whatever the data size."""
from __future__ import annotations

import datetime
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from consult import clock
from consult.accounts.models import RoleGrant
from consult.audit.log import verify_chain
from consult.audit.models import AuditEntry
from consult.extensions import db
from consult.notifications.models import Notification
from consult.studios.models import (
    ReceptionRecord, RepresentativeProfile, Reservation, Room, Studio, StudioSession,
)
from tests.studio_world import NOW, TUESDAY, build, local, session_at


@pytest.fixture(autouse=True)
def frozen_now():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def world(app, english):
    return build()


def slot_key(text: str) -> str:
    return local(text).strftime("%Y-%m-%dT%H:%M")


def html(response) -> str:
    return response.get_data(as_text=True)


def reservation(session, resident, at="09:00", matter="电梯经常停运", day=TUESDAY):
    r = Reservation(session_id=session.id, resident_id=resident.id,
                    slot_start=local(f"{day} {at}"),
                    slot_end=local(f"{day} {at}") + timedelta(minutes=session.slot_minutes),
                    category="property", matter=matter)
    db.session.add(r)
    db.session.flush()
    return r


# --- schedules -----------------------------------------------------------------------------

def test_week_view_shows_free_and_taken_slots_but_no_names(world, client):
    s = session_at(world, f"{TUESDAY} 09:00", focus="加装电梯")
    reservation(s, world.residents[0], matter="我的秘密事项")
    db.session.commit()
    page = html(client.get(f"/studios/{world.studio.id}?week={TUESDAY}"))
    week = page[page.index('id="week"'):page.index("Next sessions")]
    assert "Free slots: 5 of 6 (20 minutes each)." in week
    assert week.count('class="slot taken"') == 1 and week.count('class="slot free"') == 5
    assert "加装电梯" in page and "李代表" in page
    assert world.residents[0].name not in page and "我的秘密事项" not in page
    assert f'href="/studio-sessions/{s.id}"' in page
    # Another week has nothing.
    assert "No sessions this week." in html(client.get(f"/studios/{world.studio.id}"
                                                       "?week=2026-12-14"))
    # Junk in the week parameter falls back to this week.
    assert client.get(f"/studios/{world.studio.id}?week=junk").status_code == 200


def test_representative_profile(world, client):
    profile = db.session.scalar(select(RepresentativeProfile).where(
        RepresentativeProfile.user_id == world.rep.id))
    profile.bio = "<b>二十年社区工作</b>"
    session_at(world, f"{TUESDAY} 09:00")
    db.session.commit()
    page = html(client.get(f"/communities/{world.community.id}/representatives/{world.rep.id}"))
    assert "District people's congress deputy" in page
    assert "第一选区" in page and "&lt;b&gt;二十年社区工作&lt;/b&gt;" in page
    assert "幸福社区人大代表工作室" in page
    # Not a representative of this community: no page.
    assert client.get(f"/communities/{world.community.id}/representatives/"
                      f"{world.residents[0].id}").status_code == 404
    assert client.get(f"/communities/{world.other.id}/representatives/"
                      f"{world.rep.id}").status_code == 404
    # A representative whose role ended keeps the page their past sessions link to.
    db.session.execute(RoleGrant.__table__.delete().where(RoleGrant.user_id == world.rep.id))
    db.session.commit()
    assert client.get(f"/communities/{world.community.id}/representatives/"
                      f"{world.rep.id}").status_code == 200


def test_public_crawl_never_shows_who_reserved(world, client):
    s = session_at(world, f"{TUESDAY} 09:00")
    r = reservation(s, world.residents[0], matter="秘密的事情")
    db.session.add(ReceptionRecord(reservation_id=r.id, attendance="attended",
                                   raised="秘密的记录", follow_up="秘密的答复"))
    db.session.commit()
    secrets = [world.residents[0].name, "秘密的事情", "秘密的记录", "秘密的答复"]
    urls = ["/studios", f"/studios/{world.studio.id}?week={TUESDAY}",
            f"/studios/{world.studio.id}/calendar.ics", f"/studio-sessions/{s.id}",
            f"/communities/{world.community.id}/representatives/{world.rep.id}?week={TUESDAY}",
            f"/communities/{world.community.id}/representatives/{world.rep.id}/calendar.ics"]
    for person in (None, world.residents[1], world.rep2, world.admin):
        c = factories_client(client, person)
        with clock.frozen(local(f"{TUESDAY} 12:00")):
            for url in urls:
                response = c.get(url)
                assert response.status_code == 200, url
                assert not [x for x in secrets if x in html(response)], (person, url)
    # After the session the public sees the count of receptions only.
    with clock.frozen(local(f"{TUESDAY} 12:00")):
        assert "Residents received: 1. Did not come: 0." in html(client.get(
            f"/studio-sessions/{s.id}"))


def factories_client(client, person):
    c = client.application.test_client()
    if person is not None:
        with c.session_transaction() as sess:
            sess["_user_id"] = person.get_id()
    return c


# --- calendars -----------------------------------------------------------------------------

def test_icalendar_feeds(world, client):
    s = session_at(world, f"{TUESDAY} 09:00", focus="加装电梯")
    gone = session_at(world, "2026-12-02 09:00", cancelled_at=NOW, cancel_reason="开会")
    other_rep = session_at(world, "2026-12-03 09:00", rep=world.rep2)
    db.session.commit()
    response = client.get(f"/studios/{world.studio.id}/calendar.ics",
                          headers={"Host": "evil.example"})
    assert response.mimetype == "text/calendar"
    assert b"evil.example" not in response.data  # addresses start at PUBLIC_URL
    calendar = Calendar.from_ical(response.data)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    (tz,) = calendar.walk("VTIMEZONE")
    assert str(tz["TZID"]) == "Asia/Shanghai"
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {f"session-{x.id}@consult" for x in (s, gone, other_rep)}
    first = events[f"session-{s.id}@consult"]
    assert first["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert first.decoded("DTSTART").isoformat() == "2026-12-01T09:00:00+08:00"
    assert first.decoded("DTEND").isoformat() == "2026-12-01T11:00:00+08:00"
    assert str(first["STATUS"]) == "CONFIRMED" and "加装电梯" in str(first["DESCRIPTION"])
    assert str(events[f"session-{gone.id}@consult"]["STATUS"]) == "CANCELLED"
    # A representative's feed has only their sessions.
    feed = Calendar.from_ical(client.get(
        f"/communities/{world.community.id}/representatives/{world.rep2.id}/calendar.ics").data)
    assert [str(e["UID"]) for e in feed.walk("VEVENT")] == [f"session-{other_rep.id}@consult"]


# --- reserving -----------------------------------------------------------------------------

def test_reserve_through_the_form(world, client, login):
    s = session_at(world, f"{TUESDAY} 09:00")
    db.session.commit()
    login(world.residents[0])
    page = html(client.get(f"/studio-sessions/{s.id}"))
    assert 'name="slot"' in page and f'value="{slot_key(TUESDAY + " 09:20")}"' in page
    response = client.post(f"/studio-sessions/{s.id}/reserve",
                           data={"slot": slot_key(f"{TUESDAY} 09:20"), "category": "safety",
                                 "matter": "小区门禁坏了"})
    assert response.status_code == 302
    page = html(client.get(response.headers["Location"]))
    assert "Your reservation" in page and "小区门禁坏了" in page and "09:20–09:40" in page
    assert 'id="cancel-reservation"' in page
    assert 'name="slot"' not in page  # one slot per session
    mine = html(client.get("/me/reservations"))
    assert "小区门禁坏了" in mine and "李代表" in mine


def test_a_slot_taken_meanwhile_keeps_what_was_typed(world, client, login):
    s = session_at(world, f"{TUESDAY} 09:00")
    reservation(s, world.residents[1], at="09:20")
    db.session.commit()
    login(world.residents[0])
    response = client.post(f"/studio-sessions/{s.id}/reserve",
                           data={"slot": slot_key(f"{TUESDAY} 09:20"), "category": "safety",
                                 "matter": "<script>alert(1)</script>门禁"})
    assert response.status_code == 409
    page = html(response)
    assert 'id="slot-error"' in page and "That slot was just taken" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;门禁" in page and "<script>alert" not in page
    assert db.session.scalar(select(func.count(Reservation.id))) == 1


def test_reserve_with_missing_fields(world, client, login):
    s = session_at(world, f"{TUESDAY} 09:00")
    db.session.commit()
    login(world.residents[0])
    response = client.post(f"/studio-sessions/{s.id}/reserve",
                           data={"category": "safety", "matter": "门禁"})
    assert response.status_code == 400
    assert "Choose a free slot." in html(response) and "门禁" in html(response)


def test_unverified_person_is_told_why(world, client, login):
    s = session_at(world, f"{TUESDAY} 09:00")
    db.session.commit()
    login(world.outsider)
    page = html(client.get(f"/studio-sessions/{s.id}"))
    assert "Only verified residents of this community" in page and 'name="slot"' not in page
    assert client.get(f"/studio-sessions/{s.id}").status_code == 200
    anonymous = html(client.application.test_client().get(f"/studio-sessions/{s.id}"))
    assert 'id="login-to-reserve"' in anonymous


def test_cancel_own_reservation_through_the_form(world, client, login):
    s = session_at(world, f"{TUESDAY} 09:00")
    r = reservation(s, world.residents[0])
    db.session.commit()
    login(world.residents[1])
    assert client.post(f"/reservations/{r.id}/cancel").status_code == 404
    login(world.residents[0])
    response = client.post(f"/reservations/{r.id}/cancel", data={"next": "/me/reservations"})
    assert response.headers["Location"] == "/me/reservations"
    db.session.refresh(r)
    assert r.cancelled_at == NOW


# --- representatives -----------------------------------------------------------------------

def stored_bookings(rep) -> list[tuple]:
    """The sessions of ``rep`` and their audit entries as committed, read on a connection of
    their own (what the request's unit of work left uncommitted is not seen there)."""
    with db.engine.connect() as conn:
        starts = conn.execute(select(StudioSession.starts_at, StudioSession.series)
                              .where(StudioSession.representative_id == rep.id)
                              .order_by(StudioSession.starts_at)).all()
        audited = conn.scalar(select(func.count(AuditEntry.id)).where(
            AuditEntry.action == "studio_session.book"))
    return [tuple(row) for row in starts], audited


def test_book_through_the_form_lists_skipped_dates(world, client, login):
    session_at(world, "2026-12-08 10:00", rep=world.rep2)
    db.session.commit()
    login(world.rep)
    assert 'name="weeks"' in html(client.get(f"/studios/{world.studio.id}/book"))
    response = client.post(f"/studios/{world.studio.id}/book", data={
        "room": world.room.id, "day": TUESDAY, "start": "09:00", "end": "11:00",
        "slot_minutes": "20", "weeks": "3", "focus": "老旧小区改造"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/studios/{world.studio.id}?week={TUESDAY}"
    # The skipped week did not undo the others: both are stored, with their audit entries.
    sessions, audited = stored_bookings(world.rep)
    assert [start for start, _ in sessions] == [local("2026-12-01 09:00"),
                                               local("2026-12-15 09:00")]
    assert sessions[0][1] and sessions[0][1] == sessions[1][1] and audited == 2
    page = html(client.get(response.headers["Location"]))
    assert "Booked 2 sessions: 2026-12-01, 2026-12-15." in page
    assert ("Not booked on 2026-12-08: 接待室一 is already booked 10:00–12:00 by 周代表."
            in page)


def test_a_week_the_database_refuses_is_skipped_alone(world, client, login, monkeypatch):
    """A clash that slips past the check (two bookings at the same moment) is refused by the
    database inside that week's savepoint: the weeks before and after it are stored."""
    from consult.studios import booking

    session_at(world, "2026-12-08 10:00", rep=world.rep2)
    db.session.commit()
    checked = set()
    real_check = booking.find_clash

    def check_too_early(room_id, representative_id, starts_at, ends_at):
        # The first look at each date sees no clash (the other booking not yet there); the
        # look after the database's refusal sees it and names it.
        if starts_at not in checked:
            checked.add(starts_at)
            return None
        return real_check(room_id, representative_id, starts_at, ends_at)

    monkeypatch.setattr(booking, "find_clash", check_too_early)
    login(world.rep)
    response = client.post(f"/studios/{world.studio.id}/book", data={
        "room": world.room.id, "day": TUESDAY, "start": "09:00", "end": "11:00",
        "slot_minutes": "20", "weeks": "3"})
    assert response.status_code == 302
    sessions, audited = stored_bookings(world.rep)
    assert [start for start, _ in sessions] == [local("2026-12-01 09:00"),
                                               local("2026-12-15 09:00")]
    assert audited == 2
    page = html(client.get(response.headers["Location"]))
    assert "Booked 2 sessions: 2026-12-01, 2026-12-15." in page
    assert ("Not booked on 2026-12-08: 接待室一 is already booked 10:00–12:00 by 周代表."
            in page)
    assert verify_chain().ok


def test_booking_clash_keeps_what_was_typed(world, client, login):
    session_at(world, f"{TUESDAY} 09:00", rep=world.rep2)
    db.session.commit()
    login(world.rep)
    response = client.post(f"/studios/{world.studio.id}/book", data={
        "room": world.room.id, "day": TUESDAY, "start": "10:00", "end": "11:30",
        "slot_minutes": "15", "weeks": "1", "focus": "停车难"})
    assert response.status_code == 409
    page = html(response)
    assert 'id="room-error"' in page
    assert "接待室一 is already booked 09:00–11:00 by 周代表." in page
    assert 'value="10:00"' in page and 'value="11:30"' in page and 'value="停车难"' in page
    assert 'value="15"' in page


def test_booking_form_shape_errors(world, client, login):
    login(world.rep)
    response = client.post(f"/studios/{world.studio.id}/book", data={
        "room": world.room.id, "day": "", "start": "09:00", "end": "11:00",
        "slot_minutes": "90", "weeks": "1"})
    assert response.status_code == 200
    page = html(response)
    assert "Enter a date like 2026-12-01." in page and "Choose from 10 to 60 minutes." in page
    assert db.session.scalar(select(func.count(StudioSession.id))) == 0


def test_cancel_a_session_through_the_form(world, client, login):
    s = session_at(world, f"{TUESDAY} 09:00")
    reservation(s, world.residents[0])
    db.session.commit()
    login(world.rep)
    response = client.post(f"/studio-sessions/{s.id}/cancel", data={"reason": ""})
    assert response.status_code == 400 and 'id="reason-error"' in html(response)
    response = client.post(f"/studio-sessions/{s.id}/cancel", data={"reason": "参加区人大会议"})
    assert response.status_code == 302
    assert "People notified: 1." in html(client.get(response.headers["Location"]))
    note = db.session.scalar(select(Notification))
    assert note.user_id == world.residents[0].id and note.kind == "studio.cancelled"
    # The resident's notification reads well.
    login(world.residents[0])
    assert "is cancelled. Reason: 参加区人大会议" in html(client.get("/me/notifications"))


def test_representative_sees_reservations_and_records(world, client, login):
    s = session_at(world, f"{TUESDAY} 09:00")
    r = reservation(s, world.residents[0], matter="电梯经常停运")
    db.session.commit()
    login(world.rep)
    page = html(client.get(f"/studio-sessions/{s.id}"))
    assert world.residents[0].name in page and "电梯经常停运" in page
    assert f'id="record-{r.id}"' not in page  # not begun yet
    with clock.frozen(local(f"{TUESDAY} 09:05")):
        page = html(client.get(f"/studio-sessions/{s.id}"))
        assert f'id="record-{r.id}"' in page
        url = f"/studio-sessions/{s.id}/reservations/{r.id}/record"
        response = client.post(url, data={"attendance": "attended", "raised": "",
                                          "follow_up": "两周内答复"})
        assert "Write down what the resident raised." in html(response)
        assert "两周内答复" in html(response)
        response = client.post(url, data={"attendance": "attended",
                                          "raised": "3栋电梯每周停运两次",
                                          "follow_up": "两周内答复"})
        assert response.status_code == 302
    # The resident reads the record; the public only counts it.
    login(world.residents[0])
    mine = html(client.get(f"/studio-sessions/{s.id}"))
    assert "3栋电梯每周停运两次" in mine and "两周内答复" in mine
    assert "3栋电梯每周停运两次" in html(client.get("/me/reservations"))
    # Another representative of the same studio sees nothing private.
    login(world.rep2)
    assert "电梯经常停运" not in html(client.get(f"/studio-sessions/{s.id}"))
    # A reservation of another session is not found through this one.
    other = session_at(world, "2026-12-02 09:00")
    db.session.commit()
    login(world.rep)
    assert client.get(f"/studio-sessions/{other.id}/reservations/{r.id}/record").status_code \
        == 404


def test_my_sessions_counts_what_is_left_to_record(world, client, login):
    s = session_at(world, "2026-11-29 09:00")  # yesterday
    reservation(s, world.residents[0], day="2026-11-29")
    db.session.commit()
    login(world.rep)
    page = html(client.get("/me/studio-sessions"))
    assert "Reserved slots: 1." in page and "Not yet recorded: 1" in page


# --- administration ------------------------------------------------------------------------

def test_admin_creates_and_fills_a_studio(world, client, login):
    login(world.admin)
    base = f"/admin/communities/{world.community.id}/studios"
    response = client.post(base, data={"kind": "cppcc", "name": world.studio.name,
                                       "address": "一号"})
    assert "already has a studio with this name" in html(response)
    assert f'value="{world.studio.name}"' in html(response)
    response = client.post(base, data={"kind": "cppcc", "name": "政协委员工作室",
                                       "address": "东风街道1号"})
    new = db.session.scalar(select(Studio).where(Studio.name == "政协委员工作室"))
    assert response.headers["Location"] == f"/admin/studios/{new.id}"
    assert client.post(f"/admin/studios/{new.id}/rooms",
                       data={"room-name": "议事室"}).status_code == 302
    response = client.post(f"/admin/studios/{new.id}/hours", data={
        "hours-weekday": "2", "hours-opens": "14:00", "hours-closes": "13:00"})
    assert "The closing time must be after the opening time." in html(response)
    assert 'value="14:00"' in html(response)
    client.post(f"/admin/studios/{new.id}/hours", data={
        "hours-weekday": "2", "hours-opens": "14:00", "hours-closes": "17:00"})
    response = client.post(f"/admin/studios/{new.id}/hours", data={
        "hours-weekday": "2", "hours-opens": "16:00", "hours-closes": "18:00"})
    assert "overlaps the opening hours 14:00–17:00" in html(response)
    client.post(f"/admin/studios/{new.id}/representatives", data={"attach-user": world.rep2.id})
    response = client.post(f"/admin/studios/{new.id}/representatives",
                           data={"attach-user": world.residents[0].id})
    assert "Choose one of the representatives listed." in html(response)
    db.session.expire_all()
    new = db.session.get(Studio, new.id)
    assert [r.name for r in new.rooms] == ["议事室"]
    assert [(h.weekday, str(h.opens)) for h in new.hours] == [(2, "14:00:00")]
    assert new.representative_ids == {world.rep2.id}


def test_room_with_sessions_cannot_be_deleted(world, client, login):
    session_at(world, f"{TUESDAY} 09:00")
    db.session.commit()
    login(world.admin)
    response = client.post(f"/admin/studios/{world.studio.id}/rooms/{world.room.id}/delete")
    assert "cannot be deleted: 1 sessions were booked" in html(client.get(
        response.headers["Location"]))
    assert db.session.get(Room, world.room.id) is not None


def test_admin_edits_a_profile(world, client, login):
    login(world.admin)
    url = f"/admin/communities/{world.community.id}/representatives/{world.rep2.id}/profile"
    assert 'value="第一选区"' in html(client.get(url))
    response = client.post(url, data={"body": "district_cppcc", "area_served": "",
                                      "bio": "退休教师"})
    assert "Please fill this in." in html(response) and "退休教师" in html(response)
    client.post(url, data={"body": "district_cppcc", "area_served": "东风街道",
                           "bio": "退休教师"})
    page = html(client.get(f"/communities/{world.community.id}/representatives/"
                           f"{world.rep2.id}"))
    assert "District CPPCC member" in page and "东风街道" in page and "退休教师" in page


# --- a fixed number of queries per page ----------------------------------------------------

def _fill(world, sessions_per_day: int, residents, first_hour: int) -> None:
    """``sessions_per_day`` sessions every day of the week of TUESDAY and the next, alternating
    rooms and representatives, every slot of the first ones reserved."""
    rooms = [world.room, world.room2]
    for day in range(14):
        date = (local("2026-11-30 09:00") + timedelta(days=day)).date().isoformat()
        for i in range(sessions_per_day):
            room, rep = rooms[i % 2], (world.rep, world.rep2)[i % 2]
            hour = first_hour + i // 2
            start = f"{date} {hour:02d}:00"
            s = session_at(world, start, minutes=60, rep=rep, room=room)
            for k, resident in enumerate(residents[:3]):
                r = reservation(s, resident, at=f"{hour:02d}:{k * 20:02d}", day=date)
                # Matters followed up: the first answered (its resident rates it), the others
                # overdue (on the representative's list, counted on the studio's page).
                db.session.add(ReceptionRecord(
                    reservation_id=r.id, attendance="attended", raised="电梯",
                    matter_status="answered" if k == 0 else "handling",
                    answer="已修好" if k == 0 else "", due_on=datetime.date(2026, 11, 1)))
    db.session.commit()


@pytest.mark.parametrize("who", ["visitor", "resident", "representative"])
def test_pages_run_a_fixed_number_of_queries(app, world, login, count_queries, who):
    person = {"visitor": None, "resident": world.residents[0], "representative": world.rep}[who]

    def measure():
        client = app.test_client()
        if person is not None:
            login(person, client)
        first = db.session.scalar(select(StudioSession.id).order_by(StudioSession.id))
        counts = []
        for url in (f"/studios/{world.studio.id}?week={TUESDAY}",
                    f"/communities/{world.community.id}/representatives/{world.rep.id}"
                    f"?week={TUESDAY}",
                    f"/studio-sessions/{first}", "/studios", "/me/reservations",
                    "/me/studio-sessions"):
            if url.startswith("/me") and person is None:
                continue
            db.session.expire_all()
            with count_queries() as n:
                assert client.get(url).status_code == 200, url
            counts.append(n.count)
        return counts

    _fill(world, 1, world.residents, first_hour=9)
    small = measure()
    _fill(world, 3, world.residents, first_hour=14)
    large = measure()
    assert small == large, (small, large)
    assert max(small) <= 14


def test_names_typed_by_people_are_escaped_in_messages(world, client, login):
    world.room.name = "<b>接待室</b>"
    session_at(world, f"{TUESDAY} 09:00", rep=world.rep2)
    db.session.commit()
    login(world.rep)
    response = client.post(f"/studios/{world.studio.id}/book", data={
        "room": world.room.id, "day": TUESDAY, "start": "09:00", "end": "10:00",
        "slot_minutes": "20", "weeks": "1"})
    page = html(response)
    assert "&lt;b&gt;接待室&lt;/b&gt; is already booked" in page and "<b>接待室</b>" not in page
