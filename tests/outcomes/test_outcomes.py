"""The rules of publicised outcomes: the window, objections, completion, ratings, settling."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from consult import clock
from consult.extensions import db
from consult.notifications.models import Notification
from consult.outcomes import service
from consult.outcomes.models import Objection, Rating
from consult.topics import lifecycle
from consult.refusals import Refused
from consult.topics.models import StageChange
from tests import outcome_world as ow

pytestmark = pytest.mark.usefixtures("english")
DAY = timedelta(days=1)


@pytest.fixture
def world(app, monkeypatch):
    return ow.build(monkeypatch)


def published(w, days=7, act=True):
    with clock.frozen(ow.CLOSED):
        outcome = service.publish(w.people["secretary"], w.topic, "决定加装扶手。", days, act=act)
        db.session.commit()
    return outcome


def test_publishing_needs_a_closed_valid_vote(world):
    w = world
    with clock.frozen(ow.T0 + DAY), pytest.raises(Refused, match="closed"):
        service.publish(w.people["secretary"], w.topic, "决定", 7)
    db.session.rollback()
    outcome = published(w)
    assert w.topic.stage == "publicised"
    assert outcome.window_ends_at == ow.CLOSED + 7 * DAY
    assert outcome.vote_id == w.vote.id


def test_an_invalid_vote_is_rerun_not_published(app, monkeypatch):
    w = ow.build(monkeypatch, stay_home=("二栋居民",))
    w.vote.quorum_percent = 100  # only 3 of 4 voted
    db.session.commit()
    with clock.frozen(ow.CLOSED), pytest.raises(Refused, match="not valid"):
        service.publish(w.people["secretary"], w.topic, "决定", 7)


@pytest.mark.parametrize("days", [4, 31])
def test_the_window_is_at_least_five_days(world, days):
    w = world
    with clock.frozen(ow.CLOSED), pytest.raises(Refused) as refused:
        service.publish(w.people["secretary"], w.topic, "决定", days)
    assert refused.value.field == "days"


def test_an_empty_decision_is_refused_and_nothing_changes(world):
    w = world
    with clock.frozen(ow.CLOSED), pytest.raises(Refused) as refused:
        service.publish(w.people["secretary"], w.topic, "  ", 7)
    assert refused.value.field == "decision"
    db.session.rollback()
    assert w.topic.stage == "voting" and service.current_outcome(w.topic.id) is None


@pytest.mark.parametrize("who", ["r1", "representative", "other_secretary"])
def test_only_the_communitys_secretary_publishes(world, who):
    w = world
    with clock.frozen(ow.CLOSED), pytest.raises(Refused):
        service.publish(w.people[who], w.topic, "决定", 7)


def test_the_decision_is_prefilled_from_the_result(world):
    with clock.frozen(ow.CLOSED):
        draft = service.draft_decision(world.topic)
    assert "是否同意加装楼道扶手？" in draft.decision and "passed" in draft.decision
    assert draft.act is True


def test_objections_only_in_the_window_and_in_scope(world):
    w = world
    published(w)
    with clock.frozen(ow.CLOSED + DAY):
        service.lodge_objection(w.people["r1"], w.topic, "扶手会占用楼道。")
        for who in ("elsewhere", "pending", "logged_in"):
            with pytest.raises(Refused):
                service.lodge_objection(w.people[who], w.topic, "不同意")
        with pytest.raises(Refused) as refused:
            service.lodge_objection(w.people["r2"], w.topic, " ")
        assert refused.value.field == "objection"
    with clock.frozen(ow.CLOSED + 7 * DAY), pytest.raises(Refused, match="publicised"):
        service.lodge_objection(w.people["r2"], w.topic, "太晚了")


def test_building_scope_keeps_other_buildings_out(app, monkeypatch):
    w = ow.build(monkeypatch, building_scope=True)
    published(w)
    with clock.frozen(ow.CLOSED + DAY), pytest.raises(Refused, match="another part"):
        service.lodge_objection(w.people["b2"], w.topic, "不同意")


def test_answering_notifies_the_objector_and_the_window_then_makes_it_effective(world):
    w = world
    published(w)
    with clock.frozen(ow.CLOSED + DAY):
        ob = service.lodge_objection(w.people["r1"], w.topic, "扶手会占用楼道。")
        with pytest.raises(Refused):
            service.answer_objection(w.people["r2"], ob, "不")
        service.answer_objection(w.people["secretary"], ob, "扶手宽度仅8厘米。")
        db.session.commit()
        with pytest.raises(Refused, match="already answered"):
            service.answer_objection(w.people["secretary"], ob, "再答")
    assert db.session.scalar(select(Notification.kind).where(
        Notification.user_id == w.people["r1"].id, Notification.kind == "outcome.answer"))
    with clock.frozen(ow.CLOSED + 7 * DAY - timedelta(seconds=1)):
        assert service.settle_due_outcomes() == 0
    assert service.settle_due_outcomes(ow.CLOSED + 7 * DAY) == 1
    db.session.commit()
    assert w.topic.stage == "implementing"
    assert service.current_outcome(w.topic.id).status == "effective"
    step = db.session.scalars(select(StageChange).order_by(StageChange.id.desc())).first()
    assert step.transition == "outcome_effective" and step.actor_id is None


def test_settle_command_commits_what_it_settled(app, world):
    w = world
    published(w)
    with clock.frozen(ow.CLOSED + 7 * DAY):
        for expected in (1, 0):  # the second run finds nothing left: the first was committed
            result = app.test_cli_runner().invoke(args=["outcomes", "settle"])
            assert result.exit_code == 0, result.output
            assert f"{expected} outcomes settled." in result.output
    db.session.rollback()
    assert service.current_outcome(w.topic.id).status == "effective"


def test_upholding_an_objection_sends_the_topic_back(world):
    w = world
    published(w)
    with clock.frozen(ow.CLOSED + DAY):
        ob = service.lodge_objection(w.people["r1"], w.topic, "程序有误。")
        db.session.commit()
        with pytest.raises(Refused) as refused:
            service.answer_objection(w.people["secretary"], ob, "", uphold=True)
        assert refused.value.field == "answer"
        db.session.rollback()
        service.answer_objection(w.people["secretary"], ob, "异议成立，重新开会表决。",
                                 uphold=True)
        db.session.commit()
    assert w.topic.stage == "deliberating"
    outcome = service.current_outcome(w.topic.id)
    assert outcome.status == "sent_back" and db.session.get(Objection, ob.id).upheld
    from consult.audit.models import AuditEntry
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "topic.uphold_objection"))
    assert entry.details["reason"] == "异议成立，重新开会表决。"
    assert service.settle_due_outcomes(ow.CLOSED + 30 * DAY) == 0
    assert w.topic.stage == "deliberating"


def test_upholding_after_the_window_is_refused(world):
    w = world
    published(w)
    with clock.frozen(ow.CLOSED + DAY):
        ob = service.lodge_objection(w.people["r1"], w.topic, "程序有误。")
        db.session.commit()
    with clock.frozen(ow.CLOSED + 8 * DAY), pytest.raises(Refused, match="ended"):
        service.answer_objection(w.people["secretary"], ob, "成立", uphold=True)


def test_a_decision_to_do_nothing_closes_when_the_window_ends(world):
    w = world
    published(w, act=False)
    service.settle_due_outcomes(ow.CLOSED + 7 * DAY)
    db.session.commit()
    assert w.topic.stage == "closed" and w.topic.closing_reason == "决定加装扶手。"


def effective(w):
    published(w)
    service.settle_due_outcomes(ow.CLOSED + 7 * DAY)
    db.session.commit()
    return ow.CLOSED + 7 * DAY


def test_implementation_plan_progress_and_overdue(world):
    w = world
    start = effective(w)
    sec = w.people["secretary"]
    w.topic.follows = []
    lifecycle_followers = [w.people["r1"]]
    from consult.topics import service as topics
    topics.follow(lifecycle_followers[0], w.topic)
    with clock.frozen(start + DAY):
        with pytest.raises(Refused) as refused:
            service.plan(sec, w.topic, "", date(2026, 12, 31))
        assert refused.value.field == "responsible"
        with pytest.raises(Refused):
            service.plan(w.people["r1"], w.topic, "物业", date(2026, 12, 31))
        service.plan(sec, w.topic, "物业服务中心", date(2026, 12, 20))
        for bad in (-1, 101, None):
            with pytest.raises(Refused) as refused:
                service.post_progress(sec, w.topic, "进行中", bad)
            assert refused.value.field == "percent"
        service.post_progress(sec, w.topic, "已采购材料。", 30)
        db.session.commit()
    outcome = service.current_outcome(w.topic.id)
    assert db.session.scalar(select(Notification.params).where(
        Notification.user_id == w.people["r1"].id, Notification.kind == "outcome.progress"))
    assert not service.is_overdue(outcome, ow.CLOSED + 10 * DAY)
    assert service.is_overdue(outcome, ow.CLOSED + 30 * DAY)


def done(w):
    start = effective(w)
    with clock.frozen(start + 2 * DAY):
        service.mark_done(w.people["secretary"], w.topic, "已完工")
        db.session.commit()
    return start + 2 * DAY


def test_completion_opens_ratings_for_fourteen_days_then_closes(world):
    w = world
    at = done(w)
    outcome = service.current_outcome(w.topic.id)
    assert w.topic.stage == "implementing" and outcome.ratings_until == at + 14 * DAY
    assert not service.is_overdue(outcome, at + 100 * DAY)
    with clock.frozen(at + DAY), pytest.raises(Refused, match="already"):
        service.mark_done(w.people["secretary"], w.topic)
    db.session.rollback()
    with clock.frozen(at + DAY), pytest.raises(Refused):
        service.post_progress(w.people["secretary"], w.topic, "再报", 100)
    db.session.rollback()
    with clock.frozen(at + DAY):
        service.rate(w.people["r1"], w.topic, 4, "不错")
        service.rate(w.people["r2"], w.topic, 5)
        service.rate(w.people["r0"], w.topic, 2)
        service.rate(w.people["r1"], w.topic, 3, "改为三星")  # changed, still one
        db.session.commit()
        for who in ("elsewhere", "pending", "logged_in"):
            with pytest.raises(Refused):
                service.rate(w.people[who], w.topic, 5)
        for bad in (0, 6, None):
            with pytest.raises(Refused) as refused:
                service.rate(w.people["b2"], w.topic, bad)
            assert refused.value.field == "stars"
    summary = service.rating_summary(outcome.id)
    assert summary.count == 3 and summary.distribution == {5: 1, 4: 0, 3: 1, 2: 1, 1: 0}
    assert str(summary.average) == "10/3" and summary.average_display == "3.3"
    assert db.session.scalar(select(Rating.comment).where(
        Rating.user_id == w.people["r1"].id)) == "改为三星"
    assert service.settle_due_outcomes(at + 14 * DAY - timedelta(seconds=1)) == 0
    with clock.frozen(at + 14 * DAY), pytest.raises(Refused, match="days"):
        service.rate(w.people["b2"], w.topic, 5)
    db.session.rollback()  # as the refused request does: its settling goes too
    assert service.settle_due_outcomes(at + 14 * DAY) == 1
    db.session.commit()
    assert w.topic.stage == "closed"


def test_ratings_before_done_are_refused(world):
    w = world
    start = effective(w)
    with clock.frozen(start + DAY), pytest.raises(Refused):
        service.rate(w.people["r1"], w.topic, 5)


def test_stage_changes_only_through_the_lifecycle(world):
    names = {"publish_outcome", "uphold_objection", "outcome_effective", "outcome_no_action",
             "implementation_done", "close"}
    assert names <= set(lifecycle.TRANSITIONS)
    assert lifecycle.TRANSITIONS["outcome_effective"].permission is None


def test_the_cli_settles(world, app):
    w = world
    published(w)
    with clock.frozen(ow.CLOSED + 8 * DAY):
        result = app.test_cli_runner().invoke(args=["outcomes", "settle"])
    assert "1 outcomes settled" in result.output
    db.session.expire_all()
    assert w.topic.stage == "implementing"
