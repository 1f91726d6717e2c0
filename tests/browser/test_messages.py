"""Message settings (消息设置) in Chromium, on a 360 px phone and a desktop: an elderly owner
chooses that vote notices come in the daily digest, saves, and the page keeps it; an e-mail's
unsubscribe link asks before it stops anything. The pages pass axe and fit the screen."""
from __future__ import annotations

from consult.extensions import db
from consult.messages import service
from tests import factories
from tests.browser.a11y import check_a11y, visit
from tests.browser.test_journey import _no_horizontal_scroll, log_in, path_of, submit

DESKTOP = {"width": 1280, "height": 900}


def _choose_digest_for_votes(page) -> None:
    visit(page, "/")
    log_in(page, "13900000031", factories.PASSWORD)
    visit(page, "/me/messages")
    _no_horizontal_scroll(page)
    # The default for votes is "at once"; the owner wants them in the evening digest.
    assert page.locator("input[name=mode_votes][value=immediate]").is_checked()
    page.locator("input[name=mode_votes][value=digest]").check()
    page.select_option("#quiet_start", "20")
    submit(page)
    assert path_of(page) == "/me/messages"
    assert page.locator(".flash-success").count() == 1
    assert page.locator("input[name=mode_votes][value=digest]").is_checked()
    assert page.locator("#quiet_start").input_value() == "20"
    _no_horizontal_scroll(page)


def test_an_owner_chooses_the_digest_on_a_phone(page):
    owner = factories.user("刘阿姨", phone="13900000031", email=None)
    db.session.commit()
    _choose_digest_for_votes(page)
    db.session.rollback()  # a new transaction sees what the server committed
    assert service.modes_of(owner.id)["votes"] == "digest"


def test_the_same_on_a_desktop_and_without_javascript(new_page):
    owner = factories.user("陈师傅", phone="13900000031", email="chen@example.org")
    db.session.commit()
    _choose_digest_for_votes(new_page(viewport=DESKTOP))
    plain = new_page(java_script_enabled=False)
    visit(plain, "/")
    log_in(plain, "13900000031", factories.PASSWORD)
    visit(plain, "/me/messages")
    plain.locator("input[name=channel][value=email]").check()
    submit(plain)
    assert plain.locator("input[name=channel][value=email]").is_checked()
    db.session.rollback()  # a new transaction sees what the server committed
    assert service.settings_of(owner.id).channel == "email"


def test_the_unsubscribe_link_asks_first(page):
    owner = factories.user("赵大爷", email="zhao@example.org")
    db.session.commit()
    visit(page, f"/unsubscribe/{service.unsubscribe_token(owner.id, 'followed')}")
    _no_horizontal_scroll(page)
    db.session.rollback()  # a new transaction sees what the server committed
    assert service.modes_of(owner.id)["followed"] == "digest"  # looking changed nothing
    submit(page)
    check_a11y(page)
    assert page.locator("main [role=status]").count() == 1
    db.session.rollback()  # a new transaction sees what the server committed
    assert service.modes_of(owner.id)["followed"] == "inapp"
