"""Open comment in a phone-sized Chromium: residents comment, reply and react in place (htmx),
one reports a comment, the secretary hides it, and the public sees "hidden by the moderator:
<reason>"; the same works with JavaScript off.

Locators use ids and classes, not words, except for the texts residents typed."""
from __future__ import annotations

from sqlalchemy import select

from consult.accounts.models import Role
from consult.extensions import db
from consult.topics.models import Comment, Reaction
from tests import factories
from tests.browser.a11y import check_a11y, visit
from tests.browser.test_journey import log_in, log_out, path_of

FIRST = "建议电梯费用按楼层分摊，一楼住户少出一些。"
RUDE = "某某是骗子，收了物业的好处！"
REASON = "未经证实的指控，涉及人身攻击"


def _world():
    c = factories.community("幸福里社区", grids=1, buildings=1, units=4)
    homes = c.grids[0].buildings[0].units
    wang = factories.resident(c, "王秀兰", unit=homes[0], phone="13900000001")
    li = factories.resident(c, "李建华", unit=homes[1], phone="13900000002")
    zhao = factories.resident(c, "赵大海", unit=homes[2], phone="13900000003")
    factories.office_holder(c, Role.SECRETARY, "钱淑芬", phone="13800000001")
    topic = factories.topic(c, wang, title="三号楼加装电梯")
    db.session.commit()
    return topic, wang, li, zhao


def _stays(page, path: str) -> None:
    """An htmx action left the page where it was (no navigation)."""
    assert path_of(page).split("#")[0] == path


