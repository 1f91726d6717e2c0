"""The "broad support" order as the topic page reads it: the ranking kept per worker for the
topic's ``ranking_token`` gives the same page as ranking the whole thread afresh (the way the
page did before issue 19), and every change the ranking reads moves the token."""
from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from consult import written
from consult.extensions import db
from consult.permissions import forget_memberships
from consult.topics import comments, consensus
from consult.topics.models import Comment, Reaction, Topic
from tests import factories
from tests.topics.test_comments import T0, later, now, place, post  # noqa: F401 (fixtures)


def reference(topic_id: int) -> tuple[list[int], consensus.Ranking]:
    """The top-level comments in broad-support order and the ranking, computed from every
    comment and mark as the page did before the ranking was kept: withdrawn and hidden
    comments last, the rest in the ranking's order."""
    rows = db.session.execute(
        select(Comment.id, Comment.created_at, Comment.parent_id, Comment.withdrawn_at,
               Comment.hidden_at)
        .where(Comment.topic_id == topic_id).order_by(Comment.created_at, Comment.id)).all()
    votes = db.session.execute(select(Reaction.comment_id, Reaction.user_id, Reaction.value)
                               .where(Reaction.topic_id == topic_id)).all()
    ranking = consensus.rank(votes, [(r.id, r.created_at) for r in rows])
    order = {cid: i for i, cid in enumerate(ranking.order)}
    tops = sorted((r for r in rows if r.parent_id is None), key=lambda r: (
        r.withdrawn_at is not None or r.hidden_at is not None, order[r.id]))
    return [r.id for r in tops], ranking


def page_by_page(viewer, topic, per_page: int) -> tuple[list[comments.Thread], list[int]]:
    threads, ids = [], []
    page = 1
    while True:
        t = comments.thread(viewer, topic, "consensus", pages=page, first_page=page,
                            per_page=per_page)
        threads.append(t)
        ids += [v.id for v in t.comments]
        if not t.has_more:
            return threads, ids
        page += 1


