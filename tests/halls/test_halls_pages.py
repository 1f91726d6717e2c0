"""Hall pages over HTTP: each form (good and bad input, typed text kept), drafts never public,
the printable page, the iCalendar feeds, and fixed query counts whatever the data size."""
from __future__ import annotations

import gc
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from consult import clock
from consult.extensions import db
from consult.halls import minutes as rules
from consult.halls import service
from consult.halls.minutes import DraftInput, ResolutionInput
from consult.halls.models import Hall, Meeting, Registration
from tests import factories
from tests.hall_world import NOW, TUESDAY, build, local

pytestmark = pytest.mark.usefixtures("english")

AFTER = local(f"{TUESDAY} 11:00")


@pytest.fixture(autouse=True)
def frozen_now():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def world(app):
    return build()


def html(response) -> str:
    return response.get_data(as_text=True)


def scheduled(world, start="09:00", end="10:00", topics=None, title="十二月居民议事会"):
    meeting = service.schedule_meeting(
        world.secretary, world.community, hall_id=world.hall.id, day=TUESDAY, start=start,
        end=end, title=title, topic_ids=[str(t.id) for t in (topics or [world.topic])])
    db.session.commit()
    return meeting


def published(world, meeting, spec=None, body="居民踊跃发言。"):
    spec = spec or {"kind": "vote", "question": "是否加装扶手？", "options": "同意\n反对\n弃权"}
    rules.save_draft(world.secretary, meeting, DraftInput(
        present_count=20, officials_present="李代表", residents_count=15, body=body,
        resolutions=[ResolutionInput(topic_id=world.topic.id, summary="讨论热烈。", **spec)]))
    with clock.frozen(AFTER):
        rules.publish(world.secretary, meeting)
    db.session.commit()


# --- halls ---------------------------------------------------------------------------------

def test_admin_creates_a_hall(world, client, login):
    login(world.admin)
    url = f"/communities/{world.community.id}/halls/new"
    assert client.get(url).status_code == 200
    bad = client.post(url, data={"name": "居民议事厅", "address": "三楼<b>", "capacity": "10"})
    assert bad.status_code == 400
    page = html(bad)
    assert "already has a hall of that name" in page and 'value="三楼&lt;b&gt;"' in page
    bad = client.post(url, data={"name": "新厅", "capacity": "0"})
    assert bad.status_code == 400 and "from 1 to 2000" in html(bad)
    good = client.post(url, data={"name": "新议事厅", "address": "三楼", "capacity": "40",
                                  "accessibility": "有电梯"})
    assert good.status_code == 302
    hall = db.session.scalar(select(Hall).where(Hall.name == "新议事厅"))
    assert hall.capacity == 40 and good.headers["Location"] == f"/halls/{hall.id}"
    edit = client.post(f"/halls/{hall.id}/edit", data={"name": "新议事厅", "address": "四楼",
                                                       "capacity": "45"})
    assert edit.status_code == 302
    db.session.refresh(hall)
    assert hall.address == "四楼" and hall.capacity == 45


# --- scheduling ----------------------------------------------------------------------------

def form(world, **changes):
    data = {"hall": str(world.hall.id), "title": "十二月居民议事会", "day": TUESDAY,
            "start": "09:00", "end": "10:00", "topics": [str(world.topic.id)]}
    data.update(changes)
    return data


def test_schedule_form(world, client, login):
    login(world.secretary)
    url = f"/communities/{world.community.id}/meetings/new"
    page = html(client.get(url + f"?hall={world.hall.id}"))
    assert f'id="topic-{world.topic.id}"' in page and "楼道加装扶手" in page
    # Comments still open: offered, for a meeting that starts after they close.
    assert f'id="topic-{world.open_topic.id}"' in page
    missing = client.post(url, data=form(world, topics=[], title="我的标题"))
    assert missing.status_code == 400
    assert "Put at least one topic on the agenda." in html(missing)
    assert 'value="我的标题"' in html(missing)
    response = client.post(url, data=form(world))
    assert response.status_code == 302
    meeting = db.session.scalar(select(Meeting))
    assert response.headers["Location"] == f"/meetings/{meeting.id}"
    db.session.refresh(world.topic)
    assert world.topic.stage == "deliberating"
    # The same hall at an overlapping time: 409, the clash named, what was typed kept.
    t2 = factories.topic(world.community, title="另一个议题", days=-1)
    db.session.commit()
    clash = client.post(url, data=form(world, start="09:30", end="10:30", title="撞车的会",
                                       topics=[str(t2.id)]))
    assert clash.status_code == 409
    page = html(clash)
    assert ("居民议事厅 is already booked on 2026-12-01, 09:00–10:00, for the meeting "
            "“十二月居民议事会”.") in page
    assert 'value="撞车的会"' in page and 'value="09:30"' in page
    assert f'id="topic-{t2.id}" checked' in page
    assert client.post(url, data=form(world, start="10:00", end="11:00",
                                      topics=[str(t2.id)])).status_code == 302