def test_comment_react_report_and_hide_in_place(page, new_page):
    topic, _wang, _li, _zhao = _world()
    topic_path = f"/topics/{topic.id}"

    # 李建华 comments in place.
    visit(page, "/")
    log_in(page, "13900000002", factories.PASSWORD)
    visit(page, topic_path)
    page.fill("#new-comment-body", FIRST)
    page.locator("#new-comment-submit").click()
    first = page.locator("#comment-list article.comment", has_text=FIRST)
    first.wait_for()
    _stays(page, topic_path)
    assert page.locator("#new-comment-body").input_value() == ""  # the form is ready again
    assert page.locator("#flashes .flash-success").count() == 1
    assert page.locator("#comment-count").inner_text() == "1"
    check_a11y(page)  # the page as htmx left it
    first_id = first.get_attribute("id")  # "comment-<id>"
    cid = int(first_id.split("-")[1])

    # A second comment, with markup that must stay text.
    page.fill("#new-comment-body", RUDE + "<script>alert(1)</script>")
    page.locator("#new-comment-submit").click()
    rude = page.locator("#comment-list article.comment", has_text=RUDE)
    rude.wait_for()
    assert "<script>alert(1)</script>" in rude.locator(".comment-body").inner_text()
    rude_id = int(rude.get_attribute("id").split("-")[1])
    # An empty comment is refused in place; the browser's own check is bypassed on purpose.
    page.locator("#new-comment-body").evaluate("el => el.removeAttribute('required')")
    page.fill("#new-comment-body", "   ")
    page.locator("#new-comment-submit").click()
    page.locator("#new-comment-error").wait_for()
    assert page.locator("#new-comment-body").get_attribute("aria-invalid") == "true"
    check_a11y(page)
    log_out(page)

    # 赵大海 agrees with the first, changes his mind, replies, and reports the rude one.
    other = new_page()
    visit(other, "/")
    log_in(other, "13900000003", factories.PASSWORD)
    visit(other, topic_path)
    agree = other.locator(f"#react-{cid}-agree")
    agree.click()
    other.locator(f"#react-{cid}-agree[aria-pressed=true]").wait_for()
    assert other.locator(f"#react-{cid}-agree .reaction-count").inner_text() == "1"
    # focus stays on the button just pressed (htmx keeps it by id)
    assert other.evaluate("document.activeElement.id") == f"react-{cid}-agree"
    _stays(other, topic_path)
    check_a11y(other)
    other.locator(f"#react-{cid}-disagree").click()
    other.locator(f"#react-{cid}-disagree[aria-pressed=true]").wait_for()
    assert other.locator(f"#react-{cid}-agree").get_attribute("aria-pressed") == "false"
    assert other.locator(f"#react-{cid}-agree .reaction-count").inner_text() == "0"

    other.locator(f"#thread-{cid} details.reply-tool summary").click()
    other.fill(f"#reply-{cid}-body", "一楼也要分摊维修费的。")
    other.locator(f"#reply-{cid}-submit").click()
    other.locator(f"#replies-{cid} article.comment").wait_for()
    _stays(other, topic_path)

    other.locator(f"#comment-{rude_id} details.report-tool summary").click()
    other.fill(f"#report-{rude_id}-reason", "人身攻击")
    other.locator(f"#report-{rude_id}-submit").click()
    other.locator(f"#comment-{rude_id} .report-tool").wait_for(state="detached")
    _stays(other, topic_path)
    check_a11y(other)
    log_out(other)

    db.session.rollback()
    assert db.session.scalar(select(Reaction.value).where(Reaction.comment_id == cid)) \
        == "disagree"
    assert db.session.get(Comment, rude_id).open_report_count == 1

    # The secretary finds the report in her queue and hides the comment in place.
    log_in(page, "13800000001", factories.PASSWORD)
    visit(page, "/moderation")
    assert page.locator(f"#queue-{rude_id}").count() == 1
    page.locator(f"#queue-{rude_id} h2 a").click()
    check_a11y(page)
    assert path_of(page) == f"{topic_path}#comment-{rude_id}"
    page.locator(f"#comment-{rude_id} details.hide-tool summary").click()
    page.fill(f"#hide-{rude_id}-reason", REASON)
    page.locator(f"#hide-{rude_id}-submit").click()
    page.locator(f"#restore-{rude_id}").wait_for()
    hidden = page.locator(f"#comment-{rude_id}")
    assert REASON in hidden.locator(".comment-status").inner_text()
    assert RUDE in hidden.locator(".comment-hidden-text").inner_text()  # marked, for her
    check_a11y(page)
    # The moderation queue is empty now.
    visit(page, "/moderation")
    assert page.locator("main .moderation-queue").count() == 0
    log_out(page)

    # The public sees the reason, not the text.
    visitor = new_page()
    visit(visitor, topic_path)
    status = visitor.locator(f"#comment-{rude_id} .comment-status").inner_text()
    assert REASON in status
    assert RUDE not in visitor.locator("main").inner_text()
    assert FIRST in visitor.locator("main").inner_text()
    assert visitor.locator("#new-comment").count() == 0
    assert visitor.locator("#comment-closed a[href^='/login']").count() == 1
    # In English the notice reads as the issue says.
    visitor.locator("header button[name=lang][value=en]").click()
    check_a11y(visitor)
    assert visitor.locator(f"#comment-{rude_id} .comment-status").inner_text() == (
        f"hidden by the moderator: {REASON}")


def test_comment_and_react_without_javascript(new_page):
    topic, wang, _li, _zhao = _world()
    topic_path = f"/topics/{topic.id}"
    page = new_page(java_script_enabled=False)
    visit(page, "/login")
    page.fill("#identifier", "13900000002")
    page.fill("#password", factories.PASSWORD)
    page.locator("main form[method=post] button[type=submit]").click()
    check_a11y(page)
    visit(page, topic_path)

    # Too long: the form comes back with the error and the text.
    page.locator("#new-comment-body").evaluate("el => el.removeAttribute('maxlength')")
    page.fill("#new-comment-body", "长" * 2001)
    page.locator("#new-comment-submit").click()
    check_a11y(page)
    assert page.locator("#new-comment-error").count() == 1
    assert len(page.locator("#new-comment-body").input_value()) == 2001

    page.fill("#new-comment-body", FIRST)
    page.locator("#new-comment-submit").click()
    check_a11y(page)
    assert path_of(page).split("#")[0] == topic_path
    assert page.locator(".flash-success").count() == 1
    db.session.rollback()
    mine = db.session.scalar(select(Comment).where(Comment.body == FIRST))
    assert page.url.endswith(f"#comment-{mine.id}")

    # React to 王秀兰's comment.
    theirs = Comment(topic_id=topic.id, author_id=wang.id, body="先做预算再投票。")
    db.session.add(theirs)
    db.session.commit()
    visit(page, topic_path)
    page.locator(f"#react-{theirs.id}-pass").click()
    check_a11y(page)
    assert page.locator(f"#react-{theirs.id}-pass").get_attribute("aria-pressed") == "true"


