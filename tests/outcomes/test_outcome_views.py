"""Outcome pages: each form, each refusal, the board, the Atom feed, the topic page."""
from __future__ import annotations

from datetime import timedelta

import feedparser
import pytest

from consult import clock
from consult.extensions import db
from consult.outcomes import service
from tests import outcome_world as ow
from tests import pages

pytestmark = pytest.mark.usefixtures("english")
DAY = timedelta(days=1)


def in_main(page: str) -> str:
    """The page's <main>: what it shows, without the header's and the tab bar's icons."""
    return page.split("<main", 1)[1].split("</main>", 1)[0]



@pytest.fixture
def world(app, monkeypatch):
    w = ow.build(monkeypatch)
    clock.set_frozen(ow.CLOSED)
    yield w
    clock.set_frozen(None)


def as_(client, login, w, who):
    if who != "visitor":
        login(w.people[who])
    return client


def publish(w):
    service.publish(w.people["secretary"], w.topic, "决定：加装扶手。", 7)
    db.session.commit()


def effective(w):
    publish(w)
    clock.set_frozen(ow.CLOSED + 7 * DAY)
    service.settle_due_outcomes()
    db.session.commit()


def test_secretary_publishes_through_the_form(world, client, login):
    w = world
    login(w.people["secretary"])
    page = client.get(f"/topics/{w.topic.id}")
    assert 'id="publish-outcome-link"' in page.text
    form = client.get(f"/topics/{w.topic.id}/outcome/new")
    assert "是否同意加装楼道扶手？" in form.text
    bad = client.post(f"/topics/{w.topic.id}/outcome/new",
                      data={"decision": "我的决定文字", "days": "3", "act": "act"})
    assert bad.status_code == 422 and "我的决定文字" in bad.text and "5 to 30" in bad.text
    ok = client.post(f"/topics/{w.topic.id}/outcome/new",
                     data={"decision": "我的决定文字", "days": "7", "act": "act"})
    assert ok.status_code == 302
    db.session.expire_all()
    assert w.topic.stage == "publicised"
    page = client.get(f"/topics/{w.topic.id}")
    assert "我的决定文字" in page.text and 'id="objection-form"' not in page.text


@pytest.mark.parametrize("who, status", [("visitor", 302), ("r1", 403), ("representative", 403),
                                         ("other_secretary", 403), ("elsewhere", 403)])
def test_publishing_is_refused_to_others(world, client, login, who, status):
    c = as_(client, login, world, who)
    assert c.get(f"/topics/{world.topic.id}/outcome/new").status_code == status
    assert c.post(f"/topics/{world.topic.id}/outcome/new",
                  data={"decision": "x", "days": "7"}).status_code == status
    assert world.topic.stage == "voting"


def test_objection_and_answer_forms(world, client, login):
    w = world
    publish(w)
    login(w.people["r1"])
    page = client.get(f"/topics/{w.topic.id}")
    assert 'id="objection-form"' in page.text
    empty = client.post(f"/topics/{w.topic.id}/objections", data={"objection": " "})
    assert empty.status_code == 422
    assert client.post(f"/topics/{w.topic.id}/objections",
                       data={"objection": "扶手太窄"}).status_code == 302
    ob = service.current_outcome(w.topic.id)
    from consult.outcomes.models import Objection
    objection = db.session.query(Objection).one()
    assert client.post(f"/objections/{objection.id}/answer",
                       data={f"o{objection.id}-answer": "答"}).status_code == 403
    login(w.people["secretary"])
    page = client.get(f"/topics/{w.topic.id}")
    assert f'id="answer-{objection.id}"' in page.text
    kept = client.post(f"/objections/{objection.id}/answer", data={f"o{objection.id}-answer": ""})
    assert kept.status_code == 422
    assert client.post(f"/objections/{objection.id}/answer",
                       data={f"o{objection.id}-answer": "扶手宽度合规"}).status_code == 302
    page = client.get(f"/topics/{w.topic.id}")
    assert "扶手太窄" in page.text and "扶手宽度合规" in page.text and ob.status == "publicised"


@pytest.mark.parametrize("who", ["visitor", "logged_in", "pending", "elsewhere", "representative",
                                 "other_secretary"])