def test_reschedule_and_cancel_forms(world, client, login):
    meeting = scheduled(world)
    service.register(world.residents[0], meeting)
    db.session.commit()
    login(world.secretary)
    page = html(client.get(f"/meetings/{meeting.id}/reschedule"))
    assert 'value="2026-12-01"' in page and 'value="09:00"' in page
    bad = client.post(f"/meetings/{meeting.id}/reschedule",
                      data={"hall": str(world.hall.id), "title": "改期", "day": TUESDAY,
                            "start": "11:00", "end": "10:00"})
    assert bad.status_code == 400 and "The end must be after the start." in html(bad)
    good = client.post(f"/meetings/{meeting.id}/reschedule",
                       data={"hall": str(world.big_hall.id), "title": "改期", "day": TUESDAY,
                             "start": "14:00", "end": "16:00"})
    assert good.status_code == 302
    empty = client.post(f"/meetings/{meeting.id}/cancel", data={"reason": ""})
    assert empty.status_code == 400 and "Say why the meeting is cancelled" in html(empty)
    done = client.post(f"/meetings/{meeting.id}/cancel", data={"reason": "场地<维修>"})
    assert done.status_code == 302
    page = html(client.get(f"/meetings/{meeting.id}"))
    assert 'id="cancelled"' in page and "场地&lt;维修&gt;" in page


# --- registration --------------------------------------------------------------------------

def test_register_waiting_list_and_unregister(world, client, login):
    meeting = scheduled(world)
    for r in world.residents[:2]:
        service.register(r, meeting)
    db.session.commit()
    login(world.residents[2])
    page = html(client.get(f"/meetings/{meeting.id}"))
    assert "Seats: 2 of 2 taken; 0 on the waiting list." in page and 'id="register"' in page
    response = client.post(f"/meetings/{meeting.id}/register")
    assert response.status_code == 302
    page = html(client.get(f"/meetings/{meeting.id}"))
    assert "You are on the waiting list, number 1." in page
    assert client.post(f"/meetings/{meeting.id}/register").status_code == 409
    login(world.residents[0])
    assert client.post(f"/meetings/{meeting.id}/unregister").status_code == 302
    login(world.residents[2])
    page = html(client.get(f"/meetings/{meeting.id}"))
    assert 'data-status="confirmed"' in page
    # Who registered is for the office only.
    assert "居民1" not in page
    login(world.secretary)
    assert "居民1" in html(client.get(f"/meetings/{meeting.id}"))


def test_why_one_cannot_register(world, client, login):
    meeting = scheduled(world)
    assert "Log in to register" in html(client.get(f"/meetings/{meeting.id}"))
    login(world.outsider)
    assert "Only verified residents of this community" in html(
        client.get(f"/meetings/{meeting.id}"))


# --- minutes -------------------------------------------------------------------------------

def minutes_form(world, **res):
    p = f"res-{world.topic.id}-"
    data = {"present_count": "20", "officials_present": "李代表", "residents_count": "15",
            "body": "## 过程\n\n<script>x</script>居民踊跃发言。", "action": "save",
            p + "summary": "讨论热烈。", p + "kind": "vote", p + "question": "是否加装扶手？",
            p + "options": "同意\n反对\n弃权"}
    data.update({p + k: v for k, v in res.items()})
    return data


