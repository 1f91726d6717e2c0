"""The pages of issue 20 on a 360 px phone and a 1280 px desktop: the privacy notice, agreeing
to a new version before acting, "my data" with a download prepared in the background, one
section in full, and the administrators' export of who saw what. No page scrolls sideways,
every page passes axe (tests/browser/a11y.py), and what a resident does works with the touch
of a finger: the agree box, the download, the section links."""
from __future__ import annotations

from datetime import date

import pytest

from consult.clock import utcnow
from consult.disclosures.models import DataView
from consult.extensions import db
from consult.privacy import rules as privacy_rules
from consult.topics.models import Comment
from tests import factories
from tests.browser.a11y import check_a11y, visit
from tests.browser.test_journey import log_in, path_of

SIZES = {"phone": {"width": 360, "height": 640}, "desktop": {"width": 1280, "height": 900}}


def _no_horizontal_scroll(page) -> None:
    widths = page.evaluate(
        "({scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth})")
    assert widths["scroll"] <= widths["inner"], (
        f"{page.url} scrolls sideways at {widths['inner']} px: content is {widths['scroll']} px")


def _look(page) -> None:
    check_a11y(page)
    _no_horizontal_scroll(page)


@pytest.mark.parametrize("size", SIZES)
def test_a_resident_agrees_to_a_new_notice_and_downloads_their_data(new_page, monkeypatch,
                                                                   size):
    c = factories.community("幸福社区")
    me = factories.resident(c, "欧阳修远", phone="13900000041")
    worker = factories.grid_worker(c.grids[0], "网格员老李")
    t = factories.topic(c, me, title="楼道加装扶手，方便老人上下楼")
    for n in range(3):
        db.session.add(Comment(topic_id=t.id, author_id=me.id, created_at=utcnow(),
                               body=f"第{n + 1}条意见：扶手要装在靠墙一侧，高度九十厘米左右。"))
    db.session.add(DataView(viewer_id=worker.id, viewer_name=worker.name,
                            viewer_role="grid_worker", subject_id=me.id, community_id=c.id,
                            endpoint="grids.show", page="grid",
                            object_ref=f"grid:{c.grids[0].id}", object_name=c.grids[0].name,
                            fields="phone"))
    db.session.commit()
    # A new version of the notice is published after the resident agreed to the first.
    first = privacy_rules.VERSIONS[0]
    monkeypatch.setattr(privacy_rules, "VERSIONS", (*privacy_rules.VERSIONS, privacy_rules.Version(
        "2027-03-01", date(2027, 3, 1), "Ratings are now kept for two years.",
        document=first.id)))

    page = new_page(viewport=SIZES[size])
    visit(page, "/privacy")
    _look(page)
    assert page.locator("#footer-privacy").count() == 1
    log_in(page, "13900000041", factories.PASSWORD)
    _look(page)

    # Acting first asks for the new version; agreeing lets the resident on, back where they were.
    visit(page, f"/topics/{t.id}")
    _look(page)
    page.locator("#follow").click()
    page.wait_for_load_state()
    assert path_of(page).split("?")[0] == "/privacy/agree"
    _look(page)
    assert "2027-03-01" in page.locator("main").inner_text()
    page.locator("#agree-button").click()
    page.wait_for_load_state()
    _look(page)
    assert path_of(page) == f"/topics/{t.id}"
    page.locator("#follow").click()  # now it is taken
    page.wait_for_load_state()
    assert page.locator("#unfollow").count() == 1
    db.session.rollback()
    assert db.session.get(type(me), me.id).privacy_version == "2027-03-01"

    # My data: every section with its count, then one section whole.
    visit(page, "/me/data")
    _look(page)
    main = page.locator("main").inner_text()
    assert "网格员老李" in main and "楼道加装扶手" in main
    page.locator("main a[href='#section-comments']").first.click()  # the jump list
    assert page.locator("#section-comments").is_visible()
    visit(page, "/me/data/sections/comments")  # the section whole, on its own page
    _look(page)
    assert page.locator("main").inner_text().count("扶手要装在靠墙一侧") == 3

    # A download, prepared in the background (inline in tests), then offered.
    visit(page, "/me/data")
    page.locator("main form[action='/me/data/exports'] button").first.click()
    page.wait_for_load_state()
    _look(page)
    link = page.locator("main a[href^='/me/data/exports/']").first
    link.wait_for(timeout=10_000)
    box = link.bounding_box()
    assert box and box["height"] >= 40  # a button a finger can take
    assert path_of(page) == "/me/data"


@pytest.mark.parametrize("size", SIZES)
def test_an_administrator_exports_who_saw_what(new_page, size):
    c = factories.community("幸福社区")
    admin = factories.user("平台管理员", phone="13900000042", platform_admin=True)
    db.session.commit()
    page = new_page(viewport=SIZES[size])
    visit(page, "/")
    log_in(page, "13900000042", factories.PASSWORD)
    visit(page, "/admin/data-views")
    _look(page)
    assert c.name in page.locator("main").inner_text() or page.locator("main form").count()
