"""End to end in a phone-sized Chromium: register, ask to be verified, get verified, switch
language; the page fits a 360 px screen; logging in works without JavaScript.

Locators use ids, names and URLs rather than visible words, so the tests keep passing when the
Chinese catalogue arrives. Every page reached is checked with axe-core (``check_a11y``).
"""
from __future__ import annotations

import logging
import re

from sqlalchemy import select

from consult.accounts.models import User
from consult.community.models import Residency, ResidencyStatus
from consult.extensions import db
from tests import factories
from tests.browser.a11y import check_a11y, visit

RESIDENT_NAME = "王秀兰"
RESIDENT_PHONE = "13912345678"
RESIDENT_PASSWORD = "lotus pond 2024"
ADMIN_EMAIL = "office@example.org"


def path_of(page) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url)


def submit(page, form_selector: str = "main form[method=post]") -> None:
    """Press the form's submit button and check the page it leads to."""
    page.locator(form_selector).locator("button[type=submit]").first.click()
    check_a11y(page)


def open_from_nav(page, href: str) -> None:
    """Follow a link of the site's navigation as the reader would: from the header on a wide
    screen; on a phone (the header's links folded away), from the bottom tab bar or through
    the 我的 tab's page."""
    link = page.locator(f"header nav a[href='{href}']")
    if not link.is_visible() and page.locator(f"nav.tabbar a[href='{href}']").is_visible():
        link = page.locator(f"nav.tabbar a[href='{href}']")
    elif not link.is_visible():
        page.locator("#tab-me").click()
        check_a11y(page)
        link = page.locator(f"main a[href='{href}']").first
    link.click()
    check_a11y(page)


def log_in(page, identifier: str, password: str) -> None:
    open_from_nav(page, "/login")
    page.fill("#identifier", identifier)
    page.fill("#password", password)
    submit(page)


def log_out(page) -> None:
    button = page.locator("header nav form[action='/logout'] button[type=submit]")
    if not button.is_visible():  # a phone: 我的, then the button on that page
        page.locator("#tab-me").click()
        check_a11y(page)
        button = page.locator("main form[action='/logout'] button[type=submit]")
    button.click()
    check_a11y(page)
    assert page.locator("form[action='/logout']").count() == 0
    assert page.locator("header nav a[href='/login']").count() == 1


def html_lang(page) -> str:
    return page.locator("html").get_attribute("lang")


def test_register_verify_and_switch_language(page, caplog):
    caplog.set_level(logging.WARNING)
    community = factories.community("幸福里社区", grids=1, buildings=2, units=3)
    admin = factories.user("社区管理员", email=ADMIN_EMAIL, platform_admin=True)
    building = community.grids[0].buildings[1]
    unit = building.units[2]
    ids = {"community": community.id, "building": building.id, "unit": unit.id}
    db.session.commit()

    # A visitor finds the register button on the home page.
    visit(page, "/")
    assert html_lang(page) == "zh-Hans"
    page.locator("main a[href='/register']").click()
    check_a11y(page)
    page.fill("#name", RESIDENT_NAME)
    page.fill("#phone", RESIDENT_PHONE)
    page.fill("#password", RESIDENT_PASSWORD)
    page.fill("#confirm", RESIDENT_PASSWORD)
    submit(page)
    # Not without agreeing to the privacy notice: the form comes back with what was typed.
    assert path_of(page) == "/register"
    assert page.input_value("#name") == RESIDENT_NAME
    page.fill("#password", RESIDENT_PASSWORD)
    page.fill("#confirm", RESIDENT_PASSWORD)
    page.check("#privacy")
    submit(page)

    # The code sent to the phone (the development log here) finishes the registration ...
    assert path_of(page) == "/register/confirm"
    check_a11y(page)
    sent = [r.getMessage() for r in caplog.records if r.getMessage().startswith("MESSAGE ")]
    page.fill("#code", re.search(r"(?<!\d)(\d{6})(?!\d)", sent[-1]).group(1))
    submit(page)

    # ... and lands on "my residency", logged in.
    assert path_of(page) == "/me/residency"
    assert page.locator(".flash-success").count() == 1
    assert page.locator("header nav form[action='/logout']").count() == 1  # logged in

    # Community, then building (plain GET steps), then the unit and the relation.
    page.select_option("#pick-community", str(ids["community"]))
    submit(page, "main form[method=get]")
    page.select_option("#pick-building", str(ids["building"]))
    submit(page, "main form[method=get]")
    assert path_of(page) == (f"/me/residency?community={ids['community']}"
                             f"&building={ids['building']}")
    page.select_option("#unit", str(ids["unit"]))
    page.check("input[name=relation][value=owner]")
    page.fill("#note", "2015年起住在这里")
    submit(page)
    assert path_of(page) == "/me/residency"
    assert page.locator(".flash-success").count() == 1
    assert page.locator(".badge.ok").count() == 0  # waiting, not verified yet

    db.session.rollback()
    resident = db.session.scalar(select(User).where(User.phone == RESIDENT_PHONE))
    request = db.session.scalar(select(Residency).where(Residency.user_id == resident.id))
    assert (request.unit_id, request.status) == (ids["unit"], ResidencyStatus.PENDING.value)
    log_out(page)

    # The platform administrator verifies the request.
    log_in(page, ADMIN_EMAIL, factories.PASSWORD)
    assert path_of(page) == "/"
    open_from_nav(page, "/verifications")
    card = page.locator("main li.card", has_text=RESIDENT_NAME)
    assert card.count() == 1
    assert "139****5678" in card.inner_text()  # the phone is masked
    # Nobody owns the home on the roster: verifying an owner claim needs a written reason.
    assert card.locator(".badge.bad").count() == 1
    card.locator("button[name=decision][value=verify]").click()
    check_a11y(page)
    card = page.locator("main li.card", has_text=RESIDENT_NAME)
    assert card.locator("textarea[name=reason][aria-invalid=true]").count() == 1
    card.locator("textarea[name=reason]").fill("已当面核对房产证原件")
    card.locator("button[name=decision][value=verify]").click()
    check_a11y(page)
    assert path_of(page) == "/verifications"
    assert page.locator(".flash-success").count() == 1
    assert page.locator("main li[id^=claim-]", has_text=RESIDENT_NAME).count() == 0
    assert "已当面核对房产证原件" in page.locator("#history").inner_text()  # the reason, kept
    log_out(page)

    db.session.rollback()
    request = db.session.get(Residency, request.id)
    assert request.status == ResidencyStatus.VERIFIED.value
    assert request.decided_by_id == admin.id

    # The resident logs in again (with the phone) and sees the home verified.
    log_in(page, RESIDENT_PHONE, RESIDENT_PASSWORD)
    open_from_nav(page, "/me/residency")
    assert page.locator(".badge.ok").count() == 1

    # English with the header button, on the same page ...
    page.locator("header button[name=lang][value=en]").click()
    check_a11y(page)
    assert path_of(page) == "/me/residency"
    assert html_lang(page) == "en"
    assert page.locator(".badge.ok").inner_text() == "Verified"
    assert page.locator("main h1").inner_text() == "My residency"
    assert page.locator("header button[name=lang][value=zh_Hans]").get_attribute("lang") \
        == "zh-Hans"

    # ... and back to Chinese.
    page.locator("header button[name=lang][value=zh_Hans]").click()
    check_a11y(page)
    assert path_of(page) == "/me/residency"
    assert html_lang(page) == "zh-Hans"
    assert page.locator("header button[name=lang][value=en]").is_visible()


