"""The official's desk (/me/desk): what a secretary and a representative see, who is refused,
another community's work kept out, and a fixed number of queries however much work waits."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from consult.accounts.models import Role
from consult.clock import utcnow
from consult.community.models import ResidencyStatus
from consult.extensions import db
from consult.outcomes.models import Objection, Outcome, OutcomeStatus
from consult.studios.models import ReceptionRecord, Reservation
from consult.topics.models import Comment, CommentReport
from consult.votes.models import Vote
from tests import factories

pytestmark = pytest.mark.usefixtures("english")


def work(c, rep, n: int, label: str = "", first_day: int = 2) -> None:
    """``n`` pieces of every kind of work in community ``c``; reception work for ``rep``."""
    now = utcnow().replace(microsecond=0)
    hall = factories.hall(c)
    studio = factories.studio(c)
    units = factories.units_of(c)
    for i in range(n):
        factories.topic(c, title=f"{label}待审核{i}", stage="in_review")
        talked = factories.topic(c, title=f"{label}讨论中{i}")
        comment = Comment(topic_id=talked.id, author_id=talked.proposer_id, body="吵",
                          open_report_count=1)
        db.session.add(comment)
        db.session.flush()
        db.session.add(CommentReport(comment_id=comment.id, reporter_id=talked.proposer_id,
                                     reason="不文明"))
        factories.resident(c, f"{label}申请人{i}", unit=units[i % len(units)],
                           status=ResidencyStatus.PENDING)
        factories.meeting(hall, now - timedelta(days=3, hours=3 * i), title=f"{label}议事会{i}")
        voted = factories.topic(c, title=f"{label}表决中{i}", stage="voting")
        db.session.add(Vote(topic_id=voted.id, community_id=c.id, question="同意吗？",
                            options=["agree", "oppose", "abstain"], electorate="households",
                            rule="simple", opens_at=now - timedelta(days=10),
                            closes_at=now - timedelta(days=2), electorate_size=0,
                            area_total=Decimal("0")))
        decided = factories.topic(c, title=f"{label}公示中{i}", stage="publicised")
        outcome = Outcome(topic_id=decided.id, community_id=c.id, decision="修", act=True,
                          status=OutcomeStatus.PUBLICISED.value, published_at=now - timedelta(days=1),
                          window_ends_at=now + timedelta(days=6))
        db.session.add(outcome)
        db.session.flush()
        db.session.add(Objection(outcome_id=outcome.id, author_id=decided.proposer_id,
                                 body="不同意"))
        late = factories.topic(c, title=f"{label}落实中{i}", stage="implementing")
        db.session.add(Outcome(topic_id=late.id, community_id=c.id, decision="修", act=True,
                               status=OutcomeStatus.EFFECTIVE.value,
                               published_at=now - timedelta(days=40),
                               window_ends_at=now - timedelta(days=33),
                               target_date=(now - timedelta(days=5)).date()))
        session = factories.studio_session(studio, rep, now - timedelta(days=first_day + i))
        visitor = factories.resident(c, f"{label}来访{i}")
        unrecorded = Reservation(session_id=session.id, resident_id=visitor.id,
                                 slot_start=session.starts_at,
                                 slot_end=session.starts_at + timedelta(minutes=20),
                                 category="property", matter="漏水")
        again = factories.resident(c, f"{label}再访{i}")
        overdue = Reservation(session_id=session.id, resident_id=again.id,
                              slot_start=session.starts_at + timedelta(minutes=20),
                              slot_end=session.starts_at + timedelta(minutes=40),
                              category="property", matter="停车")
        db.session.add_all([unrecorded, overdue])
        db.session.flush()
        db.session.add(ReceptionRecord(reservation_id=overdue.id, attendance="attended",
                                       raised="停车", due_on=(now - timedelta(days=1)).date()))
    db.session.flush()


@pytest.fixture
def world(app):
    a, b = factories.community("甲社区"), factories.community("乙社区")
    people = {
        "secretary": factories.office_holder(a, Role.SECRETARY, "甲秘书"),
        "rep": factories.representative(a, "甲代表"),
        "other_rep": factories.representative(b, "乙代表"),
        "resident": factories.resident(a, "甲居民"),
        "a": a, "b": b,
    }
    db.session.commit()
    return people


def page(client, login, who) -> str:
    response = login(who).get("/me/desk")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_secretary_sees_their_communitys_work_and_links_to_it(app, world, client, login):
    work(world["a"], world["rep"], 1, "甲")
    work(world["b"], world["other_rep"], 1, "乙")
    db.session.commit()
    html = page(client, login, world["secretary"])
    for what in ("甲待审核0", "甲讨论中0", "甲申请人0", "甲议事会0", "甲表决中0", "甲公示中0",
                 "甲落实中0"):
        assert what in html, what
    assert "乙" not in html.replace("乙社区", "")  # another community's work is not shown
    assert "/moderation#queue-" in html and "/verifications" in html
    assert "/minutes/edit" in html and "/outcome/new" in html and "#objection-" in html
    assert "Waiting since" in html and "Deadline" in html and "overdue" in html
    # a secretary holds no studio sessions: no reception sections
    assert "Receptions without a record" not in html
    assert "甲来访0" not in html


def test_a_representative_sees_their_own_receptions_only(app, world, client, login):
    work(world["a"], world["rep"], 1, "甲")
    work(world["b"], world["other_rep"], 1, "乙")
    db.session.commit()
    html = page(client, login, world["rep"])
    assert "Receptions without a record" in html
    assert "Reception matters past their promised date" in html
    assert "甲来访0" in html and "甲再访0" in html and "乙来访0" not in html
    assert "/studio-sessions/" in html and "#reservation-" in html
    assert "甲待审核0" not in html  # a representative does not review proposals


def test_the_header_shows_the_count_to_office_holders_only(app, world, client, login):
    work(world["a"], world["rep"], 2)
    db.session.commit()
    html = page(client, login, world["secretary"])
    assert 'aria-label="14 waiting"' in html  # 7 kinds x 2
    home = login(world["rep"]).get("/").get_data(as_text=True)
    assert 'aria-label="4 waiting"' in home and "/me/desk" in home
    assert "/me/desk" not in login(world["resident"]).get("/").get_data(as_text=True)


def test_a_resident_is_refused_and_a_visitor_sent_to_log_in(app, world, client, login):
    assert client.get("/me/desk").status_code == 302
    assert login(world["resident"]).get("/me/desk").status_code == 403


def test_nothing_waiting_says_so(app, world, client, login):
    html = page(client, login, world["secretary"])
    assert "No proposal waits for review." in html
    assert "Nothing is waiting for you." in html and 'id="desk-clear"' in html
    assert "pieces of work waiting" not in html


@pytest.mark.parametrize("who", ["secretary", "rep"])
def test_the_number_of_queries_does_not_grow_with_the_work(app, world, client, login,
                                                           count_queries, who):
    def queries_for(n: int, label: str, first_day: int) -> int:
        work(world["a"], world["rep"], n, label, first_day)
        db.session.commit()
        login(world[who])
        with count_queries() as counted:
            html = page(client, login, world[who])
        assert f"{label}来访{n - 1}" in html or f"{label}待审核{n - 1}" in html
        return counted.count

    few = queries_for(1, "少", 2)
    many = queries_for(12, "多", 3)
    assert few == many


def test_the_counts_agree_however_they_are_taken(app, world):
    """The page's lines, the count of one query and the count riding in the user's own
    query are the same numbers."""
    from sqlalchemy import select

    from consult.accounts.models import User
    from consult.desk import queries
    from consult.permissions import forget_memberships

    work(world["a"], world["rep"], 3)
    work(world["b"], world["other_rep"], 2, "乙")
    db.session.commit()
    for who, expected in (("secretary", 21), ("rep", 6), ("other_rep", 4), ("resident", 0)):
        forget_memberships()
        person = world[who]
        in_row = db.session.scalar(select(queries.total_of_user_row())
                                   .where(User.id == person.id))
        assert (queries.total_for(person), in_row) == (expected, expected), who
        if expected:
            assert queries.desk_for(person).total == expected
