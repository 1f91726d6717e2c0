"""Electors are told: a notification when a vote opens, the vote in their to-do on the home
page until they have cast, and one reminder the day before it closes if they have not."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult import clock
from consult.extensions import db
from consult.notifications.models import Notification
from consult.votes import service
from tests import factories
from tests.votes.test_votes import (  # noqa: F401
    ANNOUNCED, T0, estate, minutes_resolved, open_, spec,
)

pytestmark = pytest.mark.usefixtures("english")

ELECTORS = ["王", "李", "张", "钱", "孙"]  # the owners; the developer's unit has no account
NOT_ELECTORS = ["tenant", "pending", "secretary"]


def sent(kind: str) -> dict[int, int]:
    """user id -> how many notifications of ``kind`` they have."""
    return dict(db.session.execute(select(Notification.user_id, func.count())
                                   .where(Notification.kind == kind)
                                   .group_by(Notification.user_id)).all())


def remind(app):
    result = app.test_cli_runner().invoke(args=["vote", "remind"])
    assert result.exit_code == 0, result.output
    return result.output


def notify(app, when):
    with clock.frozen(when):
        result = app.test_cli_runner().invoke(args=["vote", "notify"])
    assert result.exit_code == 0, result.output
    return result.output


def test_opening_tells_every_elector_and_nobody_else(estate, client, login, app):
    vote = open_(estate)  # announced 15 days before it opens
    _, _, people = estate
    assert sent("vote.announced") == {people[n].id: 1 for n in ELECTORS}
    assert sent("vote.opened") == {}
    assert "0 electors told" in notify(app, T0 - timedelta(minutes=1))
    assert "5 electors told" in notify(app, T0)
    assert "0 electors told" in notify(app, T0 + timedelta(minutes=10))  # once only
    assert sent("vote.opened") == {people[n].id: 1 for n in ELECTORS}
    with clock.frozen(T0 + timedelta(hours=1)):
        login(people["钱"])
        html = client.get("/me/notifications").get_data(as_text=True)
        assert vote.question in html and "Voting closes at 2026-12-08 09:00" in html  # Beijing
        mine = db.session.scalar(select(Notification).where(
            Notification.user_id == people["钱"].id, Notification.kind == "vote.opened"))
        opened = client.post(f"/me/notifications/{mine.id}", data={})
        assert opened.status_code == 302 and opened.location == f"/votes/{vote.id}"
        login(people["tenant"])
        assert vote.question not in client.get("/me/notifications").get_data(as_text=True)


def test_opening_tells_them_in_a_fixed_number_of_statements(estate, count_queries):
    """However many electors there are, telling them takes one read and one insert (freezing
    the electorate, by the job that runs when the opening commits, has its own test)."""
    c, _, people = estate
    counts = []
    for n in range(2):
        topic = factories.topic(c, people["王"], stage="deliberating", title=f"议题{n}")
        db.session.commit()
        with clock.frozen(T0), count_queries() as q:
            vote = service.open_vote(people["secretary"], topic,
                                     spec(c, electorate="residents", rule="simple_majority"))
            db.session.commit()  # the freeze job runs (and tells them) when this commits
        telling = [s for s in q.statements if "notifications" in s
                   or s.startswith("SELECT DISTINCT vote_elector_members.user_id")]
        counts.append((len(telling), vote.electorate_size))
        unit = c.grids[0].buildings[0].units[0]
        for i in range(15):  # more verified residents for the next vote
            factories.resident(c, f"新居民{n}-{i}", unit=unit)
        db.session.commit()
    assert counts == [(2, 7), (2, 22)]
    assert sum(sent("vote.opened").values()) == 7 + 22


def todo(client) -> str:
    html = client.get("/").get_data(as_text=True)
    return html.split('id="to-do"', 1)[1].split("</section>", 1)[0] if 'id="to-do"' in html \
        else ""


def test_the_to_do_lists_the_vote_until_the_elector_has_cast(estate, client, login):
    vote = open_(estate)
    _, _, people = estate
    with clock.frozen(T0 + timedelta(hours=1)):
        login(people["李"])
        assert f'href="/votes/{vote.id}"' in todo(client)
        assert "My to-do" in client.get("/").get_data(as_text=True)
        assert client.post(f"/votes/{vote.id}/ballot",
                           data={"option": "agree"}).status_code == 302
        assert todo(client) == ""
        login(people["张"])  # co-owner: their shared ballot has been cast
        assert todo(client) == ""
        login(people["王"])
        assert f'href="/votes/{vote.id}"' in todo(client)
        for name in NOT_ELECTORS:
            login(people[name])
            assert todo(client) == "", name
    with clock.frozen(T0 + timedelta(hours=1)):
        visitor = client.application.test_client()
        html = visitor.get("/").get_data(as_text=True)
        assert 'id="to-do"' not in html and "My to-do" not in html
    with clock.frozen(T0 + timedelta(days=7)):  # closed: nothing left to do
        login(people["王"])
        assert todo(client) == ""


def test_the_home_page_reads_the_to_do_in_one_query_however_many_votes(
        estate, client, login, count_queries):
    from tests.app.test_query_budget import BUDGETS

    c, topic, people = estate
    open_(estate)
    login(people["王"])

    def home_queries():
        db.session.expire_all()
        with clock.frozen(T0 + timedelta(hours=1)), count_queries() as q:
            html = client.get("/").get_data(as_text=True)
        return q.count, html.count('href="/votes/')

    one, listed = home_queries()
    assert listed == 1
    for n in range(12):
        other = factories.topic(c, people["王"], stage="deliberating", title=f"第{n}个议题")
        db.session.commit()
        with clock.frozen(ANNOUNCED):
            service.open_vote(people["secretary"], other, spec(c, question=f"第{n}个问题？"))
        db.session.commit()
    many, listed = home_queries()
    assert listed == 13
    assert many == one <= BUDGETS["home"]


def test_the_reminder_goes_once_to_those_who_have_not_voted(estate, app):
    vote = open_(estate)
    _, _, people = estate
    with clock.frozen(T0 + timedelta(hours=1)):
        service.cast(people["李"], vote, "agree")  # for 李 and 张, co-owners
        db.session.commit()
    with clock.frozen(T0 + timedelta(days=5)):  # more than a day left: not yet
        assert "0 reminders sent." in remind(app)
    with clock.frozen(T0 + timedelta(days=6, hours=1)):
        assert "3 reminders sent." in remind(app)
    with clock.frozen(T0 + timedelta(days=6, hours=2)):
        assert "0 reminders sent." in remind(app)
    assert sent("vote.closing_soon") == {people[n].id: 1 for n in ["王", "钱", "孙"]}
    reminder = db.session.scalar(select(Notification).where(
        Notification.kind == "vote.closing_soon", Notification.user_id == people["王"].id))
    assert reminder.url == f"/votes/{vote.id}"
    with clock.frozen(T0 + timedelta(days=7)):  # closed: no reminders any more
        assert "0 reminders sent." in remind(app)


def test_the_notices_are_translated(estate, client):
    from consult.notifications.kinds import render

    vote = open_(estate)
    params = service.notice_params(vote)
    with client.application.test_request_context(headers={"Accept-Language": "zh-CN"}):
        from flask_babel import force_locale
        with force_locale("zh_Hans"):
            assert "投票" in render("vote.opened", params)
            assert "尚未投票" in render("vote.closing_soon", params)


def test_a_follower_who_is_an_elector_is_told_once(estate):
    """The electors' notice replaces the followers' one for them; other followers get the
    topic's, which says the vote is announced (it may open days later)."""
    from consult.topics.models import Follow

    c, topic, people = estate
    for name in ("王", "tenant"):
        db.session.add(Follow(topic_id=topic.id, user_id=people[name].id))
    db.session.commit()
    open_(estate)
    assert sent("vote.announced").get(people["王"].id) == 1
    stage = dict(db.session.execute(
        select(Notification.user_id, Notification.kind)
        .where(Notification.kind.like("topic.%"))).all())
    assert people["王"].id not in stage  # an elector: one notice, the vote's
    assert stage.get(people["tenant"].id) is not None  # a follower who is not an elector
    note = db.session.scalar(select(Notification).where(
        Notification.user_id == people["tenant"].id, Notification.kind.like("topic.%")))
    from consult.notifications import kinds

    assert "is announced" in kinds.render(note.kind, note.params)