def _no_horizontal_scroll(page) -> None:
    widths = page.evaluate(
        "({scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth})")
    assert widths["scroll"] <= widths["inner"], (
        f"{page.url} scrolls sideways at {widths['inner']} px: content is {widths['scroll']} px")


def _root_font_px(page) -> float:
    return float(page.evaluate(
        "parseFloat(getComputedStyle(document.documentElement).fontSize)"))


def test_home_fits_a_phone_and_large_text_grows(page):
    factories.community("阳光花园第二社区居民委员会（东区）", grids=2, buildings=3, units=4)
    factories.community("幸福里社区")
    factories.user("社区管理员", email=ADMIN_EMAIL, platform_admin=True)
    db.session.commit()
    assert page.viewport_size == {"width": 360, "height": 740}

    visit(page, "/")
    _no_horizontal_scroll(page)
    normal = _root_font_px(page)

    page.locator("header button[name=size][value=large]").click()
    check_a11y(page)
    assert path_of(page) == "/"
    assert page.locator("html").get_attribute("class") == "large-text"
    large = _root_font_px(page)
    assert large > normal, (normal, large)
    _no_horizontal_scroll(page)

    # The longest header (an administrator's) still fits in large text.
    log_in(page, ADMIN_EMAIL, factories.PASSWORD)
    assert _root_font_px(page) == large
    _no_horizontal_scroll(page)

    page.locator("header button[name=size][value=normal]").click()
    check_a11y(page)
    assert _root_font_px(page) == normal


def test_login_works_without_javascript(new_page):
    factories.user("李建国", phone="13700001111")
    db.session.commit()
    page = new_page(java_script_enabled=False)

    visit(page, "/login")
    page.fill("#identifier", "13700001111")
    page.fill("#password", "not the password")
    submit(page)
    assert path_of(page) == "/login"
    assert page.locator("#password[aria-invalid=true]").count() == 1
    assert page.locator("#password-error").is_visible()

    page.fill("#password", factories.PASSWORD)
    submit(page)
    assert path_of(page) == "/"
    assert page.locator(".flash-success").count() == 1
    assert page.locator("header nav form[action='/logout']").count() == 1  # logged in


def test_keyboard_skip_link_reaches_the_content(page):
    visit(page, "/login")
    skip = page.locator("a.skip-link")
    assert skip.bounding_box()["x"] < 0  # off screen until focused
    page.keyboard.press("Tab")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.bounding_box()["x"] >= 0  # on screen when focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "identifier"
