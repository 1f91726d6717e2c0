"""Closing an account from a phone (360×640): the warning reads without sideways scrolling, a
wrong password is refused next to the field, the right one closes the account, logs out and
says so; the comment then shows the pseudonym. Every page passes axe."""
from __future__ import annotations

from consult.clock import utcnow
from consult.extensions import db
from consult.topics.models import Comment
from tests import factories
from tests.browser.a11y import check_a11y, visit
from tests.browser.test_journey import log_in, path_of, submit

SMALL_PHONE = {"width": 360, "height": 640}


def _no_horizontal_scroll(page) -> None:
    widths = page.evaluate(
        "({scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth})")
    assert widths["scroll"] <= widths["inner"], (
        f"{page.url} scrolls sideways at {widths['inner']} px: content is {widths['scroll']} px")


def test_closing_an_account_from_a_phone(new_page):
    c = factories.community("幸福社区")
    me = factories.resident(c, "欧阳修远", phone="13900000031")
    t = factories.topic(c, me, title="楼道加装扶手")
    db.session.add(Comment(topic_id=t.id, author_id=me.id, body="赞成，老人需要。",
                           created_at=utcnow()))
    t.comment_count = 1
    db.session.commit()
    topic_path = f"/topics/{t.id}"

    page = new_page(viewport=SMALL_PHONE)
    visit(page, "/")
    log_in(page, "13900000031", factories.PASSWORD)
    visit(page, "/account/password")
    page.locator("main a[href='/account/close']").click()
    check_a11y(page)
    _no_horizontal_scroll(page)
    assert page.locator("#close-warning").is_visible()

    page.fill("#password", "not my password")
    page.check("#understood")
    submit(page)
    _no_horizontal_scroll(page)
    assert page.locator("#password-error").is_visible()
    assert page.locator("#password").get_attribute("aria-invalid") == "true"

    page.fill("#password", factories.PASSWORD)
    page.check("#understood")
    submit(page)
    assert path_of(page) == "/account/closed"
    _no_horizontal_scroll(page)
    db.session.rollback()  # read what the server committed
    pseudonym = db.session.get(type(me), me.id).name
    assert pseudonym.startswith("居民 ") and pseudonym in page.locator("main").inner_text()
    assert page.locator("nav form[action='/logout']").count() == 0  # logged out
    assert page.locator("nav a[href='/login']").count() >= 1

    visit(page, topic_path)
    _no_horizontal_scroll(page)
    comments = page.locator("main").inner_text()
    assert pseudonym in comments and "欧阳修远" not in comments
