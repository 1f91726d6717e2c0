"""Matters raised at a reception, followed to the end: the representative's steps, the
resident's rating, overdue matters (for the representative, counted for the public), and the
forms over HTTP with every role that is refused."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from consult import clock
from consult.extensions import db
from consult.notifications.models import Notification
from consult.refusals import Refused
from consult.studios import matters, queries
from consult.studios.reception import record_reception
from consult.studios.models import Reservation
from tests.studio_world import NOW, build, local, session_at

YESTERDAY = "2026-11-29"  # the session was yesterday; NOW is 2026-11-30 10:00 local
TODAY = date(2026, 11, 30)


@pytest.fixture(autouse=True)
def frozen_now():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def world(app, english):
    return build()


def received(world, resident, at="09:00", attendance="attended", rep=None, day=YESTERDAY,
             session=None):
    """A reservation of ``resident`` in a past session, recorded."""
    s = session or session_at(world, f"{day} 09:00", rep=rep)
    r = Reservation(session_id=s.id, resident_id=resident.id, slot_start=local(f"{day} {at}"),
                    slot_end=local(f"{day} {at}") + timedelta(minutes=20), category="property",
                    matter="电梯经常停运")
    db.session.add(r)
    db.session.flush()
    record_reception(rep or world.rep, r, attendance,
                     "3栋电梯每周停运两次" if attendance == "attended" else "", "两周内答复")
    db.session.commit()
    return r


def kinds(user) -> list[str]:
    return list(db.session.scalars(select(Notification.kind).where(
        Notification.user_id == user.id).order_by(Notification.id)))


def html(response) -> str:
    return response.get_data(as_text=True)


# --- the service ---------------------------------------------------------------------------

def test_a_matter_from_recorded_to_answered_and_rated(app, world):
    resident = world.residents[0]
    entry = received(world, resident).record
    assert entry.matter_status == "recorded" and entry.due_on is None
    with app.test_request_context():
        matters.start_handling(world.rep, entry)
        assert entry.matter_status == "handling"
        with pytest.raises(Refused, match="already being handled"):
            matters.start_handling(world.rep, entry)
        with pytest.raises(Refused) as error:
            matters.set_due_date(world.rep, entry, "2026-11-29")
        assert error.value.field == "due_on"
        with pytest.raises(Refused) as error:
            matters.set_due_date(world.rep, entry, "next week")
        assert error.value.field == "due_on"
        matters.set_due_date(world.rep, entry, " 2026-12-14 ")
        assert entry.due_on == date(2026, 12, 14)
        with pytest.raises(Refused, match="rated once it is answered"):
            matters.rate(resident, entry, 5, "")
        with pytest.raises(Refused) as error:
            matters.answer(world.rep, entry, "  ")
        assert error.value.field == "answer"
        matters.answer(world.rep, entry, "物业已更换电梯控制板")
        assert (entry.matter_status, entry.answer) == ("answered", "物业已更换电梯控制板")
        with pytest.raises(Refused, match="already answered"):
            matters.set_due_date(world.rep, entry, "2026-12-20")
        with pytest.raises(Refused, match="Only the resident who raised"):
            matters.rate(world.residents[1], entry, 5, "")
        assert matters.rate(resident, entry, 4, "") is False
        with pytest.raises(Refused, match="already rated"):
            matters.rate(resident, entry, 5, "")
    assert entry.matter_status == "answered" and entry.rating == 4
    assert kinds(resident) == ["studio.recorded", "studio.matter_answered"]


def test_a_low_rating_reopens_the_matter_once(app, world):
    resident = world.residents[0]
    entry = received(world, resident).record
    with app.test_request_context():
        matters.answer(world.rep, entry, "已转交物业")  # straight from recorded
        with pytest.raises(Refused) as error:
            matters.rate(resident, entry, 2, " ")
        assert error.value.field == "reason"
        assert matters.rate(resident, entry, 2, "物业没有回复") is True
        assert entry.matter_status == "handling"
        assert (entry.reopen_reason, entry.reopened_at) == ("物业没有回复", NOW)
        matters.answer(world.rep, entry, "已约物业经理周五上门")
        assert entry.rating is None  # the new answer is rated afresh
        # A second low rating is kept, but the matter stays answered.
        assert matters.rate(resident, entry, 1, "还是没有修") is False
    assert (entry.matter_status, entry.rating, entry.rating_reason) == ("answered", 1,
                                                                        "还是没有修")
    assert entry.reopen_reason == "物业没有回复"
    assert kinds(world.rep) == ["studio.matter_reopened"]
    assert kinds(resident).count("studio.matter_answered") == 2


def test_only_the_sessions_representative_follows_its_matters(app, world):
    resident = world.residents[0]
    entry = received(world, resident).record
    with app.test_request_context():
        for person in (world.rep2, world.admin, world.secretary, resident, world.outsider):
            for step in (lambda p: matters.start_handling(p, entry),
                         lambda p: matters.set_due_date(p, entry, "2026-12-14"),
                         lambda p: matters.answer(p, entry, "答复")):
                with pytest.raises(Refused) as error:
                    step(person)
                assert error.value.forbidding
    assert entry.matter_status == "recorded"


def test_a_resident_who_did_not_come_raised_no_matter(app, world):
    entry = received(world, world.residents[0], attendance="no_show").record
    with app.test_request_context(), pytest.raises(Refused, match="did not come"):
        matters.start_handling(world.rep, entry)


# --- overdue -------------------------------------------------------------------------------

def test_overdue_matters_in_one_query(app, world, count_queries):
    a, b, c, d = world.residents[:4]
    s = session_at(world, f"{YESTERDAY} 09:00")
    late = received(world, a, "09:00", session=s).record
    later = received(world, b, "09:20", session=s).record
    on_time = received(world, c, "09:40", session=s).record
    answered = received(world, d, "10:00", session=s).record
    other_rep = received(world, world.residents[4], rep=world.rep2, day="2026-11-28").record
    with clock.frozen(local("2026-11-20 10:00")), app.test_request_context():
        for entry, due in ((late, "2026-11-25"), (later, "2026-11-28"), (on_time, "2026-11-30"),
                           (answered, "2026-11-25")):
            matters.set_due_date(world.rep, entry, due)
        matters.set_due_date(world.rep2, other_rep, "2026-11-25")
    with app.test_request_context():
        matters.answer(world.rep, answered, "已解决")
    db.session.commit()
    db.session.expire_all()
    rep, studio_id = world.rep, world.studio.id  # loaded before counting
    rep.id
    with count_queries() as n:
        found = queries.overdue_matters(rep)
        assert [(e.id, e.reservation.resident.name, e.reservation.session.studio.name)
                for e in found] == [(late.id, a.name, world.studio.name),
                                    (later.id, b.name, world.studio.name)]
    assert n.count == 1
    assert queries.overdue_matters(world.rep, today=date(2026, 12, 1))[-1].id == on_time.id
    with count_queries() as n:
        assert queries.overdue_count(studio_id) == 3  # both representatives' matters
    assert n.count == 1


# --- over HTTP -----------------------------------------------------------------------------

def matter_url(r, step: str) -> str:
    return f"/studio-sessions/{r.session_id}/reservations/{r.id}/{step}"


def test_the_representatives_forms(world, client, login):
    r = received(world, world.residents[0])
    login(world.rep)
    page = html(client.get(matter_url(r, "record")))
    assert 'id="matter-handling"' in page and "Recorded" in page
    assert client.post(matter_url(r, "handling")).status_code == 302
    assert r.record.matter_status == "handling"
    # Refused: the message is flashed and nothing changes.
    response = client.post(matter_url(r, "handling"), follow_redirects=True)
    assert "already being handled" in html(response)
    response = client.post(matter_url(r, "due"), data={"due_on": "2026-11-01"})
    assert response.status_code == 400
    page = html(response)
    assert 'id="due_on-error"' in page and "cannot be in the past" in page
    assert "2026-11-01" in page  # what was typed is kept
    response = client.post(matter_url(r, "due"), data={"due_on": ""})
    assert response.status_code == 400 and "Enter a date like" in html(response)
    assert client.post(matter_url(r, "due"), data={"due_on": "2026-12-14"}).status_code == 302
    db.session.expire_all()
    assert r.record.due_on == date(2026, 12, 14)
    response = client.post(matter_url(r, "answer"), data={"answer": ""})
    assert response.status_code == 400 and 'id="answer-error"' in html(response)
    response = client.post(matter_url(r, "answer"), data={"answer": "电梯已修好"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (r.record.matter_status, r.record.answer) == ("answered", "电梯已修好")
    page = html(client.get(f"/studio-sessions/{r.session_id}"))
    assert f'id="matter-status-{r.id}"' in page and "Answered" in page
    assert 'id="matter-answer"' not in html(client.get(matter_url(r, "record")))
    # A no-show holds no matter: no form, and posting is refused.
    gone = received(world, world.residents[1], "09:20",
                    session=db.session.get(Reservation, r.id).session, attendance="no_show")
    assert 'id="matter-handling"' not in html(client.get(matter_url(gone, "record")))
    response = client.post(matter_url(gone, "handling"), follow_redirects=True)
    assert "did not come" in html(response)
    # Nothing recorded yet: no matter to follow.
    waiting = Reservation(session_id=r.session_id, resident_id=world.residents[2].id,
                          slot_start=local(f"{YESTERDAY} 09:40"),
                          slot_end=local(f"{YESTERDAY} 10:00"), category="other", matter="噪音")
    db.session.add(waiting)
    db.session.commit()
    assert client.post(matter_url(waiting, "handling")).status_code == 404


@pytest.mark.parametrize("step, data", [("handling", {}), ("due", {"due_on": "2026-12-14"}),
                                        ("answer", {"answer": "答复"})])
def test_every_other_role_is_refused_the_representatives_forms(world, app, login, step, data):
    r = received(world, world.residents[0])
    for person, status in ((None, 302), (world.rep2, 403), (world.admin, 403),
                           (world.secretary, 403), (world.residents[0], 403),
                           (world.outsider, 403)):
        client = app.test_client()
        if person is not None:
            login(person, client)
        response = client.post(matter_url(r, step), data=data)
        assert response.status_code == status, person
        if person is None:
            assert "/login" in response.headers["Location"]
    db.session.expire_all()
    assert (r.record.matter_status, r.record.due_on, r.record.answer) == ("recorded", None, "")


def test_the_resident_reads_and_rates_the_answer(app, world, client, login):
    resident = world.residents[0]
    r = received(world, resident)
    login(resident)
    page = html(client.get("/me/reservations"))
    assert "Recorded" in page and f'id="rate-{r.id}"' not in page
    with app.test_request_context():
        matters.set_due_date(world.rep, r.record, "2026-12-14")
        matters.answer(world.rep, r.record, "电梯已修好")
    db.session.commit()
    page = html(client.get("/me/reservations"))
    assert "电梯已修好" in page and "2026-12-14" in page and f'id="rate-{r.id}"' in page
    url = f"/reservations/{r.id}/rate"
    # Another resident's matter does not exist for them; a visitor is sent to log in.
    for person, status in ((world.residents[1], 404), (world.rep, 404), (world.admin, 404),
                           (None, 302)):
        other = app.test_client()
        if person is not None:
            login(person, other)
        assert other.post(url, data={"rating": "5"}).status_code == status
    response = client.post(url, data={"rating": "1", "reason": ""})
    assert response.status_code == 400
    page = html(response)
    assert f'id="reason-{r.id}-error"' in page and "Say what is missing" in page
    response = client.post(url, data={"rating": "9"})
    assert response.status_code == 400 and "Choose from 1 to 5." in html(response)
    response = client.post(url, data={"rating": "2", "reason": "只修了一半"},
                           follow_redirects=True)
    assert "goes back to the representative" in html(response)
    db.session.expire_all()
    assert (r.record.matter_status, r.record.rating) == ("handling", 2)
    page = html(client.get("/me/reservations"))
    assert "Being handled" in page and "只修了一半" in page and f'id="rate-{r.id}"' not in page
    # Answered again and rated low again: kept, not reopened, and the resident is told so.
    with app.test_request_context():
        matters.answer(world.rep, r.record, "已全部修好")
    db.session.commit()
    client.post(url, data={"rating": "1", "reason": "还是坏的"})
    db.session.expire_all()
    assert (r.record.matter_status, r.record.rating) == ("answered", 1)
    assert "reopened once already" in html(client.get("/me/reservations"))
    response = client.post(url, data={"rating": "5"}, follow_redirects=True)
    assert "already rated" in html(response)


def test_overdue_counts_on_the_public_page_and_the_list_on_my_sessions(app, world, client,
                                                                       login):
    resident = world.residents[0]
    r = received(world, resident)
    with clock.frozen(local("2026-11-29 12:00")), app.test_request_context():
        matters.set_due_date(world.rep, r.record, "2026-11-29")
    db.session.commit()
    page = html(client.get(f"/studios/{world.studio.id}"))
    assert "Matters whose promised answer is overdue: 1." in page
    assert resident.name not in page and "电梯" not in page
    login(world.rep)
    page = html(client.get("/me/studio-sessions"))
    assert "Overdue matters: 1" in page and resident.name in page
    login(world.rep2)
    assert "Overdue matters" not in html(client.get("/me/studio-sessions"))