def test_the_pages_made_for_javascript_off_pass_axe(page):
    """The edit page and the "not posted" page are what a browser without JavaScript gets;
    axe needs JavaScript, so reach them here with plain form posts."""
    topic, wang, _li, _zhao = _world()
    mine = Comment(topic_id=topic.id, author_id=wang.id, body="原来的意见")
    db.session.add(mine)
    db.session.commit()
    visit(page, "/")
    log_in(page, "13900000001", factories.PASSWORD)
    visit(page, f"/comments/{mine.id}/edit")
    assert page.locator(f"#edit-{mine.id}-body").input_value() == "原来的意见"
    visit(page, f"/topics/{topic.id}")
    # a copy of the reply form that htmx does not know: the browser posts it as a page
    page.evaluate("""() => {
        const form = document.querySelector('#reply-%d').cloneNode(true);
        form.id = 'plain-copy';
        form.querySelector('textarea').removeAttribute('required');
        form.querySelector('textarea').value = '';
        document.querySelector('main').appendChild(form);
        form.requestSubmit();
    }""" % mine.id)
    page.wait_for_url("**/comments")
    check_a11y(page)
    assert page.locator(f"#reply-{mine.id}-error").count() == 1
    assert page.locator(f"#comment-{mine.id}").count() == 1  # what is being replied to


def _long_thread(topic, authors, n: int) -> None:
    from datetime import timedelta

    from consult.clock import utcnow
    start = utcnow() - timedelta(days=2)
    db.session.add_all(Comment(topic_id=topic.id, author_id=authors[i % len(authors)].id,
                               body=f"第{i + 1}条意见", created_at=start + timedelta(minutes=i))
                       for i in range(n))
    topic.comment_count = n
    db.session.commit()


def test_a_long_thread_shows_more_in_place_and_without_javascript(page, new_page):
    from consult.topics.comments import THREADS_PER_PAGE

    topic, wang, li, zhao = _world()
    total = THREADS_PER_PAGE * 2 + 5
    _long_thread(topic, [wang, li, zhao], total)
    visit(page, f"/topics/{topic.id}")
    threads = page.locator("#comment-list > li.comment-thread")
    assert threads.count() == THREADS_PER_PAGE
    page.locator("#comment-more a").click()
    threads.nth(THREADS_PER_PAGE * 2 - 1).wait_for()
    _stays(page, f"/topics/{topic.id}")
    page.locator("#comment-more a").click()
    page.locator("#comment-more").wait_for(state="detached")
    assert threads.count() == total
    check_a11y(page)
    # Newest first: the oldest comment is the last one shown.
    assert threads.last.locator("article.comment").inner_text().find("第1条意见") >= 0

    plain = new_page(java_script_enabled=False)
    visit(plain, f"/topics/{topic.id}")
    plain.locator("#comment-more a").click()
    check_a11y(plain)
    assert plain.locator("#comment-list > li.comment-thread").count() == THREADS_PER_PAGE * 2
    last_read = plain.locator("#comment-list > li.comment-thread").nth(THREADS_PER_PAGE - 1)
    assert plain.url.endswith("#" + last_read.get_attribute("id"))  # where the reader was
