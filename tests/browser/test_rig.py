"""The rig itself: axe really fails a page with a serious violation, and the live server
enforces CSRF like production does."""
from __future__ import annotations

import pytest

from tests.browser import a11y
from tests.browser.a11y import check_a11y, visit


def test_a_serious_violation_fails_the_check(page):
    visit(page, "/")
    # Pale grey on white: a colour-contrast violation (impact "serious").
    page.evaluate("""() => {
        const p = document.createElement("p");
        p.textContent = "barely readable";
        p.style.color = "#c8c8c8";
        document.querySelector("main").append(p);
    }""")
    with pytest.raises(pytest.fail.Exception, match="color-contrast"):
        check_a11y(page)
    # The page is fine again; the expected failure is not a finding for the coverage list.
    assert a11y.CHECKED.pop().failing == ["color-contrast"]
    page.evaluate("document.querySelector('main p:last-child').remove()")
    check_a11y(page)


def test_forms_without_a_csrf_token_are_refused(page):
    visit(page, "/login")
    page.evaluate("document.querySelector('main form input[name=csrf_token]').remove()")
    page.fill("#identifier", "nobody@example.org")
    page.fill("#password", "whatever")
    with page.expect_response(lambda r: r.url.endswith("/login")) as answer:
        page.locator("main form button[type=submit]").click()
    assert answer.value.status == 400
    check_a11y(page)
