"""Phone-first topic pages (issue 16) in Chromium at 360×640 and 1280×900: the reader's one
action inside the first screen on a topic in each stage where they can act; the topic list's
first topic on the first phone screen with the filters folded; the minutes form showing only
the chosen resolution's fields; the weekday beside a date field."""
from __future__ import annotations

import pytest

from consult import clock
from consult.extensions import db
from tests import access_world, factories
from tests.access_world import NOW
from tests.browser.a11y import check_a11y, visit

SMALL = {"width": 360, "height": 640}
DESK = {"width": 1280, "height": 900}

# Topic of the access world → the resident's primary control on its page.
ACTIONS = {
    "t_open": "#primary-comment",  # 发表意见
    "t_proposed": "#cosign",  # 附议
    "t_voting": "#primary-vote",  # 投票
    "t_publicised": "#primary-object",  # 提出异议
    "t_done": "#primary-rate",  # 评价
}


@pytest.fixture
def world(app):
    clock.set_frozen(NOW)
    try:
        w = access_world.build()
        db.session.commit()
        yield w
    finally:
        clock.set_frozen(None)


def log_in_as(page, world, persona: str) -> None:
    visit(page, "/login")
    page.fill("#identifier", world.people[persona].identifier)
    page.fill("#password", factories.PASSWORD)
    page.locator("main form[method=post] button[type=submit]").first.click()
    check_a11y(page)


def in_first_screen(page, selector: str, viewport: dict) -> bool:
    box = page.locator(selector).bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


@pytest.mark.parametrize("viewport", [SMALL, DESK], ids=["360x640", "1280x900"])
def test_the_primary_action_is_in_the_first_screen(world, new_page, viewport):
    page = new_page(viewport=viewport)
    log_in_as(page, world, "resident")
    for topic, control in ACTIONS.items():
        visit(page, f"/topics/{world.ids[topic]}")
        assert page.locator(control).is_visible(), topic
        assert in_first_screen(page, control, viewport), topic
        assert no_sideways_scroll(page), topic
    # The comment button jumps to the comment form.
    visit(page, f"/topics/{world.ids['t_open']}")
    page.locator("#primary-comment").click()
    assert in_first_screen(page, "#new-comment-body", viewport)
    # A folded section opens when its jump link is followed.
    assert not page.locator("#timeline").is_visible()
    page.locator("#jump-links a[href='#timeline-section']").click()
    assert page.locator("#timeline").is_visible()


def test_the_topic_list_shows_a_topic_first_with_the_filters_folded(world, new_page):
    page = new_page(viewport=SMALL)
    visit(page, "/topics?stage=commenting")
    assert not page.locator("form.filters").is_visible()
    assert page.locator("#active-filters .chip").count() == 1
    assert in_first_screen(page, ".topic-card >> nth=0", SMALL)
    assert no_sideways_scroll(page)
    page.locator("#filter-toggle").click()
    assert page.locator("form.filters #stage").is_visible()
    page.select_option("#stage", "")
    page.locator("form.filters button[type=submit]").click()
    check_a11y(page)
    assert page.locator("#active-filters").count() == 0


def test_the_minutes_form_shows_only_the_chosen_resolutions_fields(world, new_page):
    page = new_page(viewport=SMALL)
    log_in_as(page, world, "secretary")
    visit(page, f"/meetings/{world.ids['m_draft']}/minutes/edit")
    p = f"#res-{world.ids['t_agenda']}-"
    assert page.locator(p + "question").is_visible()  # the draft puts it to a vote
    assert page.locator(p + "reason").count() == 0
    page.locator(p + "kind-no_action").check()
    page.locator(p + "reason").wait_for(state="visible")
    assert page.locator(p + "question").count() == 0
    check_a11y(page)
    page.fill(p + "reason", "已由物业解决。")
    page.locator("#save-minutes").click()
    check_a11y(page)
    assert page.locator(p + "reason").input_value() == "已由物业解决。"
    assert page.locator(p + "kind-no_action").is_checked()
    page.locator(p + "kind-send_back").check()
    page.locator(p + "comment_days").wait_for(state="visible")
    assert page.locator(p + "reason").count() == 0


def test_the_minutes_form_without_javascript_shows_the_fields_on_request(world, new_page):
    page = new_page(viewport=SMALL, java_script_enabled=False)
    log_in_as(page, world, "secretary")
    visit(page, f"/meetings/{world.ids['m_draft']}/minutes/edit")
    p = f"#res-{world.ids['t_agenda']}-"
    page.locator(p + "kind-send_back").check()
    page.locator(p + "show-fields").click()
    check_a11y(page)
    assert page.locator(p + "comment_days").is_visible()
    assert page.locator(p + "question").count() == 0
    page.fill(p + "comment_days", "10")
    page.locator("#save-minutes").click()
    check_a11y(page)
    assert page.locator(p + "comment_days").input_value() == "10"


def test_a_date_field_shows_its_weekday(world, new_page):
    page = new_page(viewport=SMALL)
    log_in_as(page, world, "secretary")
    visit(page, f"/communities/{world.ids['community']}/meetings/new")
    page.fill("#day", "2026-12-01")
    assert page.locator("#day-weekday").inner_text() == "星期二"
    page.fill("#day", "2026-12-06")
    assert page.locator("#day-weekday").inner_text() == "星期日"
    assert no_sideways_scroll(page)
