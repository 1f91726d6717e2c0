"""The "broad support" ranking stored by the job ``topics.rank`` (table ``topic_rankings``) for
the app workers that keep none of their own yet: a worker just started reads it in one query
instead of ranking every mark of the topic, and gets the same page as ranking afresh."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, update

from consult.extensions import db
from consult.permissions import forget_memberships
from consult.topics import comments
from consult.topics.models import Comment, StoredRanking, Topic
from tests.topics.test_broad_support_kept import (  # noqa: F401 (fixtures)
    _order, _raise_low_comment, assert_as_before, busy, in_background, reference,
)
from tests.topics.test_comments import T0, later, now, place, post  # noqa: F401 (fixtures)


@pytest.fixture
def stored(busy, app, monkeypatch):
    """The busy thread as a topic of many comments: its ranking is stored from 10 comments."""
    p = busy
    count = db.session.scalar(select(func.count()).select_from(Comment).where(
        Comment.topic_id == p.topic.id, Comment.withdrawn_at.is_(None)))
    db.session.execute(update(Topic).where(Topic.id == p.topic.id)
                       .values(comment_count=count))
    db.session.commit()
    monkeypatch.setitem(app.config, "RANKING_STORED_FROM", 10)
    monkeypatch.setitem(app.config, "RANKING_STORE_SECONDS", 10.0)
    comments.forget_rankings()
    return p


def stored_row(topic_id: int) -> StoredRanking | None:
    db.session.expire_all()
    return db.session.get(StoredRanking, topic_id)


def token_of(topic_id: int) -> int:
    return db.session.scalar(select(Topic.ranking_token).where(Topic.id == topic_id))


def new_worker() -> None:
    """What a worker just started keeps: nothing."""
    comments.forget_rankings()
    forget_memberships()


def queries_of_a_new_workers_page(p, count_queries) -> dict[str, int]:
    """The statements of the thread's first page for a worker just started, by sort."""
    counted = {}
    for sort in ("consensus", "newest"):
        new_worker()
        db.session.expire_all()
        topic = db.session.get(Topic, p.topic.id)
        with count_queries() as q:
            comments.thread(p.carol, topic, sort)
        counted[sort] = q.count
    return counted


def mark(p, person_index: int, comment_index: int, value: str = "agree") -> None:
    comments.react(p.people[person_index], db.session.get(Comment, p.rows[comment_index].id),
                   value)
    db.session.commit()


def test_a_mark_stores_the_ranking_and_a_new_worker_reads_it_instead_of_the_marks(
        stored, count_queries, monkeypatch):
    p = stored
    mark(p, 0, 3, "disagree")  # the commit queues the job; the tests run jobs at once
    row = stored_row(p.topic.id)
    assert row is not None and row.token == token_of(p.topic.id)
    want = reference(p.topic.id)[0]
    new_worker()
    ranked = []
    rank = comments._rank
    monkeypatch.setattr(comments, "_rank", lambda *a, **k: ranked.append(a) or rank(*a, **k))
    counted = queries_of_a_new_workers_page(p, count_queries)
    assert ranked == []  # nobody ranked the marks: the stored ranking was read
    assert counted["consensus"] == counted["newest"] + 1  # ... in one query
    new_worker()
    assert assert_as_before(p.carol, p.topic) == want  # the same pages, supports and places
    assert ranked == []


def test_a_topic_of_few_comments_stores_nothing_and_reads_nothing(
        stored, app, monkeypatch, count_queries):
    p = stored
    monkeypatch.setitem(app.config, "RANKING_STORED_FROM", 1000)
    mark(p, 0, 3, "disagree")
    assert stored_row(p.topic.id) is None
    counted = queries_of_a_new_workers_page(p, count_queries)
    # Ranked afresh: one query for the marks and the viewer's own (as before storing).
    assert counted["consensus"] == counted["newest"]


