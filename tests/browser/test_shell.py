"""The site's shell on a phone and at a desk: the compact header and the bottom tab bar
(首页 / 议题 / 表决 / 工作室 / 我的) under 600 px, the full header navigation on a desktop,
大字版 that enlarges the content and not the header, touch targets of 44 px."""
from __future__ import annotations

from consult.extensions import db
from consult.notifications.service import notify
from tests import factories
from tests.browser.a11y import check_a11y, visit
from tests.browser.test_journey import log_in

PHONE_SMALL = {"width": 360, "height": 640}
DESKTOP = {"width": 1280, "height": 900}
TABS = ("#tab-home", "#tab-topics", "#tab-votes", "#tab-studios", "#tab-me")


def _resident_with_unread(count: int):
    c = factories.community("幸福里社区", grids=1, buildings=1, units=2)
    me = factories.resident(c, "王秀兰", phone="13900000001")
    for n in range(count):
        notify([me.id], "studio.reservation_closed", {"studio": f"工作室{n}", "date": "d",
                                                      "time": "t"})
    db.session.commit()
    return me


def _overflow(page) -> int:
    """How far the page is wider than the screen (0: no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def _box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def _current_tabs(page) -> list[str]:
    return [t for t in TABS if page.locator(t).get_attribute("aria-current") == "page"]


def test_phone_has_a_compact_header_and_a_tab_bar(new_page):
    _resident_with_unread(3)
    page = new_page(viewport=PHONE_SMALL)
    visit(page, "/")

    assert page.locator("nav.tabbar").is_visible()
    assert not page.locator("header nav.site-nav").is_visible()
    assert _current_tabs(page) == ["#tab-home"]
    assert _overflow(page) == 0
    for tab in TABS:  # a finger's size, all five on one row at the bottom of the screen
        box = _box(page, tab)
        assert box["width"] >= 44 and box["height"] >= 44, (tab, box)
        assert box["y"] + box["height"] <= PHONE_SMALL["height"] + 0.5
    for button in page.locator("header .prefs button").all():
        box = button.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, box
    assert _box(page, "header.site-header")["height"] <= 0.2 * PHONE_SMALL["height"]
    assert page.locator("header .logo-mark").is_visible()

    # Scrolled to the end, the footer's last line is above the tab bar, not under it.
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    assert (_box(page, "#footer-privacy")["y"] + _box(page, "#footer-privacy")["height"]
            <= _box(page, "nav.tabbar")["y"])

    # Logging in goes through 我的 (the header's links are folded into that page).
    log_in(page, "13900000001", factories.PASSWORD)
    assert page.locator("#tab-me-unread").inner_text() == "3"
    assert "3" in page.locator("#tab-me").inner_text()

    page.locator("#tab-topics").click()
    check_a11y(page)
    assert _current_tabs(page) == ["#tab-topics"]
    page.locator("#tab-votes").click()
    check_a11y(page)
    assert _current_tabs(page) == ["#tab-votes"]
    assert page.locator("#stage").input_value() == "voting"
    page.locator("#tab-me").click()
    check_a11y(page)
    assert _current_tabs(page) == ["#tab-me"]
    assert page.locator("#me-notifications .weui-badge").inner_text() == "3"
    assert page.locator("main form[action='/logout'] button").is_visible()
    assert _overflow(page) == 0


def test_large_text_enlarges_the_content_not_the_header(new_page):
    page = new_page(viewport=PHONE_SMALL)
    visit(page, "/")
    normal_text = page.evaluate("parseFloat(getComputedStyle(document.querySelector('main')).fontSize)")
    normal_header = _box(page, "header.site-header")["height"]

    page.locator("header form[action='/preferences/text-size'] button").click()
    check_a11y(page)
    assert page.locator("html").get_attribute("class") == "large-text"
    large_text = page.evaluate("parseFloat(getComputedStyle(document.querySelector('main')).fontSize)")
    assert large_text >= normal_text * 1.2
    header = _box(page, "header.site-header")["height"]
    assert header <= 0.2 * PHONE_SMALL["height"]
    assert header <= normal_header + 1  # the header does not grow with the text
    assert page.locator("nav.tabbar").is_visible()
    assert _overflow(page) == 0


def test_desktop_keeps_the_header_navigation(new_page):
    _resident_with_unread(2)
    page = new_page(viewport=DESKTOP)
    visit(page, "/")
    log_in(page, "13900000001", factories.PASSWORD)

    assert page.locator("header nav.site-nav").is_visible()
    assert not page.locator("nav.tabbar").is_visible()
    assert page.locator("header nav a[href='/me/notifications'] .badge").inner_text() == "2"
    assert page.locator("header .brand-sub").is_visible()
    assert page.locator("header .logo-mark").is_visible()
    assert _overflow(page) == 0
    # WeUI's global resets are undone: paragraphs keep their spacing, links their underline.
    assert page.evaluate("parseFloat(getComputedStyle(document.querySelector('.site-footer p')).marginTop)") > 0
    assert page.evaluate("getComputedStyle(document.querySelector('#footer-privacy')).textDecorationLine") == "underline"
    for link in page.locator("header nav.site-nav a").all():
        assert link.bounding_box()["height"] >= 44