def test_write_preview_and_publish_minutes(world, client, login):
    meeting = scheduled(world)
    login(world.secretary)
    url = f"/meetings/{meeting.id}/minutes/edit"
    page = html(client.get(url))
    assert f'name="res-{world.topic.id}-kind"' in page
    bad = client.post(url, data={**minutes_form(world), "residents_count": "30"})
    assert bad.status_code == 400 and "cannot be more than everyone present" in html(bad)
    assert "是否加装扶手？" in html(bad)  # typed text kept
    bad = client.post(url, data=minutes_form(world, comment_days="99"))
    assert bad.status_code == 400
    assert f'id="res-{world.topic.id}-comment_days-error"' in html(bad)
    saved = client.post(url, data={**minutes_form(world), "action": "preview"})
    assert saved.headers["Location"] == f"/meetings/{meeting.id}/minutes/preview"
    preview = html(client.get(saved.headers["Location"]))
    assert "是否加装扶手？" in preview and "&lt;script&gt;x" in preview
    assert "<script>x" not in preview
    assert 'id="publish-minutes"' not in preview  # the meeting has not begun yet

    # Nobody else sees the draft.
    client.post("/logout")
    visitor = client.application.test_client()
    assert visitor.get(f"/meetings/{meeting.id}/minutes").status_code == 404
    assert "是否加装扶手？" not in html(visitor.get(f"/meetings/{meeting.id}"))
    assert "是否加装扶手？" not in html(visitor.get(f"/topics/{world.topic.id}"))

    login(world.secretary)
    with clock.frozen(AFTER):
        assert 'id="publish-minutes"' in html(client.get(
            f"/meetings/{meeting.id}/minutes/preview"))
        response = client.post(f"/meetings/{meeting.id}/minutes/publish")
    assert response.headers["Location"] == f"/meetings/{meeting.id}/minutes"
    page = html(visitor.get(f"/meetings/{meeting.id}/minutes"))
    assert "是否加装扶手？" in page and "<h2>过程</h2>" in page
    topic_page = html(visitor.get(f"/topics/{world.topic.id}"))
    assert f'href="/meetings/{meeting.id}/minutes#resolution-{world.topic.id}"' in topic_page
    assert rules.vote_resolution(world.topic).options == ["同意", "反对", "弃权"]


def test_publishing_an_incomplete_draft_says_what_is_missing(world, client, login):
    meeting = scheduled(world)
    login(world.secretary)
    client.post(f"/meetings/{meeting.id}/minutes/edit",
                data=minutes_form(world, kind="no_action", reason=""))
    with clock.frozen(AFTER):
        preview = html(client.get(f"/meetings/{meeting.id}/minutes/preview"))
        assert "Give the reason for no further action" in preview
        response = client.post(f"/meetings/{meeting.id}/minutes/publish",
                               follow_redirects=True)
    assert "Give the reason for no further action" in html(response)
    db.session.refresh(world.topic)
    assert world.topic.stage == "deliberating"


def test_correction_revisions_and_diff(world, client, login):
    meeting = scheduled(world)
    published(world, meeting)
    login(world.secretary)
    with clock.frozen(AFTER + timedelta(hours=1)):
        empty = client.post(f"/meetings/{meeting.id}/minutes/correct", data={"note": ""})
        assert empty.status_code == 400
        started = client.post(f"/meetings/{meeting.id}/minutes/correct",
                              data={"note": "补充出席代表"})
        assert started.headers["Location"] == f"/meetings/{meeting.id}/minutes/edit"
        client.post(f"/meetings/{meeting.id}/minutes/edit",
                    data={**minutes_form(world), "officials_present": "李代表, 周委员",
                          "body": "居民踊跃发言。"})
        client.post(f"/meetings/{meeting.id}/minutes/publish")
    visitor = client.application.test_client()
    page = html(visitor.get(f"/meetings/{meeting.id}/minutes"))
    assert "补充出席代表" in page and "李代表, 周委员" in page
    assert f'href="/meetings/{meeting.id}/minutes/revisions/1"' in page
    first = html(visitor.get(f"/meetings/{meeting.id}/minutes/revisions/1"))
    assert "李代表, 周委员" not in first and 'id="diff"' not in first
    second = html(visitor.get(f"/meetings/{meeting.id}/minutes/revisions/2"))
    assert ('<del class="diff-line"><span class="diff-label">Removed:</span> Representatives '
            'and committee members present: 李代表</del>') in second
    assert ('<ins class="diff-line"><span class="diff-label">Added:</span> Representatives '
            'and committee members present: 李代表, 周委员</ins>') in second
    assert visitor.get(f"/meetings/{meeting.id}/minutes/revisions/3").status_code == 404


def test_printable_minutes(world, client):
    meeting = scheduled(world)
    published(world, meeting)
    page = html(client.get(f"/meetings/{meeting.id}/minutes/print",
                           headers={"Host": "evil.example"}))
    # The printed address is the site's PUBLIC_URL, never the request's Host.
    assert f"http://127.0.0.1:5000/meetings/{meeting.id}/minutes" in page and "evil" not in page
    assert 'id="printable"' in page and "是否加装扶手？" in page and "幸福社区" in page
    assert "style=" not in page and "<style" not in page
    css = client.get("/static/css/site.css").get_data(as_text=True)
    assert "@media print" in css and ".no-print" in css