def test_one_job_per_topic_every_few_seconds_from_a_process(stored, app, monkeypatch):
    p = stored
    mark(p, 0, 3, "disagree")
    first = stored_row(p.topic.id).token
    mark(p, 1, 3, "disagree")  # within RANKING_STORE_SECONDS: no job
    assert stored_row(p.topic.id).token == first != token_of(p.topic.id)
    monkeypatch.setitem(app.config, "RANKING_STORE_SECONDS", 0.0)
    mark(p, 2, 3, "disagree")
    assert stored_row(p.topic.id).token == token_of(p.topic.id)


def test_a_stored_ranking_that_trails_is_served_only_where_the_order_may_trail(
        stored, app, monkeypatch):
    p = stored
    before = assert_as_before(p.carol, p.topic)
    mark(p, 0, 3)  # stored for the current token
    monkeypatch.setitem(app.config, "RANKING_STORE_SECONDS", 3600.0)
    before = _order(p.carol, p.topic.id)
    last = _raise_low_comment(p, before)  # marks after it: the stored ranking trails
    assert stored_row(p.topic.id).token != token_of(p.topic.id)
    # Not where the order may not trail (the tests' setting, a comment's place): afresh.
    new_worker()
    after = assert_as_before(p.carol, p.topic)
    assert after.index(last) < before.index(last)
    # Where it may (the page of a busy topic): the stored order at once, then the new one.
    monkeypatch.setitem(app.config, "RANKING_REFRESH_IN_BACKGROUND", True)
    new_worker()
    assert _order(p.carol, p.topic.id) == before
    comments.wait_for_refreshes()
    assert _order(p.carol, p.topic.id) == after
    assert comments._kept[p.topic.id].token == token_of(p.topic.id)


@pytest.mark.parametrize("damage", ["short", "groups", "counts"])
def test_a_damaged_stored_ranking_is_never_served(stored, damage):
    p = stored
    mark(p, 0, 3, "disagree")
    want = reference(p.topic.id)[0]
    row = stored_row(p.topic.id)
    if damage == "short":
        row.ids = row.ids[:-3]  # not a whole number of ids
    elif damage == "groups":
        row.groups = row.groups + 1
    else:
        row.counts = row.counts[:-8]  # one (agrees, marks) pair missing
    db.session.commit()
    new_worker()
    assert assert_as_before(p.carol, p.topic) == want


def test_the_job_replaces_an_older_row_and_leaves_a_current_one(stored):
    p = stored
    mark(p, 0, 3, "disagree")
    row = stored_row(p.topic.id)
    token, ranked_at = row.token, row.ranked_at
    comments.store_ranking(p.topic.id)  # current: nothing written
    db.session.commit()
    assert stored_row(p.topic.id).ranked_at == ranked_at
    db.session.execute(update(StoredRanking).where(StoredRanking.topic_id == p.topic.id)
                       .values(token=token - 1))
    db.session.commit()
    comments.store_ranking(p.topic.id)  # an older row: replaced (insert on conflict update)
    db.session.commit()
    assert stored_row(p.topic.id).token == token
    comments.store_ranking(p.topic.id + 1000)  # a topic gone: nothing
    db.session.commit()
    db.session.execute(delete(Topic).where(Topic.id == p.topic.id))
    db.session.commit()
    assert stored_row(p.topic.id) is None  # deleted with its topic


def test_with_redis_the_ranking_is_stored_by_a_worker(stored, app, redis_url):
    """In production the job waits on the RQ queue for ``flask jobs worker``."""
    from consult.jobs import service
    from consult.jobs.cli import worker_class

    p = stored
    app.config.update(REDIS_URL=redis_url, JOBS_INLINE="")
    service.use_app(app)
    queue = service._rq_queue(app)
    queue.empty()
    try:
        mark(p, 0, 3, "disagree")
        assert stored_row(p.topic.id) is None  # queued, not run
        assert [j.description for j in queue.jobs] == ["topics.rank"]
        worker_class(burst=True)([queue], connection=queue.connection).work(burst=True)
        db.session.rollback()  # end this session's read: the worker wrote in its own
        row = stored_row(p.topic.id)
        assert row is not None and row.token == token_of(p.topic.id)
    finally:
        queue.empty()
        service.use_app(None)
    new_worker()
    assert _order(p.carol, p.topic.id) == reference(p.topic.id)[0]
