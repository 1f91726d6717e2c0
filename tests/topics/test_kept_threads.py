"""The comment threads of a topic page kept rendered per worker (consult/fragments.py): every
reader gets the page they would get with nothing kept, whoever rendered a thread first, after
every kind of change to a comment, in both languages and every order; no reader is ever given
another's CSRF token; the kept text stays within its bound."""
from __future__ import annotations

import re

import pytest

from consult import fragments
from consult.extensions import db
from consult.topics import comments
from consult.topics.models import Comment
from tests.topics.test_comment_views import T0, frozen_clock, new_comment, world  # noqa: F401

pytestmark = pytest.mark.one_database  # rendering, the same from either database

READERS = ["anonymous", "author", "resident", "neighbour", "out_of_scope", "pending",
           "secretary", "representative", "platform_admin"]
KEEP = 8 * 1024 * 1024  # FRAGMENTS_KEPT_CHARS while the tests keep pieces
TOKEN = re.compile(r'(name="csrf_token" value=")[^"]+(")|("X-CSRFToken": ")[^"]+(")')


@pytest.fixture
def keeping(app, monkeypatch):
    """Pieces kept (whatever the suite's setting), none kept yet; the store."""
    monkeypatch.setitem(app.config, "FRAGMENTS_KEPT_CHARS", KEEP)
    store = fragments.store_of(app)
    store.clear()
    return store


@pytest.fixture
def busy(world):
    """A thread with every kind of comment a page shows differently."""
    w, p = world, world.people
    first = new_comment(w, "author", "建议分两期施工")
    reply = comments.post(p["resident"], w.topic, "同意，先装东侧", parent_id=first.id)
    reported = new_comment(w, "resident", "物业费太贵了")
    hidden = new_comment(w, "neighbour", "广告内容")
    withdrawn = new_comment(w, "author", "写错了")
    edited = new_comment(w, "resident", "初稿")
    assisted = new_comment(w, "neighbour", "网格员代为发表", assisted_by_id=p["representative"].id)
    db.session.commit()
    comments.react(p["resident"], first, "agree")
    comments.react(p["neighbour"], first, "disagree")
    comments.react(p["author"], reply, "pass")
    comments.report(p["neighbour"], reported, "不文明")
    comments.hide(p["secretary"], hidden, "与议题无关的广告")
    comments.withdraw(p["author"], withdrawn)
    comments.edit(p["resident"], edited, "改过的稿")
    comments.post(p["secretary"], w.topic, "物业将于下月答复", official=True)
    db.session.commit()
    w.c_first, w.c_reply, w.c_reported, w.c_hidden = first, reply, reported, hidden
    w.c_edited, w.c_assisted = edited, assisted
    return w


def page(client, login, w, who: str, sort: str = "newest", lang: str = "en") -> str:
    client.set_cookie("lang", lang)
    if who != "anonymous":
        login(w.people[who], client)
    answer = client.get(f"/topics/{w.topic.id}?sort={sort}")
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def normal(text: str) -> str:
    """The page with the CSRF token (signed anew each second) left out."""
    return TOKEN.sub(lambda m: (m.group(1) or m.group(3)) + "TOKEN" + (m.group(2) or m.group(4)),
                     text)


def afresh(app, monkeypatch, fetch) -> str:
    """The page as rendered with nothing kept."""
    monkeypatch.setitem(app.config, "FRAGMENTS_KEPT_CHARS", 0)
    try:
        return fetch()
    finally:
        monkeypatch.setitem(app.config, "FRAGMENTS_KEPT_CHARS", KEEP)


def assert_pages_as_afresh(app, monkeypatch, login, w, readers=READERS, sorts=("newest",),
                           langs=("en",)):
    for lang in langs:
        for sort in sorts:
            for who in readers:
                client = app.test_client()

                def fetch():
                    return page(client, login, w, who, sort, lang)

                kept_page = fetch()  # each thread kept by the earlier readers, or rendered
                assert normal(kept_page) == normal(afresh(app, monkeypatch, fetch)), (
                    who, sort, lang)


