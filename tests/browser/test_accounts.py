"""Forgot password in a phone-sized Chromium: ask for a link, open it, choose a new password,
be logged in; the pages pass axe, and the same steps work with JavaScript off."""
from __future__ import annotations

import logging
import re

from consult.accounts import reset
from tests import factories
from tests.browser.a11y import check_a11y, visit
from tests.browser.test_journey import path_of, submit

NEW_PASSWORD = "门前老槐树 2026"


def _link(caplog) -> str:
    link = next(re.search(r"https?://\S+", r.getMessage())[0] for r in caplog.records
                if reset.LOG_PREFIX in r.getMessage())
    caplog.clear()
    return re.sub(r"^https?://[^/]+", "", link)


def test_forgotten_password_by_link(page, new_page, caplog):
    factories.user("王秀兰", phone="13900000021")
    from consult.extensions import db

    db.session.commit()
    caplog.set_level(logging.WARNING)
    visit(page, "/login")
    page.locator("main a[href='/password/forgot']").click()
    check_a11y(page)
    submit(page)  # nothing typed: the form says what is missing
    assert page.locator("#identifier-error").is_visible()
    assert page.locator("#identifier").get_attribute("aria-invalid") == "true"
    page.fill("#identifier", "13900000021")
    submit(page)
    assert page.locator(".flash-success").count() == 1
    link = _link(caplog)

    visit(page, link)
    page.fill("#password", NEW_PASSWORD)
    page.fill("#confirm", NEW_PASSWORD)
    submit(page)
    assert path_of(page) != "/login" and page.locator(".flash-success").count() == 1
    assert page.locator("nav form[action='/logout']").count() == 1  # logged in

    # The link worked once: opened again, it says so.
    visit(page, link)
    assert page.locator("main h1").count() == 1
    assert page.locator("#password").count() == 0

    # Without JavaScript: the same forms are plain posts.
    plain = new_page(java_script_enabled=False)
    visit(plain, "/password/forgot")
    plain.fill("#identifier", "13900000021")
    submit(plain)
    visit(plain, _link(caplog))
    plain.fill("#password", NEW_PASSWORD + "!")
    plain.fill("#confirm", NEW_PASSWORD + "!")
    submit(plain)
    assert plain.locator("nav form[action='/logout']").count() == 1
