"""Kept visitor pages on several app hosts (consult/pagecache.py with ``REDIS_URL``): the
"something was written" generation lives in Redis, so a write through one host ends the kept
pages of every other at once; and when Redis is gone, visitors still get fresh pages, never an
error and never a stale page. Two apps with different instance folders stand for two hosts;
the Redis is real."""
from __future__ import annotations

import shutil

import pytest
import redis

from consult import create_app
from consult.extensions import db
from consult.topics import comments
from tests import factories
from tests.conftest import base_config
from tests.redis_server import RedisServer, _free_port


@pytest.fixture
def own_redis(tmp_path):
    """A Redis of this test's own: these tests stop it."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = RedisServer(tmp_path)
    yield server
    server.stop()


def _host(database_url, redis_url, instance, monkeypatch):
    monkeypatch.setenv("CONSULT_INSTANCE_PATH", str(instance))
    return create_app({**base_config(database_url), "PAGE_CACHE_SECONDS": 30,
                       "REDIS_URL": redis_url})


@pytest.fixture
def hosts(database_url, own_redis, tmp_path, monkeypatch):
    """Host A (its app context is the test's, where services write) and host B."""
    first = _host(database_url, own_redis.url, tmp_path / "a", monkeypatch)
    second = _host(database_url, own_redis.url, tmp_path / "b", monkeypatch)
    with first.app_context():
        yield first, second
        db.session.remove()
        db.engine.dispose()
    with second.app_context():
        db.engine.dispose()


@pytest.fixture
def place(hosts):
    c = factories.community("幸福里社区")
    topic = factories.topic(c, title="楼道加装扶手")
    author = factories.resident(c, "王秀英")
    db.session.commit()
    return topic, author


def state(response) -> str | None:
    return response.headers.get("X-Page-Cache")


def test_a_write_through_one_host_ends_the_kept_pages_of_the_other_at_once(hosts, place):
    first, second = hosts
    topic, author = place
    visitor_b = second.test_client()
    assert [state(visitor_b.get(f"/topics/{topic.id}")) for _ in range(2)] == ["miss", "hit"]

    comments.post(author, topic, "我家老人每天要上下楼，非常需要扶手。")
    db.session.commit()  # on host A

    after = visitor_b.get(f"/topics/{topic.id}")
    assert state(after) == "miss"
    assert "非常需要扶手" in after.get_data(as_text=True)
    assert state(visitor_b.get(f"/topics/{topic.id}")) == "hit"  # and kept again


def test_a_write_through_the_web_on_one_host_is_seen_on_the_other(hosts, place):
    first, second = hosts
    topic, author = place
    visitor_b = second.test_client()
    visitor_b.get(f"/topics/{topic.id}")
    resident_a = first.test_client()
    with resident_a.session_transaction() as session:
        session["_user_id"] = author.get_id()
        session["_fresh"] = True
    posted = resident_a.post(f"/topics/{topic.id}/comments",
                             data={"body": "物业说下个月可以开工。"})
    assert posted.status_code == 303
    after = visitor_b.get(f"/topics/{topic.id}")
    assert state(after) == "miss"
    assert "下个月可以开工" in after.get_data(as_text=True)


def test_without_redis_visitors_get_fresh_pages_and_writes_still_succeed(hosts, place,
                                                                        own_redis):
    first, second = hosts
    topic, author = place
    visitor_b = second.test_client()
    visitor_b.get(f"/topics/{topic.id}")
    assert state(visitor_b.get(f"/topics/{topic.id}")) == "hit"

    own_redis.stop()
    down = visitor_b.get(f"/topics/{topic.id}")
    assert down.status_code == 200
    assert state(down) is None  # fresh, and not kept
    comments.post(author, topic, "停电那天电梯也停了。")
    db.session.commit()  # the write succeeds though its generation cannot be counted
    after = visitor_b.get(f"/topics/{topic.id}")
    assert after.status_code == 200 and state(after) is None
    assert "电梯也停了" in after.get_data(as_text=True)
    # A resident's home page reads its kept statistics under the same generation: it is
    # counted afresh, not refused.
    resident_b = second.test_client()
    with resident_b.session_transaction() as sess:
        sess["_user_id"] = author.get_id()
        sess["_fresh"] = True
    assert resident_b.get("/").status_code == 200

    # Redis comes back empty (restarted, the counter lost): pages are kept again, and a page
    # kept before the outage can never match the new counter.
    restarted = RedisServer(own_redis.folder, port=own_redis.port)
    try:
        assert state(visitor_b.get(f"/topics/{topic.id}")) == "miss"
        assert state(visitor_b.get(f"/topics/{topic.id}")) == "hit"
        comments.post(author, topic, "恢复后再说一句。")
        db.session.commit()
        assert "恢复后再说一句" in visitor_b.get(f"/topics/{topic.id}").get_data(as_text=True)
    finally:
        restarted.stop()


def test_a_write_that_could_not_reach_redis_is_counted_when_it_can(hosts, place, own_redis):
    """Host A loses Redis for a moment (host B does not): its write is counted at A's next
    request, so B's kept page does not outlive it."""
    first, second = hosts
    topic, author = place
    visitor_b = second.test_client()
    visitor_b.get(f"/topics/{topic.id}")

    source = first.extensions["consult_page_cache"].generation_source
    reachable = source.client
    source.client = redis.Redis(port=_free_port(), socket_connect_timeout=0.2)  # nobody there
    comments.post(author, topic, "我也同意加装。")
    db.session.commit()
    assert state(visitor_b.get(f"/topics/{topic.id}")) == "hit"  # B cannot know yet
    source.client = reachable

    first.test_client().get("/")  # A's next visitor request sends the count
    after = visitor_b.get(f"/topics/{topic.id}")
    assert state(after) == "miss"
    assert "我也同意加装" in after.get_data(as_text=True)


def test_one_redis_read_per_visitor_request(hosts, place, own_redis):
    first, second = hosts
    topic, _ = place
    visitor_b = second.test_client()
    visitor_b.get(f"/topics/{topic.id}")
    before = redis.Redis.from_url(own_redis.url).info("commandstats")
    visitor_b.get(f"/topics/{topic.id}")
    after = redis.Redis.from_url(own_redis.url).info("commandstats")

    def calls(stats, command):
        return stats.get(f"cmdstat_{command}", {}).get("calls", 0)

    assert calls(after, "get") - calls(before, "get") == 1
    assert calls(after, "incr") == calls(before, "incr")  # a read writes nothing


def test_a_residents_kept_topic_list_ends_with_another_hosts_write(hosts, place, own_redis):
    """The topic list a logged-in resident reads is kept per filter until something is
    written (consult/written.py); a write on another host reaches it through the same Redis
    generation as the visitors' pages. The write here goes past this process's SQLAlchemy
    (a raw connection), as another host's would."""
    from consult.pagecache import RedisGeneration

    first, second = hosts
    topic, author = place
    reader = second.test_client()
    with reader.session_transaction() as session:
        session["_user_id"] = author.get_id()
    assert "楼道加装扶手" in reader.get("/topics").get_data(as_text=True)

    raw = db.engine.raw_connection()
    try:
        mark = "?" if db.engine.dialect.paramstyle == "qmark" else "%s"
        raw.cursor().execute(f"UPDATE topics SET title = {mark} WHERE id = {mark}",
                             ("楼道加装扶手和照明", topic.id))
        raw.commit()
    finally:
        raw.close()
    # Unseen by this process: the list kept a moment ago is what host B still shows ...
    assert "扶手和照明" not in reader.get("/topics").get_data(as_text=True)
    RedisGeneration(own_redis.url).bump()  # ... until the writing host counts its write
    assert "楼道加装扶手和照明" in reader.get("/topics").get_data(as_text=True)