def test_every_reader_gets_the_page_rendered_afresh(app, monkeypatch, login, busy, keeping):
    # Twice over: first each reader renders what no one before saw that way, then every thread
    # comes from what the others kept.
    for _ in range(2):
        assert_pages_as_afresh(app, monkeypatch, login, busy,
                               sorts=("newest", "oldest", "consensus"), langs=("en", "zh_Hans"))
    assert keeping.hits > keeping.misses > 0


def test_readers_who_see_a_thread_alike_share_it(app, login, busy, keeping):
    for who in ("resident", "neighbour", "out_of_scope", "anonymous"):
        page(app.test_client(), login, busy, who)
    before = keeping.misses
    page(app.test_client(), login, busy, "resident")
    page(app.test_client(), login, busy, "anonymous")
    assert keeping.misses == before  # both pages entirely from kept threads


@pytest.mark.parametrize("change", [
    "react", "unreact", "report", "hide", "restore", "withdraw", "edit", "reply", "rename",
    "rename_helper", "dismiss"])
def test_a_change_shows_at_once(app, monkeypatch, login, busy, keeping, change):
    w, p = busy, busy.people
    assert_pages_as_afresh(app, monkeypatch, login, w)  # every thread kept
    before = {who: normal(page(app.test_client(), login, w, who)) for who in READERS}
    if change == "react":
        comments.react(p["neighbour"], w.c_edited, "agree")
    elif change == "unreact":
        comments.react(p["resident"], w.c_first, "none")
    elif change == "report":
        comments.report(p["resident"], w.c_assisted, "重复")
    elif change == "hide":
        comments.hide(p["secretary"], w.c_first, "人身攻击")
    elif change == "restore":
        comments.restore(p["secretary"], w.c_hidden)
    elif change == "withdraw":
        comments.withdraw(p["resident"], w.c_reply)
    elif change == "edit":
        comments.edit(p["resident"], w.c_edited, "第三稿")
    elif change == "reply":
        comments.post(p["neighbour"], w.topic, "我也同意", parent_id=w.c_first.id)
    elif change == "rename":
        p["author"].name = "王秀兰（新名）"
    elif change == "rename_helper":
        p["representative"].name = "网格员老周"
    elif change == "dismiss":
        comments.dismiss_reports(p["secretary"], w.c_reported)
    db.session.commit()
    db.session.expire_all()
    assert_pages_as_afresh(app, monkeypatch, login, w)
    after = {who: normal(page(app.test_client(), login, w, who)) for who in READERS}
    assert any(after[who] != before[who] for who in READERS), "the change shows somewhere"


def test_no_reader_is_given_another_readers_token(app, login, busy, keeping):
    first, second = app.test_client(), app.test_client()
    page(first, login, busy, "resident")
    text = page(second, login, busy, "neighbour")
    own = set(re.findall(r'name="csrf_token" value="([^"]+)"', text))
    assert len(own) == 1  # the page's forms all carry this reader's token ...
    with second.session_transaction() as session:
        secret = session["csrf_token"]
    with first.session_transaction() as session:
        assert session["csrf_token"] != secret
    from itsdangerous import URLSafeTimedSerializer

    token = own.pop()
    assert URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").loads(token) == secret
    for kept_text, _size in keeping._kept.values():
        assert "csrf_token\" value=" not in kept_text  # ... and what is kept holds none


