"""The topic lifecycle and the proposal rules, without HTTP."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from consult import clock
from consult.accounts.models import Role
from consult.audit.log import verify_chain
from consult.audit.models import AuditEntry
from consult.community.models import ResidencyStatus
from consult.extensions import db
from consult.notifications.models import Notification
from consult.notifications.service import unread_count
from consult.topics import lifecycle, service
from consult.topics.lifecycle import TRANSITIONS, Stage
from consult.refusals import Refused
from consult.topics.models import Cosignature, StageChange, Topic
from tests import factories

T0 = datetime(2026, 11, 2, 1, 0)  # 09:00 in Shanghai


@pytest.fixture
def place(app):
    """A community of 2 grids × 2 buildings × 3 homes, a threshold of 3, one secretary."""
    c = factories.community("幸福里社区", grids=2, buildings=2, units=3)
    c.cosign_threshold = 3
    secretary = factories.office_holder(c, Role.SECRETARY, "秘书小李")
    db.session.commit()
    return c, secretary


def home(c, grid=0, building=0, unit=0):
    return c.grids[grid].buildings[building].units[unit]


def propose(user, c, *, scope=None, title="楼道加装扶手", description="老人上楼不便。",
            category="elderly_children", submit=True) -> Topic:
    topic = service.save_draft(user, title=title, description=description, category=category,
                               scope_key=scope or f"community:{c.id}")
    if submit:
        service.submit(user, topic)
    db.session.commit()
    return topic


def neighbours(c, n, grid=0, building=0):
    return [factories.resident(c, f"邻居{i}", unit=home(c, grid, building, i % 3))
            for i in range(n)]


def test_every_stage_has_a_label_and_every_transition_a_known_target():
    assert set(lifecycle.STAGE_LABELS) == set(Stage)
    for t in TRANSITIONS.values():
        assert t.sources and t.target in Stage
        assert t.permission is None or t.permission.startswith("topic.")


def test_draft_is_private_then_submit_makes_it_public_and_followed(place):
    c, _ = place
    proposer = factories.resident(c, "王秀兰", unit=home(c))
    topic = propose(proposer, c, submit=False)
    assert topic.stage == "draft" and topic.submitted_at is None
    service.submit(proposer, topic)
    db.session.commit()
    assert topic.stage == "proposed" and topic.submitted_at is not None
    assert lifecycle.follower_ids(topic.id) == [proposer.id]
    step = db.session.scalar(select(StageChange).where(StageChange.topic_id == topic.id))
    assert (step.from_stage, step.to_stage, step.actor_id) == ("draft", "proposed", proposer.id)
    assert db.session.scalar(select(AuditEntry.action).where(
        AuditEntry.object_id == topic.id)) == "topic.submit"


@pytest.mark.parametrize("title, description, category, field", [
    ("短", "说明", "safety", "title"),
    ("标" * 81, "说明", "safety", "title"),
    ("     楼道   ", "说明", "safety", "title"),  # spaces do not count
    ("楼道加装扶手", "   ", "safety", "description"),
    ("楼道加装扶手", "x" * 10_001, "safety", "description"),
    ("楼道加装扶手", "说明", "weather", "category"),
])
def test_bad_proposals_are_refused_and_nothing_is_stored(place, title, description, category,
                                                         field):
    c, _ = place
    proposer = factories.resident(c, unit=home(c))
    db.session.commit()
    with pytest.raises(Refused) as refused:
        service.save_draft(proposer, title=title, description=description, category=category,
                           scope_key=f"community:{c.id}")
    assert refused.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Topic)) == 0


def test_markdown_description_keeps_no_raw_html(place):
    c, _ = place
    proposer = factories.resident(c, unit=home(c))
    topic = propose(proposer, c, description=(
        "**重要** <script>alert(1)</script> <img src=x onerror=alert(1)> "
        "[点我](javascript:alert(1)) [官网](https://example.org)"))
    html = topic.description_html
    assert "<strong>重要</strong>" in html
    assert "<script" not in html and "<img" not in html and "href=\"javascript" not in html
    assert "&lt;script&gt;" in html  # shown as the text that was typed
    assert 'href="https://example.org"' in html and "nofollow" in html


def test_scope_must_be_where_the_proposer_lives(place):
    c, _ = place
    proposer = factories.resident(c, unit=home(c, grid=0, building=0))
    other_building = c.grids[1].buildings[1]
    db.session.commit()
    keys = {s.key for s, _label in service.scopes_for(proposer)}
    assert keys == {f"community:{c.id}", f"grid:{c.grids[0].id}",
                    f"building:{c.grids[0].buildings[0].id}"}
    with pytest.raises(Refused) as refused:
        service.save_draft(proposer, title="楼顶漏水维修", description="漏水", category="property",
                           scope_key=f"building:{other_building.id}")
    assert refused.value.field == "scope"


def test_unverified_and_visitors_cannot_propose(place):
    c, _ = place
    pending = factories.resident(c, unit=home(c), status=ResidencyStatus.PENDING)
    db.session.commit()
    with pytest.raises(Refused):
        service.save_draft(pending, title="楼道加装扶手", description="说明", category="safety",
                           scope_key=f"community:{c.id}")


def test_cosigning_to_the_threshold_sends_to_review_and_tells_the_secretary(place):
    c, secretary = place
    proposer = factories.resident(c, unit=home(c))
    topic = propose(proposer, c)
    first, second, third = neighbours(c, 3)
    db.session.commit()
    assert service.cosign(first, topic) is False
    assert service.cosign(second, topic) is False
    assert topic.stage == "proposed" and topic.cosign_count == 2
    assert service.cosign(third, topic) is True
    db.session.commit()
    assert topic.stage == "in_review"
    assert unread_count(secretary.id) == 1
    # the proposer (a follower) hears about it; the co-signer who tipped it over does not
    kinds = dict(db.session.execute(select(Notification.user_id, Notification.kind)).all())
    assert kinds[proposer.id] == "topic.reach_threshold"
    assert third.id not in kinds
    assert set(lifecycle.follower_ids(topic.id)) == {proposer.id, first.id, second.id, third.id}


def test_cosigning_twice_own_topic_or_after_the_threshold_is_refused(place):
    c, _ = place
    proposer = factories.resident(c, unit=home(c))
    topic = propose(proposer, c)
    neighbour = neighbours(c, 1)[0]
    service.cosign(neighbour, topic)
    db.session.commit()
    for who, words in [(neighbour, "已附议"), (proposer, "由您提出")]:
        with pytest.raises(Refused) as refused:
            service.cosign(who, topic)
        assert words in str(refused.value.message)
        db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Cosignature)) == 1


def test_cosigning_outside_the_scope_or_unverified_is_refused(place):
    c, _ = place
    proposer = factories.resident(c, unit=home(c, 0, 0))
    topic = propose(proposer, c, scope=f"building:{c.grids[0].buildings[0].id}")
    outsider = factories.resident(c, "隔壁楼", unit=home(c, 1, 1))
    pending = factories.resident(c, "未认证", unit=home(c, 0, 0, 1),
                                 status=ResidencyStatus.PENDING)
    elsewhere = factories.resident(factories.community("别的社区"), "外人")
    db.session.commit()
    for who in (outsider, pending, elsewhere):
        with pytest.raises(Refused):
            service.cosign(who, topic)
        db.session.rollback()
    assert topic.cosign_count == 0


def test_a_cosignature_can_be_withdrawn_only_while_proposed(place):
    c, secretary = place
    proposer = factories.resident(c, unit=home(c))
    topic = propose(proposer, c)
    a, b, d = neighbours(c, 3)
    service.cosign(a, topic)
    service.withdraw_cosignature(a, topic)
    db.session.commit()
    assert topic.cosign_count == 0
    with pytest.raises(Refused):
        service.withdraw_cosignature(a, topic)
    db.session.rollback()
    for who in (a, b, d):
        service.cosign(who, topic)
    db.session.commit()
    with pytest.raises(Refused):
        service.withdraw_cosignature(a, topic)


def reviewed(place, n=3):
    c, secretary = place
    proposer = factories.resident(c, "提议人", unit=home(c))
    topic = propose(proposer, c)
    for who in neighbours(c, n):
        service.cosign(who, topic)
    db.session.commit()
    return topic, proposer, secretary


def test_accept_opens_the_comment_period(place):
    topic, proposer, secretary = reviewed(place)
    with clock.frozen(T0):
        service.accept(secretary, topic, 10)
        db.session.commit()
    assert topic.stage == "commenting"
    assert topic.comment_until == T0 + timedelta(days=10)
    notes = db.session.scalars(select(Notification).where(
        Notification.user_id == proposer.id, Notification.kind == "topic.accept")).all()
    assert len(notes) == 1 and notes[0].params["until"] == "2026-11-12 09:00"


@pytest.mark.parametrize("days", [2, 31, 0, -1])
def test_comment_period_outside_3_to_30_days_is_refused(place, days):
    topic, _, secretary = reviewed(place)
    with pytest.raises(Refused) as refused:
        service.accept(secretary, topic, days)
    assert "3" in str(refused.value.message) and "30" in str(refused.value.message)
    db.session.rollback()
    assert topic.stage == "in_review"


@pytest.mark.parametrize("days", [3, 30])
def test_comment_period_boundaries_are_allowed(place, days):
    topic, _, secretary = reviewed(place)
    service.accept(secretary, topic, days)
    assert topic.stage == "commenting"


def test_reject_needs_a_public_reason(place):
    topic, proposer, secretary = reviewed(place)
    with pytest.raises(Refused) as refused:
        service.reject(secretary, topic, "   ")
    assert refused.value.field == "reason"
    db.session.rollback()
    service.reject(secretary, topic, "属于物业公司职责，已转交物业处理。")
    db.session.commit()
    assert topic.stage == "rejected"
    assert topic.closing_reason == "属于物业公司职责，已转交物业处理。"
    step = db.session.scalars(select(StageChange).where(StageChange.topic_id == topic.id)
                              .order_by(StageChange.id.desc())).first()
    assert step.note == topic.closing_reason


def test_only_a_secretary_of_the_community_reviews(place):
    topic, proposer, _ = reviewed(place)
    c = topic.community
    other = factories.office_holder(factories.community("别处"), Role.SECRETARY, "外社区秘书")
    rep = factories.office_holder(c, Role.REPRESENTATIVE, "代表")
    db.session.commit()
    for who in (proposer, other, rep):
        with pytest.raises(Refused):
            service.accept(who, topic, 7)
        db.session.rollback()
    assert topic.stage == "in_review"


def test_the_proposer_withdraws_before_acceptance_only(place):
    c, secretary = place
    proposer = factories.resident(c, unit=home(c))
    topic = propose(proposer, c)
    neighbour = neighbours(c, 1)[0]
    db.session.commit()
    with pytest.raises(Refused):
        service.withdraw(neighbour, topic)
    db.session.rollback()
    service.withdraw(proposer, topic, "已和物业协商解决")
    db.session.commit()
    assert topic.stage == "withdrawn"
    accepted, proposer2, secretary = reviewed(place)
    service.accept(secretary, accepted, 7)
    db.session.commit()
    with pytest.raises(Refused) as refused:
        service.withdraw(proposer2, accepted)
    assert "阶段" in str(refused.value.message)


def test_deliberation_waits_for_the_end_of_the_comment_period(place):
    topic, _, secretary = reviewed(place)
    with clock.frozen(T0):
        service.accept(secretary, topic, 7)
        db.session.commit()
    with clock.frozen(T0 + timedelta(days=7) - timedelta(seconds=1)):
        assert not lifecycle.comment_period_over(topic)
        with pytest.raises(Refused) as refused:
            service.move_to_deliberation(secretary, topic)
        assert "2026-11-09 09:00" in str(refused.value.message)
        db.session.rollback()
    with clock.frozen(T0 + timedelta(days=7)):
        assert lifecycle.comment_period_over(topic)
        service.move_to_deliberation(secretary, topic)
        db.session.commit()
    assert topic.stage == "deliberating"


def test_every_transition_is_in_the_timeline_and_the_intact_audit_chain(place):
    topic, proposer, secretary = reviewed(place)
    service.accept(secretary, topic, 7)
    db.session.commit()
    steps = db.session.scalars(select(StageChange.transition).where(
        StageChange.topic_id == topic.id).order_by(StageChange.id)).all()
    assert steps == ["submit", "reach_threshold", "accept"]
    actions = db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "topics", AuditEntry.object_id == topic.id)
        .order_by(AuditEntry.id)).all()
    assert actions == ["topic.submit", "topic.cosign", "topic.cosign", "topic.cosign",
                       "topic.reach_threshold", "topic.accept"]
    assert verify_chain().ok


def test_refusal_in_the_wrong_stage_names_the_stage(place):
    c, secretary = place
    proposer = factories.resident(c, unit=home(c))
    topic = propose(proposer, c)
    message = str(lifecycle.refusal(secretary, topic, "accept", {"days": 7}))
    assert str(lifecycle.STAGE_LABELS[Stage.PROPOSED]) in message


def test_comment_period_reminder_is_sent_once_within_the_last_day(place):
    topic, proposer, secretary = reviewed(place)
    with clock.frozen(T0):
        service.accept(secretary, topic, 3)
        db.session.commit()
    with clock.frozen(T0 + timedelta(days=1)):
        assert service.send_comment_period_reminders() == 0
    with clock.frozen(T0 + timedelta(days=2, hours=1)):
        assert service.send_comment_period_reminders() == 4  # proposer and three co-signers
        assert service.send_comment_period_reminders() == 0
        db.session.commit()


def test_remind_command_commits_the_reminders(app, place):
    topic, proposer, secretary = reviewed(place)
    with clock.frozen(T0):
        service.accept(secretary, topic, 3)
        db.session.commit()
    with clock.frozen(T0 + timedelta(days=2, hours=1)):
        for expected in (4, 0):  # the second run finds them sent: the first was committed
            result = app.test_cli_runner().invoke(args=["topics", "remind"])
            assert result.exit_code == 0, result.output
            assert f"{expected} reminders sent." in result.output
    db.session.rollback()
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.kind == "topic.comment_period_ending")) == 4


def test_follow_and_unfollow(place):
    c, _ = place
    proposer = factories.resident(c, unit=home(c))
    topic = propose(proposer, c)
    reader = factories.user("读者")
    service.follow(reader, topic)
    service.follow(reader, topic)
    db.session.commit()
    assert sorted(lifecycle.follower_ids(topic.id)) == sorted([proposer.id, reader.id])
    service.unfollow(reader, topic)
    db.session.commit()
    assert lifecycle.follower_ids(topic.id) == [proposer.id]


def test_the_lifecycle_is_one_list_whose_guards_and_effects_all_resolve():
    """Every transition is declared in lifecycle.LIFECYCLE (none is added by importing another
    module), each name once, and every guard or effect named "module:function" exists."""
    import importlib

    names = [t.name for t in lifecycle.LIFECYCLE]
    assert len(names) == len(set(names)) == len(lifecycle.TRANSITIONS) == 21
    for t in lifecycle.LIFECYCLE:
        for ref in (t.guard, t.effect):
            if isinstance(ref, str):
                module, _sep, name = ref.partition(":")
                assert callable(getattr(importlib.import_module(module), name)), ref
    reached = {t.target for t in lifecycle.LIFECYCLE} | {Stage.DRAFT}
    assert reached == set(Stage)  # every stage can be reached