def assert_as_before(viewer, topic, per_page: int = 7) -> list[int]:
    """Every page of the thread, its order, groups and each comment's support, equal to the
    reference; and the page :func:`comments.thread_page` names for each comment."""
    db.session.expire_all()
    topic = db.session.get(Topic, topic.id)
    want, ranking = reference(topic.id)
    threads, got = page_by_page(viewer, topic, per_page)
    assert got == want
    for t in threads:
        assert t.groups == ranking.groups
        for v in [*t.comments, *(r for v in t.comments for r in v.replies)]:
            assert v.support == ranking.support[v.id], v.id
    for i, cid in enumerate(want[:40]):
        assert comments.thread_page(db.session.get(Comment, cid), "consensus") == (
            i // comments.THREADS_PER_PAGE + 1)
    return want


@pytest.fixture
def busy(place):
    """A thread whose order is hard to get right: two camps of residents (so two opinion
    groups), comments posted at the same second (ties go to the lower id), comments nobody
    marked, comments with exactly the same marks (equal scores), replies (ranked, not
    threads), a withdrawn and a hidden comment that had the most agreement."""
    p = place
    rng = random.Random(19)
    p.people = [factories.resident(p.c, f"居民{i}") for i in range(16)]
    authors = [p.alice, p.bob, p.carol]
    rows = []
    for i in range(48):
        parent = rows[rng.randrange(len(rows))] if i % 6 == 5 else None
        if parent is not None and parent.parent_id is not None:
            parent = None
        rows.append(Comment(topic_id=p.topic.id, author_id=authors[i % 3].id,
                            body=f"意见{i}", created_at=T0 - timedelta(minutes=i // 3),
                            parent_id=parent.id if parent is not None else None))
        db.session.add(rows[-1])
        db.session.flush()
    for i, c in enumerate(rows):
        if i % 11 == 10:
            continue  # nobody marked it
        for j, person in enumerate(p.people):
            camp = j % 2
            if i in (7, 8):  # the same marks: the same score
                value = ("agree", "pass", "disagree")[j % 3]
            elif i % 4 == 0:  # common ground
                value = "agree" if rng.random() < 0.7 else "pass"
            elif rng.random() < 0.3:
                continue
            else:
                value = "agree" if (i % 2 == camp) == (rng.random() < 0.85) else "disagree"
            db.session.add(Reaction(comment_id=c.id, topic_id=p.topic.id, user_id=person.id,
                                    value=value))
    db.session.commit()
    tops = [c for c in rows if c.parent_id is None]
    comments.withdraw(db.session.get(Comment, tops[0].id).author, tops[0])
    comments.hide(p.secretary, tops[4], "人身攻击")
    db.session.commit()
    p.rows = rows
    comments.forget_rankings()
    return p


def test_the_kept_ranking_gives_the_page_as_ranking_afresh(busy):
    p = busy
    _want, ranking = reference(p.topic.id)
    assert ranking.groups == 2  # the case is the hard one: two groups found
    scores = [ranking.support[c.id].score for c in p.rows]
    assert len(set(scores)) < len(scores)  # ... with equal scores to break
    for viewer in (None, p.people[0], p.secretary):
        order = assert_as_before(viewer, p.topic)  # ranked afresh, then kept
        assert assert_as_before(viewer, p.topic) == order  # from the kept ranking
    # Withdrawn and hidden last; the rest in the ranking's order.
    assert order[-2:] == sorted(order[-2:], key=ranking.order.index)


def test_a_kept_ranking_reads_no_mark(busy, count_queries):
    p = busy
    topic = db.session.get(Topic, p.topic.id)
    comments.thread(p.carol, topic, "consensus")  # ranked and kept
    counted = {}
    for sort in ("consensus", "newest"):
        db.session.expire_all()
        topic = db.session.get(Topic, p.topic.id)
        forget_memberships()
        with count_queries() as q:
            comments.thread(p.carol, topic, sort)
        counted[sort] = q.count
    assert counted["consensus"] == counted["newest"], counted


def test_every_change_the_ranking_reads_moves_it(busy):
    p = busy
    topic = p.topic
    tops = [c for c in p.rows if c.parent_id is None]
    before = assert_as_before(p.carol, topic)
    last = before[-3]  # low in the order: marks move it
    steps = [
        lambda: [comments.react(person, db.session.get(Comment, last), "agree")
                 for person in p.people],
        lambda: comments.react(p.people[0], db.session.get(Comment, last), "disagree"),
        lambda: comments.react(p.people[1], db.session.get(Comment, last), comments.CLEAR),
        lambda: comments.post(p.bob, topic, "新的意见"),
        lambda: comments.post(p.bob, topic, "回复", tops[3].id),
        lambda: comments.withdraw(p.alice, db.session.get(Comment, before[0])),
        lambda: comments.hide(p.secretary, db.session.get(Comment, before[1]), "广告"),
        lambda: comments.restore(p.secretary, db.session.get(Comment, before[1])),
        # Written without the rules (an import, a test's rows): still noticed.
        lambda: db.session.add(Reaction(comment_id=before[2], topic_id=topic.id,
                                        user_id=p.carol.id, value="disagree")),
    ]
    orders = [before]
    for n, step in enumerate(steps):
        with later(n + 1):
            step()
            db.session.commit()
            orders.append(assert_as_before(p.carol, topic))
    assert orders[1].index(last) < before.index(last)  # the marks moved it up
    assert orders[6][-1] == before[0] or before[0] in orders[6][-3:]  # withdrawn: last
    assert len({tuple(o) for o in orders}) > 4


def test_the_token_moves_once_per_commit_and_not_for_other_changes(busy):
    p = busy
    token = db.session.get(Topic, p.topic.id).ranking_token
    for person in p.people[:3]:
        comments.react(person, db.session.get(Comment, p.rows[1].id), "pass")
    db.session.commit()
    assert db.session.get(Topic, p.topic.id).ranking_token == token + 1
    with later(1):
        mine = post(p, p.bob, "原文")
    token = db.session.get(Topic, p.topic.id).ranking_token
    with later(2):
        comments.edit(p.bob, mine, "改过的原文")  # the text is not ranked
        comments.report(p.carol, mine, "不实")
        db.session.commit()
    assert db.session.get(Topic, p.topic.id).ranking_token == token
    comments.react(p.carol, mine, "agree")
    db.session.rollback()
    assert db.session.get(Topic, p.topic.id).ranking_token == token


def test_an_uncommitted_change_is_seen_by_its_transaction_and_never_kept(busy):
    p = busy
    before = assert_as_before(p.carol, p.topic)
    last = before[-3]
    for person in p.people:
        comments.react(person, db.session.get(Comment, last), "agree")
    topic = db.session.get(Topic, p.topic.id)
    seen = [v.id for v in comments.thread(p.carol, topic, "consensus", per_page=100).comments]
    assert seen == reference(p.topic.id)[0] != before
    db.session.rollback()
    assert assert_as_before(p.carol, p.topic) == before


def test_the_kept_rankings_are_bounded(busy, monkeypatch):
    p = busy
    monkeypatch.setattr(comments, "RANKINGS_KEPT", 2)
    comments.forget_rankings()
    topics = [p.topic] + [factories.topic(p.c, p.alice, title=f"议题{i}") for i in range(3)]
    db.session.commit()
    for t in topics:
        comments.thread(None, t, "consensus")
    assert list(comments._kept) == [t.id for t in topics[-2:]]
    kept = comments.kept_ranking(db.session.get(Topic, p.topic.id))
    # A few bytes per comment: ids, order and (agrees, marks) per group as machine integers.
    assert kept.nbytes() <= len(p.rows) * (8 + 8 + 4 * 2 * kept.groups) + 64


def test_the_viewers_marks_and_reports_show_whether_the_ranking_is_kept_or_not(busy):
    p = busy
    top = assert_as_before(p.carol, p.topic)[0]
    first = db.session.get(Comment, top)
    comments.react(p.carol, first, "disagree")
    comments.report(p.carol, first, "不实")
    db.session.commit()
    for state in ("ranked afresh", "kept"):
        db.session.expire_all()
        topic = db.session.get(Topic, p.topic.id)
        v = next(v for v in comments.thread(p.carol, topic, "consensus", per_page=100).comments
                 if v.id == top)
        assert (v.my_reaction, v.reported, v.can_report) == ("disagree", True, False), state
        other = comments.thread(p.bob, topic, "consensus", per_page=100).comments
        assert not any(w.reported or w.my_reaction == "disagree" and w.id == top
                       for w in other), state


# --- after a new mark, the order of a moment ago while the topic is ranked in the background --

@pytest.fixture
def in_background(app, monkeypatch):
    monkeypatch.setitem(app.config, "RANKING_REFRESH_IN_BACKGROUND", True)
    yield
    comments.wait_for_refreshes()


def _order(viewer, topic_id: int) -> list[int]:
    db.session.expire_all()
    topic = db.session.get(Topic, topic_id)
    return [v.id for v in comments.thread(viewer, topic, "consensus", per_page=100).comments]


def _raise_low_comment(p, before: list[int]) -> int:
    """Every resident agrees with a comment low in the order, committed: it moves up."""
    last = before[-3]
    for person in p.people:
        comments.react(person, db.session.get(Comment, last), "agree")
    db.session.commit()
    return last


def test_after_a_mark_the_page_shows_the_kept_order_until_the_new_one_is_ready(
        busy, in_background):
    p = busy
    before = assert_as_before(p.carol, p.topic)  # nothing kept yet: ranked before answering
    last = _raise_low_comment(p, before)
    assert _order(p.carol, p.topic.id) == before  # the order of a moment ago, at once
    comments.wait_for_refreshes()
    after = assert_as_before(p.carol, p.topic)  # the new ranking, kept for the new token
    assert after.index(last) < before.index(last)
    assert comments._kept[p.topic.id].token == db.session.get(Topic, p.topic.id).ranking_token


def test_one_ranking_at_a_time_per_topic_and_the_page_never_waits_for_it(
        busy, in_background, monkeypatch):
    p = busy
    before = assert_as_before(p.carol, p.topic)
    _raise_low_comment(p, before)
    release, started = threading.Event(), []
    rank = comments._rank

    def slow_rank(*args, **kwargs):
        if threading.current_thread() is not threading.main_thread():
            started.append(threading.current_thread().name)
            assert release.wait(30)
        return rank(*args, **kwargs)

    monkeypatch.setattr(comments, "_rank", slow_rank)
    for viewer in (p.carol, p.bob, None):  # three readers while the ranking is under way
        assert _order(viewer, p.topic.id) == before
    release.set()
    comments.wait_for_refreshes()
    assert started == [f"rank-topic-{p.topic.id}"]
    assert _order(p.carol, p.topic.id) == reference(p.topic.id)[0] != before


def test_a_failed_ranking_keeps_the_order_and_the_next_read_tries_again(
        busy, in_background, monkeypatch, caplog):
    p = busy
    before = assert_as_before(p.carol, p.topic)
    _raise_low_comment(p, before)
    rank, failures = comments._rank, []

    def failing_once(*args, **kwargs):
        if threading.current_thread() is not threading.main_thread() and not failures:
            failures.append(1)
            raise RuntimeError("the database went away")
        return rank(*args, **kwargs)

    monkeypatch.setattr(comments, "_rank", failing_once)
    assert _order(p.carol, p.topic.id) == before
    comments.wait_for_refreshes()
    assert "ranking topic" in caplog.text and failures == [1]
    assert _order(p.carol, p.topic.id) == before  # still the kept order; ranked again
    comments.wait_for_refreshes()
    assert _order(p.carol, p.topic.id) == reference(p.topic.id)[0]


def test_a_new_comment_is_found_on_its_page_while_the_order_trails(busy, in_background):
    """Linking to a comment (a notification, "show it in the thread") ranks before answering:
    a comment posted since the kept ranking is never missing from it."""
    p = busy
    assert_as_before(p.carol, p.topic)
    with later(1):
        mine = post(p, p.bob, "刚发的意见")
    db.session.commit()
    page = comments.thread_page(db.session.get(Comment, mine.id), "consensus")
    assert page >= 1
    comments.wait_for_refreshes()
    want = reference(p.topic.id)[0]
    assert page == want.index(mine.id) // comments.THREADS_PER_PAGE + 1


def test_the_topic_page_after_a_mark_answers_from_the_kept_ranking(busy, in_background, client):
    p = busy
    with client.session_transaction() as sess:
        sess["_user_id"] = p.carol.get_id()
        sess["_fresh"] = True
    path = f"/topics/{p.topic.id}?sort=consensus"
    request_thread = threading.current_thread()
    seen: list[str] = []

    def note(conn, cursor, statement, *_args):
        if threading.current_thread() is request_thread:
            seen.append(statement)

    def statements_of(answer_path: str) -> list[str]:
        seen.clear()
        event.listen(db.engine, "before_cursor_execute", note)
        try:
            answer = client.get(answer_path)
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
        assert answer.status_code == 200
        return list(seen)

    client.get(path)  # ranked and kept
    warm = statements_of(path)
    _raise_low_comment(p, reference(p.topic.id)[0])
    after_mark = statements_of(path)
    # The request runs the statements of a warm one: the ranking's query, reading every
    # comment and mark of the topic, runs in the background thread.
    assert after_mark == warm
    comments.wait_for_refreshes()


def test_a_ranking_kept_from_another_database_is_never_served(busy, in_background, monkeypatch):
    """A database put in place of the worker's (the tests' next database, a restore) may hold
    the same topic id with the same token and other comments: its ranking is made afresh,
    before answering, and never taken from what was kept."""
    p = busy
    assert_as_before(p.carol, p.topic)  # kept
    ranked_here = []
    rank = comments._rank

    def spy(*args, **kwargs):
        ranked_here.append(threading.current_thread() is threading.main_thread())
        return rank(*args, **kwargs)

    monkeypatch.setattr(comments, "_rank", spy)
    _order(p.carol, p.topic.id)
    assert ranked_here == []  # same database, same token: the kept ranking
    written.written_elsewhere()
    assert _order(p.carol, p.topic.id) == reference(p.topic.id)[0]
    assert ranked_here == [True]  # ranked in the request, not served from the other database


def test_no_thread_to_be_had_keeps_the_order_and_the_next_read_tries_again(
        busy, in_background, monkeypatch, caplog):
    p = busy
    before = assert_as_before(p.carol, p.topic)
    _raise_low_comment(p, before)
    start = threading.Thread.start

    def refused(thread):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refused)
    assert _order(p.carol, p.topic.id) == before
    assert "could not start ranking topic" in caplog.text
    assert p.topic.id not in comments._refreshing
    monkeypatch.setattr(threading.Thread, "start", start)
    assert _order(p.carol, p.topic.id) == before  # this read starts the ranking
    comments.wait_for_refreshes()
    assert _order(p.carol, p.topic.id) == reference(p.topic.id)[0]
