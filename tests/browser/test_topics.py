"""A topic from proposal to open comment, in a phone-sized Chromium: a resident proposes, ten
residents co-sign (two in the browser), the secretary accepts, the topic opens for comment."""
from __future__ import annotations

from sqlalchemy import select

from consult.accounts.models import Role
from consult.extensions import db
from consult.topics import service
from consult.topics.models import Topic
from tests import factories
from tests.browser.a11y import check_a11y, visit
from tests.browser.test_journey import log_in, log_out, open_from_nav, path_of, submit

TITLE = "小区东门加装无障碍坡道"


def test_propose_cosign_and_accept(page):
    c = factories.community("幸福里社区", grids=1, buildings=2, units=6)
    homes = [u for b in c.grids[0].buildings for u in b.units]
    factories.resident(c, "王秀兰", unit=homes[0], phone="13900000001")
    signers = [factories.resident(c, f"邻居{i}", unit=homes[1 + i], phone=f"139000001{i:02d}")
               for i in range(10)]
    factories.office_holder(c, Role.SECRETARY, "钱淑芬", phone="13800000001")
    db.session.commit()

    # The resident writes the proposal and submits it.
    visit(page, "/")
    log_in(page, "13900000001", factories.PASSWORD)
    visit(page, "/topics")
    page.locator("#propose-link").click()
    check_a11y(page)
    page.fill("#title", TITLE)
    page.fill("#description", "东门只有台阶，轮椅进出困难。\n\n- 加建坡道\n- 两侧扶手")
    page.check("input[name=category][value=elderly_children]")
    page.select_option("#scope", f"community:{c.id}")
    page.locator("#submit-proposal").click()
    check_a11y(page)
    assert page.locator("#topic-stage").get_attribute("data-stage") == "proposed"
    assert page.locator("#description li").count() == 2
    topic_path = path_of(page)
    log_out(page)

    # Eight neighbours have co-signed already; two more do it in the browser.
    db.session.rollback()
    topic = db.session.scalar(select(Topic).where(Topic.title == TITLE))
    for who in signers[:8]:
        service.cosign(who, topic)
    db.session.commit()
    for who in signers[8:]:
        visit(page, "/")
        log_in(page, who.phone, factories.PASSWORD)
        visit(page, topic_path)
        page.locator("#cosign").click()
        check_a11y(page)
        assert page.locator(".flash-success").count() == 1
        log_out(page)

    db.session.rollback()
    topic = db.session.get(Topic, topic.id)
    assert topic.stage == "in_review" and topic.cosign_count == 10

    # The secretary is notified, opens the topic from the notification and accepts it.
    log_in(page, "13800000001", factories.PASSWORD)
    open_from_nav(page, "/me/notifications")
    page.locator("main ul.notifications button").first.click()
    check_a11y(page)
    assert path_of(page) == topic_path
    page.fill("#days", "10")
    page.locator("#accept").click()
    check_a11y(page)
    assert page.locator("#topic-stage").get_attribute("data-stage") == "commenting"
    assert page.locator("#timeline li").count() == 4  # written, proposed, review, comment
    log_out(page)

    # A visitor sees the topic, its timeline and its audit log.
    visit(page, topic_path)
    page.locator("#audit-heading").click()
    assert page.locator("#audit-log li").count() == 13  # submit, 10 co-signs, threshold, accept