def test_objection_refusals(world, client, login, who):
    publish(world)
    c = as_(client, login, world, who)
    r = c.post(f"/topics/{world.topic.id}/objections", data={"objection": "不同意"})
    assert r.status_code == (302 if who == "visitor" else 403)
    from consult.outcomes.models import Objection
    assert db.session.query(Objection).count() == 0


def test_uphold_through_the_form(world, client, login):
    w = world
    publish(w)
    ob = service.lodge_objection(w.people["r1"], w.topic, "程序有误")
    db.session.commit()
    login(w.people["secretary"])
    r = client.post(f"/objections/{ob.id}/answer",
                    data={f"o{ob.id}-answer": "异议成立", f"o{ob.id}-uphold": "y"})
    assert r.status_code == 302
    db.session.expire_all()
    assert w.topic.stage == "deliberating"
    page = client.get(f"/topics/{w.topic.id}")
    assert 'id="outcome-sent-back"' in page.text and "异议成立" in page.text


def test_implementation_forms_and_refusals(world, client, login):
    w = world
    effective(w)
    login(w.people["r1"])
    for url, data in [("plan", {"responsible": "物业", "target_date": "2026-12-31"}),
                      ("progress", {"progress": "进行中", "percent": "10"}), ("done", {})]:
        client.post(f"/topics/{w.topic.id}/implementation/{url}", data=data)
    assert service.current_outcome(w.topic.id).responsible == ""
    assert service.current_outcome(w.topic.id).done_at is None
    login(w.people["other_secretary"])
    assert client.post(f"/topics/{w.topic.id}/implementation/plan",
                       data={"responsible": "物业", "target_date": "2026-12-31"}
                       ).status_code == 403
    login(w.people["secretary"])
    bad = client.post(f"/topics/{w.topic.id}/implementation/plan",
                      data={"responsible": "物业服务中心", "target_date": "明天"})
    assert bad.status_code == 422 and "物业服务中心" in bad.text
    assert client.post(f"/topics/{w.topic.id}/implementation/plan",
                       data={"responsible": "物业服务中心", "target_date": "2026-12-10"}
                       ).status_code == 302
    bad = client.post(f"/topics/{w.topic.id}/implementation/progress",
                      data={"progress": "已采购", "percent": "150"})
    assert bad.status_code == 422 and "已采购" in bad.text
    assert client.post(f"/topics/{w.topic.id}/implementation/progress",
                       data={"progress": "已采购", "percent": "40"}).status_code == 302
    clock.set_frozen(ow.CLOSED + 20 * DAY)  # past the target date (2026-12-10)
    page = client.get(f"/topics/{w.topic.id}")
    assert "Overdue" in page.text and "40%" in page.text and "Implementation progress" in page.text
    board = client.get(f"/communities/{w.community.id}/outcomes")
    assert "Overdue" in board.text and "40% done" in board.text
    assert client.post(f"/topics/{w.topic.id}/implementation/done",
                       data={"note": "完工"}).status_code == 302
    page = client.get(f"/topics/{w.topic.id}")
    assert "Implementation done" in page.text and "Overdue" not in page.text


def test_rating_form(world, client, login):
    w = world
    effective(w)
    service.mark_done(w.people["secretary"], w.topic)
    db.session.commit()
    login(w.people["r1"])
    page = client.get(f"/topics/{w.topic.id}")
    assert 'id="stars-0"' in page.text and "5 stars: very satisfied" in page.text
    bad = client.post(f"/topics/{w.topic.id}/rating", data={"comment": "还行"})
    assert bad.status_code == 422 and "还行" in bad.text
    assert client.post(f"/topics/{w.topic.id}/rating",
                       data={"stars": "4", "comment": "还行"}).status_code == 302
    assert client.post(f"/topics/{w.topic.id}/rating", data={"stars": "5"}).status_code == 302
    login(w.people["r2"])
    client.post(f"/topics/{w.topic.id}/rating", data={"stars": "2"})
    page = client.get(f"/topics/{w.topic.id}")
    assert "Average 3.5 of 5" in page.text and "2 ratings" in page.text
    for who in ("elsewhere", "pending", "secretary"):
        login(w.people[who])
        assert client.post(f"/topics/{w.topic.id}/rating",
                           data={"stars": "1"}).status_code == 403
    assert service.rating_summary(service.current_outcome(w.topic.id).id).count == 2


