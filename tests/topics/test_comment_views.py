"""Comments over HTTP: every route as a plain form post (JavaScript off) and with htmx, the
refusals of every role that may not act (a matrix built from the URL map), escaping, and the
fixed number of queries of the topic page."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from consult import clock
from consult.accounts.models import Role
from consult.audit.models import AuditEntry
from consult.community.models import ResidencyStatus
from consult.extensions import db
from consult.topics import comments
from consult.topics.models import Comment, CommentReport, Reaction, Topic
from tests import factories

pytestmark = pytest.mark.usefixtures("english")

HX = {"HX-Request": "true"}
T0 = datetime(2026, 11, 2, 1, 0)


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(T0):
        yield


class World:
    pass


@pytest.fixture
def world(app):
    """A topic about building 1 of 幸福里社区, open for comment; people in every role."""
    w = World()
    w.c = factories.community("幸福里社区", grids=1, buildings=2, units=3)
    other = factories.community("和谐社区")
    b1, b2 = w.c.grids[0].buildings
    w.people = {
        "author": factories.resident(w.c, "王秀兰", unit=b1.units[0]),
        "resident": factories.resident(w.c, "李建华", unit=b1.units[1]),
        "neighbour": factories.resident(w.c, "陈玉梅", unit=b1.units[2]),
        "out_of_scope": factories.resident(w.c, "二号楼", unit=b2.units[0]),
        "pending": factories.resident(w.c, "待认证", unit=b1.units[0],
                                      status=ResidencyStatus.PENDING),
        "resident_elsewhere": factories.resident(other, "外社区居民"),
        "no_roles": factories.user("路人"),
        "representative": factories.office_holder(w.c, Role.REPRESENTATIVE, "代表"),
        "secretary": factories.office_holder(w.c, Role.SECRETARY, "秘书小李"),
        "admin": factories.office_holder(w.c, Role.ADMIN, "管理员"),
        "secretary_elsewhere": factories.office_holder(other, Role.SECRETARY, "外秘书"),
        "admin_elsewhere": factories.office_holder(other, Role.ADMIN, "外管理员"),
        "platform_admin": factories.user("平台管理员", platform_admin=True),
    }
    w.topic = factories.topic(w.c, w.people["author"], building=b1, title="一号楼加装电梯")
    db.session.commit()
    return w


def as_(client, login, person):
    client.set_cookie("lang", "en")
    if person is not None:
        login(person, client)
    return client


def html(response) -> str:
    return response.get_data(as_text=True)


def main_of(response) -> str:
    text = html(response)
    return text[text.index("<main"):text.index("</main>")]


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html(response)))


def new_comment(w, author="author", body="建议分两期施工", **fields) -> Comment:
    c = Comment(topic_id=w.topic.id, author_id=w.people[author].id, body=body,
                created_at=clock.utcnow(), **fields)
    db.session.add(c)
    db.session.flush()
    db.session.execute(Topic.__table__.update().where(Topic.id == w.topic.id)
                       .values(comment_count=Topic.comment_count + 1))
    db.session.commit()
    return c


def topic_page(client, w, sort=None):
    return client.get(f"/topics/{w.topic.id}" + (f"?sort={sort}" if sort else ""))


# --- who may do what: the matrix ----------------------------------------------------------------

PARTICIPANTS = {"author", "resident", "neighbour"}
MODERATORS = {"secretary", "admin", "platform_admin"}
ANY_MODERATOR = MODERATORS | {"secretary_elsewhere", "admin_elsewhere"}
OFFICIALS = {"secretary", "representative", "admin"}
EVERYONE = {"anonymous", "author", "resident", "neighbour", "out_of_scope", "pending",
            "resident_elsewhere", "no_roles", "representative", "secretary", "admin",
            "secretary_elsewhere", "admin_elsewhere", "platform_admin"}

# endpoint -> (who may, who is refused with a message but not forbidden (e.g. own comment),
#              form data that would succeed, how to prepare the comment)
EXPECTED = {
    # the community's officials speak in its topics without a residency (not to others)
    "comments.create": (PARTICIPANTS | OFFICIALS, set(), {"body": "矩阵测试评论"}, None),
    "comments.show": (EVERYONE, set(), None, None),
    "comments.edit": ({"author"}, set(), {"body": "改过的评论"}, None),
    "comments.withdraw": ({"author"}, set(), {}, None),
    "comments.react": ({"resident", "neighbour"}, {"author"}, {"value": "agree"}, None),
    # the neighbour made the report every prepared comment has: "already reported"
    "comments.report": ({"resident"}, {"author", "neighbour"}, {"reason": "不文明"}, None),
    "comments.hide": (MODERATORS, set(), {"reason": "违反公约"}, None),
    "comments.restore": (MODERATORS, set(), {}, "hidden"),
    "comments.dismiss": (MODERATORS, set(), {}, None),
    "comments.moderation": (ANY_MODERATOR, set(), None, None),
}


def comment_routes(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith("comments.")]


def test_every_comment_route_has_an_expected_answer(app):
    endpoints = {r.endpoint for r in comment_routes(app)}
    assert endpoints == set(EXPECTED), (
        f"say who may use {sorted(endpoints - set(EXPECTED))}; "
        f"drop {sorted(set(EXPECTED) - endpoints)}")


def state() -> tuple:
    db.session.rollback()
    db.session.expire_all()
    return (
        tuple(db.session.execute(select(
            func.count(Comment.id), func.count(Comment.edited_at), func.count(Comment.withdrawn_at),
            func.count(Comment.hidden_at), func.coalesce(func.sum(Comment.open_report_count), 0),
            func.coalesce(func.sum(Comment.agree_count), 0))).one()),
        db.session.scalar(select(func.count()).select_from(Reaction)),
        db.session.scalar(select(func.count()).select_from(CommentReport)),
        db.session.scalar(select(func.count()).select_from(AuditEntry)),
    )


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("persona", sorted(EVERYONE))
def test_access_matrix(app, world, login, persona, htmx):
    w = world
    wrong = []
    for rule in comment_routes(app):
        may, own, data, prepare = EXPECTED[rule.endpoint]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            c = new_comment(w, body="原文", **({"hidden_at": T0, "hidden_reason": "旧理由"}
                                             if prepare == "hidden" else {}))
            # one open report by someone else, so that dismissing has something to dismiss
            db.session.add(CommentReport(comment_id=c.id, reporter_id=w.people["neighbour"].id,
                                         reason="旧举报"))
            c.open_report_count = 1
            db.session.commit()
            ids = {"topic_id": w.topic.id, "comment_id": c.id}
            url = rule.build({k: v for k, v in ids.items() if k in rule.arguments})[1]
            client = as_(app.test_client(), login,
                         None if persona == "anonymous" else w.people[persona])
            before = state()
            headers = HX if htmx else {}
            if method == "GET":
                response = client.get(url, headers=headers)
            else:
                response = client.post(url, data=data or {}, headers=headers)
            status = response.status_code
            changed = state() != before
            if persona in may:
                ok = status in ((200,) if htmx else (200, 302, 303))
                if method == "POST" and not changed:
                    wrong.append((persona, method, url, "changed nothing"))
            elif persona in own:
                ok = status == (200 if htmx else 303) and not changed
            elif persona == "anonymous" and rule.endpoint == "comments.moderation":
                ok = status == 302 and "/login" in response.headers["Location"]
            else:
                ok = status == 403 and not changed
            if not ok:
                wrong.append((persona, method, url, status, changed))
    assert wrong == []


@pytest.mark.parametrize("persona, message", [
    ("anonymous", "Please log in first."),
    ("pending", "Only verified residents of this community can do this."),
    ("out_of_scope", "This topic concerns another part of the community"),
])
def test_refusals_say_why(app, world, login, client, persona, message):
    w = world
    c = new_comment(w)
    as_(client, login, None if persona == "anonymous" else w.people[persona])
    for url, data in [(f"/comments/{c.id}/react", {"value": "agree"}),
                      (f"/comments/{c.id}/report", {"reason": "理由"})]:
        response = client.post(url, data=data)
        assert response.status_code == 403
        assert message in text_of(response)


def test_hiding_by_a_non_moderator_says_who_may(app, world, login, client):
    w = world
    c = new_comment(w)
    as_(client, login, w.people["resident"])
    response = client.post(f"/comments/{c.id}/hide", data={"reason": "x"}, headers=HX)
    assert response.status_code == 403
    assert "Only a secretary or administrator of this community may do this." in text_of(response)


def test_unknown_and_foreign_ids_are_not_found(app, world, login, client):
    w = world
    draft = factories.topic(w.c, w.people["author"], stage="draft", title="草稿议题")
    db.session.commit()
    as_(client, login, w.people["resident"])
    assert client.post("/comments/99999/react", data={"value": "agree"}).status_code == 404
    assert client.get("/comments/99999/edit").status_code == 404
    assert client.post("/topics/99999/comments", data={"body": "x"}).status_code == 404
    assert client.post(f"/topics/{draft.id}/comments", data={"body": "x"}).status_code == 404


# --- the comment section on the topic page ------------------------------------------------------

@pytest.mark.parametrize("persona, says, link", [
    (None, "Please log in first.", "/login?next="),
    ("pending", "Only verified residents of this community can do this.", "/me/residency"),
    ("no_roles", "Only verified residents of this community can do this.", "/me/residency"),
    ("out_of_scope", "concerns another part of the community", None),
])
def test_the_page_says_why_one_cannot_comment(app, world, login, client, persona, says, link):
    w = world
    as_(client, login, w.people[persona] if persona else None)
    page = topic_page(client, w)
    assert page.status_code == 200
    main = main_of(page)
    assert 'id="new-comment"' not in main
    assert says in main
    if link:
        assert link in main


def test_the_page_says_when_the_period_has_ended(app, world, login, client):
    w = world
    new_comment(w)
    as_(client, login, w.people["resident"])
    with clock.frozen(w.topic.comment_until + timedelta(minutes=1)):
        main = main_of(topic_page(client, w))
    assert "The comment period has ended and comments are closed." in main
    assert 'id="new-comment"' not in main and 'id="react-' not in main
    assert "Agree" in main  # the counts stay readable


def test_a_resident_sees_the_form_and_the_buttons(app, world, login, client):
    w = world
    c = new_comment(w)
    as_(client, login, w.people["resident"])
    main = main_of(topic_page(client, w))
    assert 'id="new-comment"' in main and 'name="csrf_token"' in main
    assert f'id="react-{c.id}-agree"' in main and 'aria-pressed="false"' in main
    assert f'id="report-{c.id}-reason"' in main
    assert f'id="hide-{c.id}-reason"' not in main and f'id="edit-{c.id}"' not in main


# --- posting ------------------------------------------------------------------------------------

def test_posting_without_javascript_redirects_to_the_new_comment(app, world, login, client):
    w = world
    as_(client, login, w.people["resident"])
    response = client.post(f"/topics/{w.topic.id}/comments",
                           data={"body": "电梯费用按楼层分摊", "sort": "oldest"})
    assert response.status_code == 303
    c = db.session.scalar(select(Comment))
    assert response.headers["Location"] == f"/topics/{w.topic.id}?sort=oldest#comment-{c.id}"
    page = client.get(response.headers["Location"])
    main = main_of(page)
    assert "Your comment is posted." in main
    assert f'id="comment-{c.id}"' in main and "电梯费用按楼层分摊" in main
    assert f'id="edit-{c.id}"' in main  # the author may still edit it


def test_posting_with_htmx_returns_the_new_comment_and_an_empty_form(app, world, login, client):
    w = world
    as_(client, login, w.people["resident"])
    response = client.post(f"/topics/{w.topic.id}/comments", data={"body": "同意"}, headers=HX)
    assert response.status_code == 200
    assert "HX-Request" in response.headers.get("Vary", "")
    body = html(response)
    c = db.session.scalar(select(Comment))
    assert body.lstrip().startswith('<form id="new-comment"')
    assert re.search(r'<textarea id="new-comment-body"[^>]*></textarea>', body)
    assert 'hx-swap-oob="afterbegin:#comment-list"' in body
    assert f'<article id="comment-{c.id}"' in body
    assert '<span id="comment-count" hx-swap-oob="true">1</span>' in body
    assert "Your comment is posted." in body


@pytest.mark.parametrize("body, message", [
    ("   ", "Write your comment first: the text is empty."),
    ("长" * 2001, "A comment can be at most 2000 characters; yours has 2001."),
])
def test_bad_comments_keep_the_text_without_javascript(app, world, login, client, body, message):
    w = world
    as_(client, login, w.people["resident"])
    response = client.post(f"/topics/{w.topic.id}/comments", data={"body": body})
    assert response.status_code == 422
    main = main_of(response)
    assert message in main
    assert 'aria-invalid="true"' in main
    if body.strip():
        assert body in main
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0


def test_bad_comments_keep_the_text_with_htmx(app, world, login, client):
    w = world
    as_(client, login, w.people["resident"])
    typed = "长" * 2001
    response = client.post(f"/topics/{w.topic.id}/comments", data={"body": typed}, headers=HX)
    assert response.status_code == 200
    body = html(response)
    assert body.lstrip().startswith('<form id="new-comment"')
    assert "at most 2000 characters" in body and typed in body and "autofocus" in body
    assert "hx-swap-oob" not in body


def test_refused_posters_keep_their_text(app, world, login, client):
    w = world
    as_(client, login, w.people["pending"])
    response = client.post(f"/topics/{w.topic.id}/comments", data={"body": "我的意见很长"})
    assert response.status_code == 403
    assert "我的意见很长" in main_of(response)
    assert "Only verified residents" in main_of(response)
    # with htmx a 403 is not swapped: the text stays in the form and app.js shows why
    response = client.post(f"/topics/{w.topic.id}/comments", data={"body": "我的意见很长"},
                           headers=HX)
    assert response.status_code == 403 and "Only verified residents" in main_of(response)


def test_posting_after_the_period_is_refused(app, world, login, client):
    w = world
    as_(client, login, w.people["resident"])
    with clock.frozen(w.topic.comment_until):
        response = client.post(f"/topics/{w.topic.id}/comments", data={"body": "晚到的意见"})
    assert response.status_code == 422
    assert "The comment period has ended and comments are closed." in main_of(response)
    assert "晚到的意见" in main_of(response)
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0


def test_the_rate_limit_says_so_and_keeps_the_text(app, world, login, client):
    w = world
    as_(client, login, w.people["resident"])
    for i in range(5):
        assert client.post(f"/topics/{w.topic.id}/comments",
                           data={"body": f"第{i}条"}).status_code == 303
    response = client.post(f"/topics/{w.topic.id}/comments", data={"body": "第六条"})
    assert response.status_code == 422
    assert "You are posting very quickly" in main_of(response)
    assert "第六条" in main_of(response)


def test_html_in_a_comment_is_shown_as_text(app, world, login, client):
    w = world
    as_(client, login, w.people["resident"])
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)><a href="javascript:1">a</a>'
    client.post(f"/topics/{w.topic.id}/comments", data={"body": evil + "\n\n第二段"})
    for response in (topic_page(client, w),
                     client.post(f"/topics/{w.topic.id}/comments", data={"body": evil},
                                 headers=HX)):
        body = html(response)
        assert "<script>alert" not in body and "<img src=x" not in body
        assert '<a href="javascript' not in body
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in body
    assert "<p>第二段</p>" in html(topic_page(client, w))


def test_replies_without_javascript_and_with_htmx(app, world, login, client):
    w = world
    top = new_comment(w)
    as_(client, login, w.people["resident"])
    response = client.post(f"/topics/{w.topic.id}/comments",
                           data={"body": "我来回复", "parent_id": top.id})
    reply = db.session.scalar(select(Comment).where(Comment.parent_id == top.id))
    assert response.headers["Location"].endswith(f"#comment-{reply.id}")
    main = main_of(topic_page(client, w))
    replies = main[main.index(f'id="replies-{top.id}"'):]
    assert f'id="comment-{reply.id}"' in replies[:replies.index("</ul>")]
    # a reply to the reply joins the same thread, in place with htmx
    response = client.post(f"/topics/{w.topic.id}/comments",
                           data={"body": "再回复", "parent_id": reply.id}, headers=HX)
    assert response.status_code == 200
    body = html(response)
    assert f'hx-swap-oob="beforeend:#replies-{top.id}"' in body
    assert body.lstrip().startswith(f'<form id="reply-{top.id}"')
    # the author of the comment is told
    assert db.session.get(Comment, top.id).author_id == w.people["author"].id


def test_a_reply_to_another_topics_comment_keeps_the_text(app, world, login, client):
    w = world
    other = factories.topic(w.c, w.people["author"], title="另一个议题")
    db.session.commit()
    foreign = Comment(topic_id=other.id, author_id=w.people["author"].id, body="别处",
                      created_at=T0)
    db.session.add(foreign)
    db.session.commit()
    as_(client, login, w.people["resident"])
    response = client.post(f"/topics/{w.topic.id}/comments",
                           data={"body": "串台回复", "parent_id": foreign.id})
    assert response.status_code == 422
    assert "not on this topic" in main_of(response) and "串台回复" in main_of(response)


# --- editing ------------------------------------------------------------------------------------

def test_editing_without_javascript(app, world, login, client):
    w = world
    c = new_comment(w, body="初稿")
    as_(client, login, w.people["author"])
    page = client.get(f"/comments/{c.id}/edit")
    assert page.status_code == 200
    assert re.search(r"<textarea[^>]*>初稿</textarea>", main_of(page))
    response = client.post(f"/comments/{c.id}/edit", data={"body": "修改后的意见"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/topics/{w.topic.id}#comment-{c.id}"
    main = main_of(client.get(response.headers["Location"]))
    assert "修改后的意见" in main and ">edited<" in main


def test_editing_with_htmx(app, world, login, client):
    w = world
    c = new_comment(w, body="初稿")
    as_(client, login, w.people["author"])
    fragment = client.get(f"/comments/{c.id}/edit", headers=HX)
    assert fragment.status_code == 200
    body = html(fragment)
    assert body.lstrip().startswith(f'<article id="comment-{c.id}"')
    assert f'hx-post="/comments/{c.id}/edit"' in body and "autofocus" in body
    assert "<html" not in body
    cancel = client.get(f"/comments/{c.id}", headers=HX)
    assert f'id="edit-{c.id}"' in html(cancel)
    assert client.get(f"/comments/{c.id}").status_code == 302  # without htmx: the topic page
    saved = client.post(f"/comments/{c.id}/edit", data={"body": "改好了"}, headers=HX)
    assert saved.status_code == 200 and "改好了" in html(saved) and ">edited<" in html(saved)
    empty = client.post(f"/comments/{c.id}/edit", data={"body": ""}, headers=HX)
    assert empty.status_code == 200 and "the text is empty" in html(empty)
    assert db.session.get(Comment, c.id).body == "改好了"


def test_editing_after_15_minutes_keeps_the_typed_text(app, world, login, client):
    w = world
    c = new_comment(w, body="初稿")
    as_(client, login, w.people["author"])
    with clock.frozen(T0 + timedelta(minutes=15)):
        assert f'id="edit-{c.id}"' not in main_of(topic_page(client, w))
        page = client.get(f"/comments/{c.id}/edit")
        assert page.status_code == 302  # back to the comment, with the reason
        assert "15 minutes" in main_of(client.get(page.headers["Location"]))
        response = client.post(f"/comments/{c.id}/edit", data={"body": "迟到的修改"})
        assert response.status_code == 422
        assert "15 minutes" in main_of(response) and "迟到的修改" in main_of(response)
        fragment = client.post(f"/comments/{c.id}/edit", data={"body": "迟到的修改"},
                               headers=HX)
        assert fragment.status_code == 200 and "15 minutes" in html(fragment)
    assert db.session.get(Comment, c.id).body == "初稿"


def test_edit_pages_say_vary(app, world, login, client):
    w = world
    c = new_comment(w)
    as_(client, login, w.people["author"])
    for url in (f"/comments/{c.id}/edit", f"/comments/{c.id}"):
        assert "HX-Request" in client.get(url).headers.get("Vary", "")


# --- withdrawing ------------------------------------------------------------------------------

def test_withdrawing_in_both_ways(app, world, login, client):
    w = world
    a, b = new_comment(w, body="第一条"), new_comment(w, body="第二条")
    reply = new_comment(w, author="resident", body="这是回复", parent_id=a.id)
    as_(client, login, w.people["author"])
    response = client.post(f"/comments/{a.id}/withdraw")
    assert response.status_code == 303
    main = main_of(client.get(response.headers["Location"]))
    assert "comment withdrawn" in main and "第一条" not in main
    assert "这是回复" in main  # replies stay
    fragment = client.post(f"/comments/{b.id}/withdraw", headers=HX)
    assert fragment.status_code == 200
    assert "comment withdrawn" in html(fragment) and "第二条" not in html(fragment)
    assert '<span id="comment-count" hx-swap-oob="true">1</span>' in html(fragment)
    again = client.post(f"/comments/{b.id}/withdraw", headers=HX)
    assert again.status_code == 200 and "already withdrawn" in html(again)
    assert db.session.get(Comment, reply.id).withdrawn_at is None


# --- reacting -----------------------------------------------------------------------------------

def test_reacting_without_javascript(app, world, login, client):
    w = world
    c = new_comment(w)
    as_(client, login, w.people["resident"])
    response = client.post(f"/comments/{c.id}/react", data={"value": "agree", "sort": "oldest"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/topics/{w.topic.id}?sort=oldest#comment-{c.id}"
    main = main_of(client.get(response.headers["Location"]))
    assert re.search(rf'id="react-{c.id}-agree"[^>]*aria-pressed="true"', main)
    assert re.search(rf'value="none" id="react-{c.id}-agree"', main)  # pressing takes it back
    client.post(f"/comments/{c.id}/react", data={"value": "none"})
    assert db.session.scalar(select(func.count()).select_from(Reaction)) == 0


def test_reacting_with_htmx_changes_the_choice_in_place(app, world, login, client):
    w = world
    c = new_comment(w)
    as_(client, login, w.people["resident"])
    first = html(client.post(f"/comments/{c.id}/react", data={"value": "agree"}, headers=HX))
    assert first.lstrip().startswith(f'<article id="comment-{c.id}"')
    assert re.search(rf'id="react-{c.id}-agree"[^>]*aria-pressed="true">Agree '
                     r'<span class="reaction-count">1</span>', first)
    second = html(client.post(f"/comments/{c.id}/react", data={"value": "disagree"},
                              headers=HX))
    assert re.search(rf'id="react-{c.id}-disagree"[^>]*aria-pressed="true"', second)
    assert re.search(rf'id="react-{c.id}-agree"[^>]*aria-pressed="false">Agree '
                     r'<span class="reaction-count">0</span>', second)
    twice = html(client.post(f"/comments/{c.id}/react", data={"value": "disagree"},
                             headers=HX))
    assert re.search(r'aria-pressed="true">Disagree <span class="reaction-count">1</span>',
                     twice)


def test_reaction_refusals_are_said_in_place_and_on_the_page(app, world, login, client):
    w = world
    c = new_comment(w)
    as_(client, login, w.people["resident"])
    bad = client.post(f"/comments/{c.id}/react", data={"value": "love"}, headers=HX)
    assert bad.status_code == 200 and "Choose agree, disagree or pass." in html(bad)
    assert 'role="alert"' in html(bad)
    plain = client.post(f"/comments/{c.id}/react", data={"value": "love"})
    assert plain.status_code == 303
    assert "Choose agree, disagree or pass." in main_of(client.get(plain.headers["Location"]))
    as_(client, login, w.people["author"])
    own = client.post(f"/comments/{c.id}/react", data={"value": "agree"}, headers=HX)
    assert "your own comment" in html(own)
    assert db.session.scalar(select(func.count()).select_from(Reaction)) == 0


# --- reporting and moderating -------------------------------------------------------------------

def test_reporting_once(app, world, login, client):
    w = world
    c = new_comment(w)
    as_(client, login, w.people["resident"])
    response = client.post(f"/comments/{c.id}/report", data={"reason": "人身攻击"})
    assert response.status_code == 303
    main = main_of(client.get(response.headers["Location"]))
    assert "The moderators will look at this comment." in main
    assert "You reported this comment." in main
    again = client.post(f"/comments/{c.id}/report", data={"reason": "再次"})
    assert "already reported" in main_of(client.get(again.headers["Location"]))
    assert db.session.get(Comment, c.id).open_report_count == 1


def test_a_report_without_a_reason_keeps_the_form(app, world, login, client):
    w = world
    c = new_comment(w)
    as_(client, login, w.people["resident"])
    typed = "x" * 501
    page = client.post(f"/comments/{c.id}/report", data={"reason": typed})
    assert page.status_code == 422
    assert "at most 500 characters" in main_of(page) and typed in main_of(page)
    fragment = client.post(f"/comments/{c.id}/report", data={"reason": typed}, headers=HX)
    body = html(fragment)
    assert fragment.status_code == 200
    assert '<details class="comment-tool report-tool" open>' in body and typed in body
    assert db.session.scalar(select(func.count()).select_from(CommentReport)) == 0


def test_a_secretary_hides_and_everyone_sees_the_reason(app, world, login, client):
    w = world
    c = new_comment(w, body="某某收了好处")
    as_(client, login, w.people["secretary"])
    response = client.post(f"/comments/{c.id}/hide", data={"reason": "未经证实的指控"},
                           headers=HX)
    assert response.status_code == 200
    assert "hidden by the moderator: 未经证实的指控" in html(response)
    assert "某某收了好处" in html(response)  # the moderator still reads it, marked
    assert f'id="restore-{c.id}"' in html(response)
    for persona in (None, "resident", "author", "secretary_elsewhere"):
        visitor = as_(app.test_client(), login, w.people[persona] if persona else None)
        main = main_of(topic_page(visitor, w))
        assert "hidden by the moderator: 未经证实的指控" in main
        assert "某某收了好处" not in main, persona
    for persona in ("secretary", "admin", "platform_admin"):
        main = main_of(topic_page(as_(app.test_client(), login, w.people[persona]), w))
        assert "某某收了好处" in main and "Only moderators see the text" in main
    # the topic's public audit log has it
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "topic.comment_hide"))
    assert (entry.object_type, entry.object_id) == ("topics", w.topic.id)
    restored = client.post(f"/comments/{c.id}/restore")
    assert restored.status_code == 303
    assert "某某收了好处" in main_of(topic_page(as_(app.test_client(), login, None), w))


def test_hiding_without_a_reason_is_refused_and_keeps_the_form(app, world, login, client):
    w = world
    c = new_comment(w)
    as_(client, login, w.people["secretary"])
    page = client.post(f"/comments/{c.id}/hide", data={"reason": ""})
    assert page.status_code == 422 and "Give a reason for hiding" in main_of(page)
    fragment = client.post(f"/comments/{c.id}/hide", data={"reason": " "}, headers=HX)
    assert '<details class="comment-tool hide-tool" open>' in html(fragment)
    assert db.session.get(Comment, c.id).hidden_at is None


def test_the_moderation_queue(app, world, login, client):
    w = world
    reported, quiet = new_comment(w, body="广告：办证"), new_comment(w, body="正常意见")
    as_(client, login, w.people["resident"])
    client.post(f"/comments/{reported.id}/report", data={"reason": "广告"})
    as_(client, login, w.people["neighbour"])
    client.post(f"/comments/{reported.id}/report", data={"reason": "垃圾信息"})
    as_(client, login, w.people["secretary"])
    page = client.get("/moderation")
    main = main_of(page)
    assert page.status_code == 200
    assert "广告：办证" in main and "正常意见" not in main
    assert "垃圾信息" in main and "2 reports" in main
    assert f'href="/topics/{w.topic.id}#comment-{reported.id}"' in main
    # hide from the queue: back to the queue, now empty
    response = client.post(f"/comments/{reported.id}/hide",
                           data={"reason": "商业广告", "next": "/moderation"})
    assert response.headers["Location"] == "/moderation"
    assert "No comment is waiting for you." in main_of(client.get("/moderation"))
    # a report dismissed from the queue
    as_(client, login, w.people["resident"])
    client.post(f"/comments/{quiet.id}/report", data={"reason": "我不同意"})
    as_(client, login, w.people["secretary"])
    response = client.post(f"/comments/{quiet.id}/dismiss", data={"next": "/moderation"})
    assert response.headers["Location"] == "/moderation"
    assert db.session.get(Comment, quiet.id).open_report_count == 0
    assert db.session.get(Comment, quiet.id).hidden_at is None
    # an off-site next is ignored
    as_(client, login, w.people["resident"])
    client.post(f"/comments/{quiet.id}/report", data={"reason": "还是不同意"})
    as_(client, login, w.people["secretary"])
    response = client.post(f"/comments/{quiet.id}/dismiss",
                           data={"next": "https://evil.example/"})
    assert response.headers["Location"] == f"/topics/{w.topic.id}#comment-{quiet.id}"


def test_the_queue_of_another_communitys_secretary_is_empty(app, world, login, client):
    w = world
    c = new_comment(w, body="被举报")
    db.session.add(CommentReport(comment_id=c.id, reporter_id=w.people["resident"].id,
                                 reason="x"))
    c.open_report_count = 1
    db.session.commit()
    as_(client, login, w.people["secretary_elsewhere"])
    assert "被举报" not in main_of(client.get("/moderation"))


# --- speed --------------------------------------------------------------------------------------

def fill(w, n: int):
    people = [w.people[k] for k in ("author", "resident", "neighbour")]
    comments_ = []
    for i in range(n):
        parent = comments_[-1] if i % 4 == 3 and comments_[-1].parent_id is None else None
        # every seventh by the secretary, with their role; every other of those an official
        # answer (pinned at the top of the thread wherever it is)
        official = i % 7 == 2
        c = Comment(topic_id=w.topic.id, author_id=(w.people["secretary"] if official
                                                     else people[i % 3]).id,
                    body=f"第{i}条意见", author_role="secretary" if official else None,
                    official=official and i % 14 == 2,
                    created_at=T0 + timedelta(seconds=i), parent_id=parent.id if parent else None,
                    hidden_at=T0 if i % 17 == 5 else None, hidden_reason="理由" if i % 17 == 5
                    else "")
        db.session.add(c)
        db.session.flush()
        comments_.append(c)
        for j, p in enumerate(people):
            if p.id != c.author_id and (i + j) % 2:
                db.session.add(Reaction(comment_id=c.id, topic_id=w.topic.id, user_id=p.id,
                                        value=("agree", "disagree", "pass")[(i + j) % 3]))
    db.session.execute(Topic.__table__.update().where(Topic.id == w.topic.id)
                       .values(comment_count=Topic.comment_count + n))
    db.session.commit()


@pytest.mark.parametrize("persona", [None, "resident", "secretary"])
@pytest.mark.parametrize("sort", comments.SORTS)
def test_the_topic_page_runs_a_fixed_number_of_queries(app, world, login, client,
                                                       count_queries, persona, sort):
    w = world
    as_(client, login, w.people[persona] if persona else None)
    seen = []
    for total in (10, 500):
        fill(w, total - (10 if total == 500 else 0))
        topic_page(client, w, sort)  # warm up
        with count_queries() as q:
            response = topic_page(client, w, sort)
        assert response.status_code == 200
        assert 'id="official-answers"' in html(response)
        assert 'class="badge role-badge"' in html(response)
        shown = html(response).count('class="comment ')
        if total == 10:
            assert shown == total
        else:  # the first page of threads, with their replies, and the way to more
            assert comments.THREADS_PER_PAGE <= shown < total
            assert 'id="comment-more"' in html(response)
        seen.append(q.count)
    assert seen[0] == seen[1], seen


def comment_ids(text: str) -> list[int]:
    return [int(x) for x in re.findall(r'<article[^>]* id="comment-(\d+)"', text)]


@pytest.mark.parametrize("sort", comments.SORTS)
def test_show_more_brings_every_comment_once(app, world, login, client, sort):
    w = world
    as_(client, login, w.people["resident"])
    fill(w, 100)
    first = html(topic_page(client, w, sort))
    seen, pages, more = comment_ids(first), 1, 'id="comment-more"' in first
    while more:  # what htmx asks for when "Show more comments" is pressed
        pages += 1
        fragment = html(client.get(
            f"/topics/{w.topic.id}?sort={sort}&page={pages}&fragment=comments",
            headers={"HX-Request": "true"}))
        seen += comment_ids(fragment)
        more = 'id="comment-more"' in fragment
    everyone = db.session.scalars(select(Comment).where(Comment.topic_id == w.topic.id)).all()
    assert sorted(seen) == sorted(c.id for c in everyone)
    threads = sum(c.parent_id is None for c in everyone)
    assert pages == -(-threads // comments.THREADS_PER_PAGE) > 1
    # Without JavaScript the link shows every page so far: the same comments in one page.
    everything = html(client.get(f"/topics/{w.topic.id}?sort={sort}&page={pages}"))
    assert comment_ids(everything) == seen
    assert 'id="comment-more"' not in everything


@pytest.mark.parametrize("sort", comments.SORTS)
def test_without_javascript_an_action_returns_to_the_page_showing_the_comment(
        app, world, login, client, sort):
    """A long thread is shown a page of threads at a time: reacting to (or replying under) an
    old comment with JavaScript off comes back to as many pages as it takes to show it."""
    w = world
    fill(w, 100)
    as_(client, login, w.people["resident"])
    others = db.session.scalars(
        select(Comment).where(Comment.topic_id == w.topic.id, Comment.parent_id.is_(None),
                              Comment.hidden_at.is_(None),
                              Comment.author_id != w.people["resident"].id)
        .order_by(Comment.created_at)).all()
    for target in (others[0], others[-1]):  # the oldest and the newest thread
        response = client.post(f"/comments/{target.id}/react",
                               data={"value": "agree", "sort": sort})
        assert response.status_code == 303
        location = response.headers["Location"]
        assert location.endswith(f"#comment-{target.id}")
        page = client.get(location.split("#")[0])
        assert target.id in comment_ids(page.get_data(as_text=True)), (sort, location)
    if sort != "consensus":  # newest first, the oldest thread is past the first page
        first = client.post(f"/comments/{others[0].id}/react",
                            data={"value": "pass", "sort": sort})
        assert ("page=" in first.headers["Location"]) == (sort == "newest")