# --- pages and feeds -----------------------------------------------------------------------

def test_hall_page_month_calendar(world, client):
    meeting = scheduled(world)
    page = html(client.get(f"/halls/{world.hall.id}?month=2026-12"))
    assert "<caption>2026-12</caption>" in page
    assert f'href="/meetings/{meeting.id}">09:00 十二月居民议事会</a>' in page
    assert 'href="/halls/%d?month=2026-11#month"' % world.hall.id in page
    assert 'href="/halls/%d?month=2027-01#month"' % world.hall.id in page
    january = html(client.get(f"/halls/{world.hall.id}?month=2027-01"))
    assert "<caption>2027-01</caption>" in january
    assert 'class="day-meeting' not in january  # listed as upcoming, not in January
    assert client.get(f"/halls/{world.hall.id}?month=junk").status_code == 200
    assert client.get("/halls/999").status_code == 404


def test_meeting_page_agenda_links_to_topics(world, client):
    meeting = scheduled(world)
    page = html(client.get(f"/meetings/{meeting.id}"))
    assert f'href="/topics/{world.topic.id}">楼道加装扶手</a>' in page


def test_ical_feeds(world, client):
    meeting = scheduled(world)
    t2 = factories.topic(world.community, title="另一个议题", days=-1)
    db.session.commit()
    other = scheduled(world, "14:00", "15:00", topics=[t2], title="下午的会")
    service.cancel_meeting(world.secretary, other, "下雨")
    db.session.commit()
    for url in (f"/halls/{world.hall.id}/calendar.ics",
                f"/communities/{world.community.id}/meetings.ics"):
        response = client.get(url, headers={"Host": "evil.example"})
        assert response.mimetype == "text/calendar"
        cal = Calendar.from_ical(response.data)
        assert [tz["tzid"] for tz in cal.walk("VTIMEZONE")] == ["Asia/Shanghai"]
        events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
        assert set(events) == {f"meeting-{meeting.id}@consult", f"meeting-{other.id}@consult"}
        first = events[f"meeting-{meeting.id}@consult"]
        assert str(first["summary"]) == "十二月居民议事会"
        start = first.decoded("dtstart")
        assert str(start.tzinfo) == "Asia/Shanghai" and start.hour == 9
        assert first.decoded("dtend").hour == 10
        assert str(first["status"]) == "CONFIRMED"
        cancelled = events[f"meeting-{other.id}@consult"]
        assert str(cancelled["status"]) == "CANCELLED" and int(cancelled["sequence"]) == 1
        assert str(first["url"]) == f"http://127.0.0.1:5000/meetings/{meeting.id}"  # PUBLIC_URL
    assert client.get("/communities/999/meetings.ics").status_code == 404


def _fill(world, n: int):
    """n more meetings (each a topic on its agenda, some registrations and minutes)."""
    start = local("2026-12-02 09:00")
    for i in range(n):
        t = factories.topic(world.community, title=f"议题{i}", days=-1, stage="deliberating")
        m = factories.meeting(world.hall, start + timedelta(days=i), topics=[t],
                              title=f"会议{i}")
        db.session.add(Registration(meeting_id=m.id, user_id=world.residents[i % 4].id,
                                    status="confirmed"))
    db.session.commit()


@pytest.mark.parametrize("who", ["visitor", "resident", "secretary"])
def test_hall_and_meeting_pages_run_a_fixed_number_of_queries(world, client, login, who,
                                                              count_queries):
    meeting = scheduled(world)
    service.register(world.residents[0], meeting)
    db.session.commit()
    published(world, meeting)
    if who != "visitor":
        login(world.residents[0] if who == "resident" else world.secretary)

    def measure():
        db.session.expire_all()  # the logged-in user is read by each first request alike
        # Drop what nothing refers to any more, so both rounds start from the same identity map:
        # an expired minutes resolution still held by an uncollected cycle costs one more
        # query, and when the cycle collector runs depends on what ran before.
        gc.collect()
        counts = []
        for url in (f"/halls/{world.hall.id}?month=2026-12", f"/meetings/{meeting.id}",
                    f"/meetings/{meeting.id}/minutes",
                    f"/communities/{world.community.id}/halls",
                    f"/topics/{world.topic.id}"):
            with count_queries() as n:
                assert client.get(url).status_code == 200
            counts.append(n.count)
        return counts

    small = measure()
    _fill(world, 25)
    for r in world.residents[1:]:
        service.register(r, meeting)
    db.session.commit()
    assert measure() == small