def test_board_and_feed(world, client):
    w = world
    publish(w)
    board = client.get(f"/communities/{w.community.id}/outcomes")
    assert board.status_code == 200 and "楼道加装扶手" in board.text
    assert "Objections until" in board.text
    feed = client.get(f"/communities/{w.community.id}/outcomes.atom",
                      headers={"Host": "evil.example"})
    assert feed.mimetype == "application/atom+xml"
    parsed = feedparser.parse(feed.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.entries[0].title == "楼道加装扶手"
    # Links in the feed start at PUBLIC_URL, never at the request's Host.
    assert parsed.entries[0].link.startswith("http://127.0.0.1:5000/topics/")
    assert b"evil.example" not in feed.data
    assert "决定：加装扶手。" in parsed.entries[0].content[0].value
    # A window that has ended shows its effect on the board at once; viewing stores nothing,
    # the scheduled settling does.
    clock.set_frozen(ow.CLOSED + 8 * DAY)
    ended = client.get(f"/communities/{w.community.id}/outcomes").text
    assert "Window ended" in ended and "Being implemented" in ended
    db.session.expire_all()
    assert w.topic.stage == "publicised"
    assert service.settle_due_outcomes() == 1
    db.session.commit()
    assert w.topic.stage == "implementing"
    assert pages.seen(client.get(f"/communities/{w.community.id}/outcomes").text).text == \
        pages.seen(ended).text
    assert client.get("/communities/9999/outcomes").status_code == 404


def test_empty_feed_is_valid(world, client):
    parsed = feedparser.parse(client.get(f"/communities/{world.community.id}/outcomes.atom").data)
    assert not parsed.bozo and parsed.entries == []


def test_topic_page_settles_lazily_and_keeps_a_fixed_number_of_queries(world, client, login,
                                                                         count_queries):
    w = world
    effective(w)
    sec = w.people["secretary"]
    login(w.people["r1"])
    counts = []
    for n in (1, 8):
        while len(service.section(sec, w.topic).progress) < n:
            service.post_progress(sec, w.topic, "进展", 10)
        db.session.commit()
        client.get(f"/topics/{w.topic.id}")
        with count_queries() as q:
            assert client.get(f"/topics/{w.topic.id}").status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[1], counts


def test_dashboard_draws_readable_svg(world, client):
    w = world
    effective(w)
    service.mark_done(w.people["secretary"], w.topic)
    db.session.commit()
    service.rate(w.people["r1"], w.topic, 4)
    service.rate(w.people["r2"], w.topic, 5)
    db.session.commit()
    clock.set_frozen(ow.CLOSED + 30 * DAY)
    service.settle_due_outcomes()
    db.session.commit()
    page = client.get(f"/communities/{w.community.id}/dashboard")
    assert page.status_code == 200
    text = page.text
    assert in_main(text).count("<svg") == 4 and "<title>Topics by stage</title>" in text
    assert "4.5 of 5 (2 ratings)" in text  # numbers as text, not colour
    assert "3/3 (100%)" in text and "1/1 (100%)" in text
    assert "Median:" in text, text[text.find("<main"):]
    assert client.get("/communities/9999/dashboard").status_code == 404


def test_an_ended_window_is_shown_in_effect_and_the_first_write_settles_it(world, client,
                                                                            login):
    """Nobody ran ``outcomes settle`` yet: the secretary's page already offers the
    implementation forms (reading writes nothing), and reporting progress settles the outcome
    first, in the same transaction."""
    w = world
    publish(w)
    clock.set_frozen(ow.CLOSED + 8 * DAY)
    login(w.people["secretary"])
    page = client.get(f"/topics/{w.topic.id}").text
    assert f'action="/topics/{w.topic.id}/implementation/progress"' in page
    db.session.expire_all()
    assert w.topic.stage == "publicised"
    assert client.post(f"/topics/{w.topic.id}/implementation/progress",
                       data={"progress": "已采购", "percent": "40"}).status_code == 302
    db.session.expire_all()
    assert w.topic.stage == "implementing"
    assert service.current_outcome(w.topic.id).status == "effective"
    assert "40%" in client.get(f"/topics/{w.topic.id}").text
    assert service.settle_due_outcomes() == 0  # nothing left for the scheduled run