def test_a_kept_thread_accepts_the_readers_post(app, login, busy, keeping):
    """The forms inside a kept thread work for the reader they are served to."""
    w = busy
    page(app.test_client(), login, w, "resident")  # kept by the resident
    client = app.test_client()
    text = page(client, login, w, "neighbour")
    action = f"/comments/{w.c_first.id}/react"
    form = text[text.index(f'action="{action}"'):]
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    app.config["WTF_CSRF_ENABLED"], was = True, app.config.get("WTF_CSRF_ENABLED")
    try:
        answer = client.post(action, data={"csrf_token": token, "value": "pass", "sort": "newest"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = was
    assert answer.status_code in (302, 303)
    db.session.expire_all()
    assert db.session.get(Comment, w.c_first.id).pass_count == 1


def test_the_kept_text_stays_within_its_bound():
    store = fragments.KeptFragments(limit=1000)
    for i in range(50):
        store.put(("piece", i), "x" * 90, key_chars=10)
    assert store.chars <= 1000 and len(store) == 10
    assert store.get(("piece", 0)) is None and store.get(("piece", 49)) == "x" * 90
    store.get(("piece", 40))  # read: the least recently read goes first
    store.put(("piece", 50), "y" * 90, key_chars=10)
    assert store.get(("piece", 40)) is not None and store.get(("piece", 41)) is None
    store.put(("big",), "z" * 300, key_chars=0)  # over a quarter of the bound: not kept
    assert store.get(("big",)) is None


def test_nothing_is_kept_when_keeping_is_off(app, monkeypatch, login, busy):
    monkeypatch.setitem(app.config, "FRAGMENTS_KEPT_CHARS", 0)
    assert fragments.store_of(app) is None
    assert "comment-thread" in page(app.test_client(), login, busy, "resident")


def test_a_new_mark_moves_the_support_figures_at_once(app, monkeypatch, login, busy, keeping):
    w, p = busy, busy.people
    assert_pages_as_afresh(app, monkeypatch, login, w, sorts=("consensus",))
    before = normal(page(app.test_client(), login, w, "resident", "consensus"))
    comments.react(p["author"], w.c_edited, "agree")
    db.session.commit()
    db.session.expire_all()
    assert_pages_as_afresh(app, monkeypatch, login, w, sorts=("consensus",))
    assert normal(page(app.test_client(), login, w, "resident", "consensus")) != before


def test_the_key_holds_every_value_an_article_shows(app, busy):
    """Each value the article template reads, changed alone, makes another key: what is not
    in the key would be served stale."""
    import dataclasses
    from datetime import timedelta

    from consult.topics import consensus
    from consult.topics.comment_kit import thread_item_key

    w = busy
    thread = comments.thread(w.people["secretary"], w.topic, "consensus")
    v = next(x for x in thread.comments if x.state == "visible" and x.support is not None)
    key = thread_item_key(v, "consensus", w.topic.id, True, False)
    other = consensus.support_of(tuple((a + 1, n + 1) for a, n in v.support.groups))
    for name, value in {"state": "hidden", "show_body": not v.show_body, "mine": not v.mine,
                        "my_reaction": "pass", "reported": not v.reported,
                        "can_edit": not v.can_edit, "can_withdraw": not v.can_withdraw,
                        "can_react": not v.can_react, "can_report": not v.can_report,
                        "can_moderate": not v.can_moderate, "support": other}.items():
        changed = dataclasses.replace(v, **{name: value})
        assert thread_item_key(changed, "consensus", w.topic.id, True, False) != key, name
    for args in [("newest", w.topic.id, True, False), ("consensus", w.topic.id + 1, True, False),
                 ("consensus", w.topic.id, False, False), ("consensus", w.topic.id, True, True)]:
        assert thread_item_key(v, *args) != key, args
    c = v.comment
    for column, value in {"body": c.body + "！", "edited_at": c.created_at + timedelta(1),
                          "created_at": c.created_at + timedelta(1), "official": not c.official,
                          "author_role": "secretary", "agree_count": c.agree_count + 1,
                          "disagree_count": c.disagree_count + 1, "pass_count": c.pass_count + 1,
                          "open_report_count": c.open_report_count + 1}.items():
        was = getattr(c, column)
        setattr(c, column, value)
        try:
            assert thread_item_key(v, "consensus", w.topic.id, True, False) != key, column
        finally:
            setattr(c, column, was)
    was = c.author.name
    c.author.name = was + "（改名）"
    assert thread_item_key(v, "consensus", w.topic.id, True, False) != key, "author's name"
    c.author.name = was
    db.session.rollback()


def test_a_piece_rendered_outside_a_request_is_not_kept(app, keeping):
    from markupsafe import Markup

    with app.app_context():  # no request: no reader, no address prefix
        text = fragments.kept(("x",), caller=lambda: Markup("<p>2</p>"))
    assert text == "<p>2</p>" and len(fragments.store_of(app)) == 0
