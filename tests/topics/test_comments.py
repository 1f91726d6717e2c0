"""The open-comment rules (consult.topics.comments), without HTTP: posting, replies, the edit
window, withdrawing, reactions, reports, moderation, the rate limit, and thread()."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import func, select

from consult import clock
from consult.accounts.models import Role
from consult.audit.log import verify_chain
from consult.audit.models import AuditEntry
from consult.community.models import ResidencyStatus
from consult.extensions import db
from consult.notifications.models import Notification
from consult.permissions import forget_memberships
from consult.topics import comments
from consult.refusals import Refused
from consult.topics.models import Comment, CommentReport, Follow, Reaction, Topic
from tests import factories

pytestmark = pytest.mark.usefixtures("english")

T0 = datetime(2026, 11, 2, 1, 0)  # 09:00 in Shanghai


@pytest.fixture
def now():
    with clock.frozen(T0):
        yield T0


class Place:
    pass


@pytest.fixture
def place(app, now):
    """One community (2 grids × 2 buildings × 2 homes) with an open topic, residents, a
    secretary; another community with its own secretary and admin."""
    p = Place()
    p.c = factories.community("幸福里社区", grids=2, buildings=2, units=2)
    p.other = factories.community("和谐社区")
    p.b1 = p.c.grids[0].buildings[0]
    p.b2 = p.c.grids[1].buildings[1]
    p.alice = factories.resident(p.c, "阿丽", unit=p.b1.units[0])
    p.bob = factories.resident(p.c, "阿博", unit=p.b1.units[1])
    p.carol = factories.resident(p.c, "卡萝", unit=p.b2.units[0])
    p.pending = factories.resident(p.c, "待认证", unit=p.b1.units[0],
                                   status=ResidencyStatus.PENDING)
    p.outsider = factories.resident(p.other, "外人")
    p.secretary = factories.office_holder(p.c, Role.SECRETARY, "秘书")
    p.admin = factories.office_holder(p.c, Role.ADMIN, "管理员")
    p.platform = factories.user("平台管理员", platform_admin=True)
    p.secretary_elsewhere = factories.office_holder(p.other, Role.SECRETARY, "外社区秘书")
    p.admin_elsewhere = factories.office_holder(p.other, Role.ADMIN, "外社区管理员")
    p.topic = factories.topic(p.c, p.alice)
    db.session.commit()
    return p


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def audit_actions(topic) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "topics", AuditEntry.object_id == topic.id)
        .order_by(AuditEntry.id)))


def post(p, user, body="我同意加装电梯。", parent=None) -> Comment:
    c = comments.post(user, p.topic, body, parent.id if parent else None)
    db.session.commit()
    return c


def later(minutes: float):
    return clock.frozen(T0 + timedelta(minutes=minutes))


def refused(fn, *args, match: str | None = None, forbidden: bool = False):
    """``fn(*args)`` is refused (with ``match`` in its message; by the permission table when
    ``forbidden``, else by the rules); roll back like a view."""
    with pytest.raises(Refused) as caught:
        fn(*args)
    db.session.rollback()
    if match:
        assert match in str(caught.value.message)
    assert caught.value.forbidding == forbidden, caught.value.kind
    return caught.value


class Snapshot:
    """Rows that any refused action must leave as they were."""

    def __init__(self, topic):
        self.topic_id = topic.id
        self.state = self.take()

    def take(self):
        db.session.expire_all()
        return (
            [tuple(r) for r in db.session.execute(select(
                Comment.id, Comment.body, Comment.parent_id, Comment.edited_at,
                Comment.withdrawn_at, Comment.hidden_at, Comment.hidden_reason,
                Comment.agree_count, Comment.disagree_count, Comment.pass_count,
                Comment.open_report_count).order_by(Comment.id))],
            [tuple(r) for r in db.session.execute(select(
                Reaction.comment_id, Reaction.user_id, Reaction.value).order_by(Reaction.id))],
            [tuple(r) for r in db.session.execute(select(
                CommentReport.comment_id, CommentReport.reporter_id, CommentReport.resolved_at)
                .order_by(CommentReport.id))],
            db.session.get(Topic, self.topic_id).comment_count,
            count(AuditEntry), count(Notification), count(Follow),
        )

    def unchanged(self) -> bool:
        return self.take() == self.state


# --- posting -------------------------------------------------------------------------------

def test_a_resident_comments_follows_and_it_is_in_the_audit_log(place):
    p = place
    c = post(p, p.bob, "  电梯费用怎么分摊？\r\n按楼层吗？  ")
    assert c.body == "电梯费用怎么分摊？\n按楼层吗？"
    assert c.parent_id is None and c.created_at == T0
    assert db.session.get(Topic, p.topic.id).comment_count == 1
    assert count(Follow, Follow.topic_id == p.topic.id, Follow.user_id == p.bob.id) == 1
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "topic.comment"))
    assert (entry.object_type, entry.object_id, entry.actor_id) == ("topics", p.topic.id,
                                                                    p.bob.id)
    assert entry.details == {"comment_id": c.id}
    assert entry.community_id == p.c.id
    assert verify_chain().ok


@pytest.mark.parametrize("body, message", [
    ("", "empty"),
    ("   \n\t  ", "empty"),
    ("长" * (comments.BODY_MAX + 1), "at most 2000 characters"),
])
def test_empty_and_overlong_comments_are_refused_and_change_nothing(place, body, message):
    before = Snapshot(place.topic)
    error = refused(comments.post, place.bob, place.topic, body, None, match=message)
    assert error.field == "body"
    assert before.unchanged()


def test_a_comment_of_exactly_the_maximum_length_is_accepted(place):
    c = post(place, place.bob, "长" * comments.BODY_MAX)
    assert len(c.body) == comments.BODY_MAX


def test_html_and_script_are_stored_as_typed(place):
    body = '<script>alert("x")</script><img src=x onerror=alert(1)> & <b>粗</b>'
    c = post(place, place.bob, body)
    assert c.body == body  # escaped when shown: tests/topics/test_comment_views.py


@pytest.mark.parametrize("who, code", [
    ("anonymous", "login_required"),
    ("pending", "not_verified"),
    ("outsider", "not_verified"),  # verified, but in another community
    ("secretary_elsewhere", "not_verified"),  # an office holder of another community
    ("platform", "not_verified"),  # a platform administrator speaks for no community
])
def test_only_verified_residents_comment(place, who, code):
    user = AnonymousUserMixin() if who == "anonymous" else getattr(place, who)
    before = Snapshot(place.topic)
    error = refused(comments.post, user, place.topic, "我反对", None, forbidden=True)
    assert error.code == code
    assert before.unchanged()
    assert comments.comment_refusal(user, place.topic)[0] == code


def test_residents_outside_the_scope_of_a_building_topic_cannot_comment(place):
    p = place
    topic = factories.topic(p.c, p.alice, building=p.b1, title="一号楼楼道灯")
    db.session.commit()
    error = refused(comments.post, p.carol, topic, "我们楼也要", None, forbidden=True,
                    match="another part of the community")
    assert error.code == "forbidden"
    assert comments.post(p.bob, topic, "支持", None).id


def test_comments_close_when_the_period_ends(place):
    p = place
    until = p.topic.comment_until
    with clock.frozen(until - timedelta(seconds=1)):
        post(p, p.bob, "赶在截止前")
    before = Snapshot(p.topic)
    with clock.frozen(until):
        refused(comments.post, p.bob, p.topic, "晚了", None,
                match="period has ended and comments are closed")
        assert comments.comment_refusal(p.bob, p.topic)[0] == "ended"
    assert before.unchanged()


@pytest.mark.parametrize("stage, code", [
    ("proposed", "not_yet"), ("in_review", "not_yet"), ("deliberating", "ended"),
    ("voting", "ended"), ("rejected", "never"), ("withdrawn", "never"),
])
def test_comments_are_only_open_while_commenting(place, stage, code):
    p = place
    p.topic.stage = stage
    db.session.commit()
    assert comments.comment_refusal(p.bob, p.topic)[0] == code
    refused(comments.post, p.bob, p.topic, "评论", None)
    assert count(Comment) == 0


# --- replies -------------------------------------------------------------------------------

def test_a_reply_notifies_the_author_and_a_reply_to_a_reply_joins_the_thread(place):
    p = place
    top = post(p, p.bob, "建议分两期施工")
    reply = post(p, p.carol, "同意", parent=top)
    assert reply.parent_id == top.id
    deeper = post(p, p.alice, "我也同意卡萝", parent=reply)
    assert deeper.parent_id == top.id  # one level only
    notes = db.session.scalars(select(Notification).where(Notification.kind == "topic.reply")
                               .order_by(Notification.id)).all()
    # bob is told of both replies to his comment; nobody is told of their own reply
    assert [n.user_id for n in notes] == [p.bob.id, p.bob.id]
    assert notes[0].url == f"/topics/{p.topic.id}#comment-{reply.id}"
    assert notes[0].params["name"] == "卡萝"
    assert "topic.comment_reply" in audit_actions(p.topic)
    assert db.session.get(Topic, p.topic.id).comment_count == 3


def test_replying_to_ones_own_comment_notifies_nobody(place):
    top = post(place, place.bob)
    post(place, place.bob, "补充一句", parent=top)
    assert count(Notification, Notification.kind == "topic.reply") == 0


def test_a_reply_to_a_comment_of_another_topic_or_a_withdrawn_one_is_refused(place):
    p = place
    elsewhere = factories.topic(p.c, p.alice, title="垃圾分类")
    db.session.commit()
    foreign = comments.post(p.bob, elsewhere, "别处的评论", None)
    db.session.commit()
    refused(comments.post, p.bob, p.topic, "回复", foreign.id, match="not on this topic")
    refused(comments.post, p.bob, p.topic, "回复", 999_999, match="not on this topic")
    gone = post(p, p.carol, "撤回前")
    comments.withdraw(p.carol, gone)
    db.session.commit()
    refused(comments.post, p.bob, p.topic, "回复", gone.id, match="no longer shown")


# --- editing -------------------------------------------------------------------------------

def test_the_author_edits_within_15_minutes_and_the_edit_is_marked(place):
    p = place
    c = post(p, p.bob, "初稿")
    with later(14.9):
        comments.edit(p.bob, c, "修改稿")
        db.session.commit()
    assert c.body == "修改稿" and c.edited_at == T0 + timedelta(minutes=14.9)
    assert "topic.comment_edit" in audit_actions(p.topic)


def test_editing_after_15_minutes_is_refused(place):
    p = place
    c = post(p, p.bob, "初稿")
    before = Snapshot(p.topic)
    with later(15):
        assert not comments.can_edit(p.bob, c)
        error = refused(comments.edit, p.bob, c, "太晚的修改", match="15 minutes")
    assert error.field == "body"
    assert before.unchanged()


@pytest.mark.parametrize("who", ["carol", "secretary", "platform", "anonymous"])
def test_nobody_edits_anothers_comment(place, who):
    p = place
    c = post(p, p.bob, "原文")
    user = AnonymousUserMixin() if who == "anonymous" else getattr(p, who)
    before = Snapshot(p.topic)
    error = refused(comments.edit, user, c, "篡改", forbidden=True)
    assert error.code == ("login_required" if who == "anonymous" else "forbidden")
    assert before.unchanged()


def test_editing_refuses_empty_text_withdrawn_hidden_and_closed(place):
    p = place
    c = post(p, p.bob, "原文")
    refused(comments.edit, p.bob, c, "  ", match="empty")
    comments.hide(p.secretary, c, "人身攻击")
    db.session.commit()
    refused(comments.edit, p.bob, c, "改", match="hidden by the moderator")
    d = post(p, p.bob, "另一条")
    comments.withdraw(p.bob, d)
    db.session.commit()
    refused(comments.edit, p.bob, d, "改", match="withdrawn")
    e = post(p, p.bob, "第三条")
    p.topic.stage = "deliberating"
    db.session.commit()
    refused(comments.edit, p.bob, e, "改", match="comments are closed")


# --- withdrawing ---------------------------------------------------------------------------

def test_withdrawing_blanks_the_text_and_keeps_the_replies(place):
    p = place
    top = post(p, p.bob, "说错了")
    reply = post(p, p.carol, "你说得对", parent=top)
    comments.report(p.alice, top, "不实信息")
    db.session.commit()
    comments.withdraw(p.bob, top)
    db.session.commit()
    assert top.body == "" and top.withdrawn_at == T0
    assert top.open_report_count == 0  # nothing left to moderate
    assert db.session.get(Comment, reply.id).body == "你说得对"
    assert db.session.get(Topic, p.topic.id).comment_count == 1
    assert "topic.comment_withdraw" in audit_actions(p.topic)
    refused(comments.withdraw, p.bob, top, match="already withdrawn")
    t = comments.thread(None, p.topic, "oldest")
    assert t.comments[0].state == comments.WITHDRAWN and not t.comments[0].show_body
    assert [r.id for r in t.comments[0].replies] == [reply.id]


def test_an_author_may_withdraw_after_the_period_but_nobody_else_may(place):
    p = place
    c = post(p, p.bob)
    for who in ("carol", "secretary", "platform"):
        refused(comments.withdraw, getattr(p, who), c, forbidden=True)
    with clock.frozen(p.topic.comment_until + timedelta(days=1)):
        comments.withdraw(p.bob, c)
        db.session.commit()
    assert c.withdrawn_at is not None


# --- reactions ------------------------------------------------------------------------------

def counts(c: Comment) -> tuple[int, int, int]:
    db.session.expire(c)
    return c.agree_count, c.disagree_count, c.pass_count


def recount(c: Comment) -> tuple[int, int, int]:
    return tuple(count(Reaction, Reaction.comment_id == c.id, Reaction.value == v)
                 for v in ("agree", "disagree", "pass"))


def test_reacting_changing_repeating_and_taking_back(place):
    p = place
    c = post(p, p.bob)
    assert comments.react(p.carol, c, "agree") == "agree"
    db.session.commit()
    assert counts(c) == (1, 0, 0)
    # the same value again keeps it (a double click changes nothing)
    assert comments.react(p.carol, c, "agree") == "agree"
    db.session.commit()
    assert counts(c) == (1, 0, 0)
    assert comments.react(p.carol, c, "disagree") == "disagree"
    comments.react(p.alice, c, "pass")
    db.session.commit()
    assert counts(c) == (0, 1, 1) == recount(c)
    assert comments.react(p.carol, c, comments.CLEAR) is None
    db.session.commit()
    assert counts(c) == (0, 0, 1) == recount(c)
    assert comments.react(p.carol, c, comments.CLEAR) is None  # nothing to take back
    db.session.commit()
    assert counts(c) == (0, 0, 1)
    assert count(Reaction, Reaction.user_id == p.carol.id) == 0


@pytest.mark.parametrize("value", ["", "like", "AGREE", "1"])
def test_unknown_reaction_values_are_refused(place, value):
    c = post(place, place.bob)
    before = Snapshot(place.topic)
    refused(comments.react, place.carol, c, value, match="agree, disagree or pass")
    assert before.unchanged()


def test_reactions_refused_on_own_withdrawn_and_hidden_comments_and_after_the_period(place):
    p = place
    mine = post(p, p.carol)
    refused(comments.react, p.carol, mine, "agree", match="your own comment")
    gone = post(p, p.bob, "将撤回")
    comments.withdraw(p.bob, gone)
    hidden = post(p, p.bob, "将被隐藏")
    comments.hide(p.secretary, hidden, "广告")
    db.session.commit()
    refused(comments.react, p.carol, gone, "agree", match="withdrawn")
    refused(comments.react, p.carol, hidden, "agree", match="hidden")
    ok = post(p, p.bob, "正常")
    before = Snapshot(p.topic)
    with clock.frozen(p.topic.comment_until):
        refused(comments.react, p.carol, ok, "agree", match="comments are closed")
    assert before.unchanged()


@pytest.mark.parametrize("who, code", [("pending", "not_verified"), ("outsider", "not_verified"),
                                       ("secretary", "not_verified")])
def test_reactions_need_a_verified_resident_of_the_scope(place, who, code):
    c = post(place, place.bob)
    error = refused(comments.react, getattr(place, who), c, "agree", forbidden=True)
    assert error.code == code
    assert counts(c) == (0, 0, 0)


def test_counters_stay_exact_through_many_changes(place):
    p = place
    cs = [post(p, p.bob, f"评论{i}") for i in range(3)]
    people = [p.alice, p.carol] + [factories.resident(p.c, f"邻居{i}") for i in range(6)]
    db.session.commit()
    script = ["agree", "disagree", "pass", "none", "agree", "agree", "pass", "disagree"]
    for step, value in enumerate(script * 2):
        for i, person in enumerate(people):
            c = cs[(step + i) % 3]
            comments.react(person, c, script[(step * 3 + i) % len(script)])
        db.session.commit()
    for c in cs:
        assert counts(c) == recount(c)


# --- reports and moderation ---------------------------------------------------------------

def test_a_report_counts_once_per_person_and_is_audited(place):
    p = place
    c = post(p, p.bob, "骂人的话")
    comments.report(p.carol, c, "人身攻击")
    db.session.commit()
    assert c.open_report_count == 1
    before = Snapshot(p.topic)
    refused(comments.report, p.carol, c, "再举报一次", match="already reported")
    assert before.unchanged()
    comments.report(p.alice, c, "不文明")
    db.session.commit()
    assert db.session.get(Comment, c.id).open_report_count == 2
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "topic.comment_report").order_by(AuditEntry.id))
    assert entry.object_id == p.topic.id
    assert entry.details == {"comment_id": c.id, "reason": "人身攻击"}


def test_report_refusals(place):
    p = place
    c = post(p, p.bob)
    refused(comments.report, p.carol, c, "  ", match="Say what is wrong")
    refused(comments.report, p.carol, c, "x" * (comments.REASON_MAX + 1), match="at most 500")
    refused(comments.report, p.bob, c, "自己举报自己", match="your own comment")
    refused(comments.report, p.pending, c, "理由", forbidden=True)
    refused(comments.report, AnonymousUserMixin(), c, "理由", forbidden=True)
    assert count(CommentReport) == 0


@pytest.mark.parametrize("who", ["moderator", "secretary", "admin", "platform"])
def test_moderators_hide_with_a_reason_and_restore(place, who):
    p = place
    moderator = p.secretary if who == "moderator" else getattr(p, who)
    c = post(p, p.bob, "广告：代办房产证")
    comments.report(p.carol, c, "广告")
    db.session.commit()
    comments.hide(moderator, c, "商业广告")
    db.session.commit()
    assert (c.hidden_by_id, c.hidden_reason, c.hidden_at) == (moderator.id, "商业广告", T0)
    assert c.open_report_count == 0
    assert db.session.scalar(select(CommentReport.resolved_at)) == T0
    note = db.session.scalar(select(Notification).where(
        Notification.kind == "topic.comment_hidden"))
    assert note.user_id == p.bob.id and note.params["note"] == "商业广告"
    refused(comments.hide, moderator, c, "再藏一次", match="already hidden")
    comments.restore(moderator, c)
    db.session.commit()
    assert c.hidden_at is None and c.hidden_reason == ""
    refused(comments.restore, moderator, c, match="not hidden")
    entries = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action.in_(["topic.comment_hide", "topic.comment_restore"]))
        .order_by(AuditEntry.id)).all()
    assert [(e.action, e.object_type, e.object_id) for e in entries] == [
        ("topic.comment_hide", "topics", p.topic.id),
        ("topic.comment_restore", "topics", p.topic.id)]
    assert entries[0].details["comment_id"] == c.id
    assert entries[0].details["reason"] == "商业广告"
    assert entries[1].details["hidden_reason"] == "商业广告"


@pytest.mark.parametrize("who", ["anonymous", "alice", "bob", "carol", "pending", "outsider",
                                 "secretary_elsewhere", "admin_elsewhere"])
def test_nobody_but_the_communitys_moderators_hides_or_restores(place, who):
    p = place
    user = AnonymousUserMixin() if who == "anonymous" else getattr(p, who)
    c = post(p, p.bob)
    before = Snapshot(p.topic)
    error = refused(comments.hide, user, c, "理由", forbidden=True)
    assert error.code == ("login_required" if who == "anonymous" else "forbidden")
    refused(comments.dismiss_reports, user, c, forbidden=True)
    assert before.unchanged()
    comments.hide(p.secretary, c, "理由")
    db.session.commit()
    before = Snapshot(p.topic)
    refused(comments.restore, user, c, forbidden=True)
    assert before.unchanged()


def test_hiding_needs_a_reason_and_a_comment_to_hide(place):
    p = place
    c = post(p, p.bob)
    error = refused(comments.hide, p.secretary, c, " ", match="Give a reason")
    assert error.field == "reason"
    refused(comments.hide, p.secretary, c, "长" * 501, match="at most 500")
    comments.withdraw(p.bob, c)
    db.session.commit()
    refused(comments.hide, p.secretary, c, "理由", match="withdrawn")


def test_dismissing_reports_keeps_the_comment(place):
    p = place
    c = post(p, p.bob)
    refused(comments.dismiss_reports, p.secretary, c, match="no open reports")
    comments.report(p.carol, c, "我不喜欢")
    db.session.commit()
    comments.dismiss_reports(p.secretary, c)
    db.session.commit()
    assert c.open_report_count == 0 and c.hidden_at is None
    assert "topic.comment_dismiss" in audit_actions(p.topic)


def test_the_moderation_queue_holds_reported_comments_of_ones_communities(place):
    p = place
    elsewhere_topic = factories.topic(p.other, p.outsider, title="外社区议题")
    db.session.commit()
    mine = post(p, p.bob, "被举报")
    comments.report(p.carol, mine, "不实")
    comments.report(p.alice, mine, "夸大")
    post(p, p.bob, "无人举报")
    theirs = comments.post(p.outsider, elsewhere_topic, "外社区评论", None)
    neighbour = factories.resident(p.other, "外社区邻居")
    comments.report(neighbour, theirs, "广告")
    db.session.commit()
    queue = comments.moderation_queue(p.secretary)
    assert [i.comment.id for i in queue] == [mine.id]
    assert [name for _r, name in queue[0].reports] == ["卡萝", "阿丽"]
    assert queue[0].topic.id == p.topic.id
    assert [i.comment.id for i in comments.moderation_queue(p.secretary_elsewhere)] == [
        theirs.id]
    assert {i.comment.id for i in comments.moderation_queue(p.platform)} == {mine.id, theirs.id}
    assert comments.moderation_queue(p.carol) == []


# --- the rate limit -----------------------------------------------------------------------

def test_at_most_five_comments_a_minute(place):
    p = place
    for i in range(5):
        with later(i * 0.1):
            post(p, p.bob, f"第{i}条")
    before = Snapshot(p.topic)
    with later(0.9):
        error = refused(comments.post, p.bob, p.topic, "第六条", None, match="very quickly")
    assert error.field == "body"
    assert before.unchanged()
    with later(0.9):  # others are not slowed down
        post(p, p.carol, "我的第一条")
    with later(1.01):
        post(p, p.bob, "等了一分钟")


def test_at_most_thirty_comments_an_hour(place):
    p = place
    for i in range(30):
        with later(i * 1.5):  # 30 comments in 45 minutes, never 5 in a minute
            post(p, p.bob, f"第{i}条")
    with later(50):
        refused(comments.post, p.bob, p.topic, "第31条", None, match="30 comments in the last")
    with later(60.01):  # the first one is more than an hour old
        post(p, p.bob, "一小时后")


# --- the thread ---------------------------------------------------------------------------

def make_comments(p, n: int, people) -> list[Comment]:
    rows = []
    for i in range(n):
        rows.append(Comment(topic_id=p.topic.id, author_id=people[i % len(people)].id,
                            body=f"评论 {i}", created_at=T0 + timedelta(seconds=i),
                            parent_id=rows[i - 1].id if i % 5 == 4 and rows[i - 1].parent_id
                            is None else None))
        db.session.add(rows[-1])
        if i % 5 == 3:
            db.session.flush()
    db.session.flush()
    for i, c in enumerate(rows):
        for j, person in enumerate(people):
            if (i + j) % 3:
                db.session.add(Reaction(comment_id=c.id, topic_id=p.topic.id,
                                        user_id=person.id,
                                        value=("agree", "disagree", "pass")[(i * j) % 3]))
    db.session.commit()
    return rows


@pytest.mark.parametrize("sort", comments.SORTS)
def test_thread_runs_a_fixed_number_of_queries(place, count_queries, sort):
    p = place
    people = [p.alice, p.bob, p.carol]
    seen = []
    for n in (10, 500):
        if n == 500:
            make_comments(p, 490, people)
        else:
            make_comments(p, 10, people)
        db.session.expire_all()
        topic = db.session.get(Topic, p.topic.id)
        forget_memberships()  # as in a fresh request
        with count_queries() as q:
            t = comments.thread(p.carol, topic, sort)
            for v in t.comments:  # what the template touches
                _ = (v.comment.author.name, [r.comment.author.name for r in v.replies])
        seen.append(q.count)
        # 500 comments: the first page of threads with all their replies.
        assert t.count == n if n == 10 else comments.THREADS_PER_PAGE <= t.count < n
        assert t.has_more == (n == 500)
    assert seen[0] == seen[1], seen
    assert seen[0] <= 7


def test_thread_orders_and_nests(place):
    p = place
    a = post(p, p.bob, "A")
    with later(1):
        b = post(p, p.carol, "B")
    with later(2):
        r = post(p, p.alice, "回复A", parent=a)
    oldest = comments.thread(None, p.topic, "oldest")
    assert [v.id for v in oldest.comments] == [a.id, b.id]
    assert [v.id for v in oldest.comments[0].replies] == [r.id]
    assert [v.id for v in comments.thread(None, p.topic, "newest").comments] == [b.id, a.id]
    assert comments.thread(None, p.topic, "bogus").sort == comments.DEFAULT_SORT


def test_thread_consensus_sort_puts_the_broadly_supported_first(place):
    p = place
    divisive = post(p, p.bob, "只对一楼有利")
    broad = post(p, p.bob, "大家都同意的")
    people = [factories.resident(p.c, f"居民{i}") for i in range(12)]
    db.session.commit()
    for i, person in enumerate(people):
        camp = i % 2
        comments.react(person, divisive, "agree" if camp else "disagree")
        comments.react(person, broad, "agree" if i % 4 else "pass")
    db.session.commit()
    t = comments.thread(p.carol, p.topic, "consensus")
    assert [v.id for v in t.comments] == [broad.id, divisive.id]
    assert t.comments[0].support.score > t.comments[1].support.score


def test_hidden_comments_show_the_reason_to_all_and_the_text_to_moderators(place):
    p = place
    c = post(p, p.bob, "某某是骗子")
    comments.hide(p.secretary, c, "人身攻击")
    db.session.commit()
    for viewer, sees_text in [(None, False), (p.carol, False), (p.bob, False),
                              (p.secretary, True), (p.admin, True), (p.platform, True),
                              (p.secretary_elsewhere, False)]:
        v = comments.thread(viewer, p.topic, "newest").comments[0]
        assert v.state == comments.HIDDEN
        assert v.show_body is sees_text, viewer
        assert not v.can_react


def test_viewer_flags(place):
    p = place
    c = post(p, p.bob)
    comments.react(p.carol, c, "disagree")
    comments.report(p.carol, c, "理由")
    db.session.commit()
    carol = comments.thread(p.carol, p.topic, "newest").comments[0]
    assert (carol.my_reaction, carol.reported, carol.can_report, carol.can_react,
            carol.can_edit, carol.can_moderate) == ("disagree", True, False, True, False, False)
    bob = comments.thread(p.bob, p.topic, "newest").comments[0]
    assert (bob.mine, bob.can_edit, bob.can_withdraw, bob.can_react) == (True, True, True, False)
    with later(16):
        assert not comments.thread(p.bob, p.topic, "newest").comments[0].can_edit
    visitor = comments.thread(None, p.topic, "newest")
    assert visitor.refusal_code == "login_required" and not visitor.comments[0].can_react
    assert comments.thread(p.secretary, p.topic, "newest").can_moderate


# --- concurrency ------------------------------------------------------------------------------

def test_parallel_reactions_keep_the_counters_exact(app, place, login):
    """Real threads through the HTTP stack (each request its own session and transaction)."""
    p = place
    c = post(p, p.bob)
    people = [factories.resident(p.c, f"并发{i}") for i in range(8)]
    db.session.commit()
    cid = c.id
    clients = []
    for person in people:
        client = app.test_client()
        login(person, client)
        clients.append(client)
    barrier = threading.Barrier(len(clients) * 2)
    statuses = []

    def go(client, value):
        barrier.wait()
        statuses.append(client.post(f"/comments/{cid}/react", data={"value": value}).status_code)

    # every resident twice at once: the same value (a double click) must count once
    threads = [threading.Thread(target=go, args=(cl, "agree")) for cl in clients for _ in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    db.session.rollback()
    assert statuses == [303] * len(threads)
    assert counts(c) == recount(c) == (len(people), 0, 0)


def test_posting_works_on_a_topic_loaded_for_the_page(place):
    """The topic page loads the topic with outer joins; locking it for a comment must not
    carry them into FOR UPDATE (PostgreSQL refuses that)."""
    from consult.topics import queries

    topic = queries.topic_for_page(place.topic.id)
    comments.post(place.bob, topic, "从页面来的", None)
    db.session.commit()
    assert db.session.get(Topic, topic.id).comment_count == 1
