"""Representative studios end to end in a phone-sized Chromium: a representative books a
repeating session (one date clashes and is listed), a resident reserves a slot, the
representative records the reception afterwards and turns the matter into a topic proposal
in the resident's name, which the resident then submits.

Locators use ids, names and URLs, not visible words. Every page is checked with axe-core.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from consult import clock
from consult.extensions import db
from consult.studios.models import ReceptionRecord, Reservation, Studio, StudioSession
from tests import factories
from tests.browser.a11y import check_a11y, visit
from tests.browser.test_journey import log_out as journey_log_out, open_from_nav
from tests.studio_world import NOW, build, local, session_at

PASSWORD = factories.PASSWORD


@pytest.fixture(autouse=True)
def frozen_clock():
    clock.set_frozen(NOW)  # the live server's thread reads the same clock
    yield
    clock.set_frozen(None)


def path_of(page) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url)


def submit(page, form_selector: str = "main form[method=post]") -> None:
    page.locator(form_selector).locator("button[type=submit]").first.click()
    check_a11y(page)


def log_in(page, phone: str) -> None:
    open_from_nav(page, "/login")
    page.fill("#identifier", phone)
    page.fill("#password", PASSWORD)
    submit(page)


def log_out(page) -> None:
    journey_log_out(page)


def no_horizontal_scroll(page) -> None:
    widths = page.evaluate(
        "({scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth})")
    assert widths["scroll"] <= widths["inner"], (page.url, widths)


def test_book_reserve_and_record(page):
    world = build(n_residents=1)
    resident = world.residents[0]
    resident.phone = "13900000001"
    # 周代表 holds the room on the second Tuesday: that date is skipped and listed.
    session_at(world, "2026-12-08 10:00", minutes=60, rep=world.rep2)
    db.session.commit()

    # The representative books every Tuesday 9:00-11:00 for three weeks.
    visit(page, "/")
    log_in(page, "13800000011")
    open_from_nav(page, "/studios")
    page.locator(f"main a[href='/studios/{world.studio.id}']").first.click()
    check_a11y(page)
    no_horizontal_scroll(page)
    page.locator("#book-session").click()
    check_a11y(page)
    no_horizontal_scroll(page)
    page.select_option("#room", str(world.room.id))
    page.fill("#day", "2026-12-01")
    page.fill("#start", "09:00")
    page.fill("#end", "11:00")
    page.fill("#weeks", "3")
    page.fill("#focus", "加装电梯")
    submit(page)
    assert path_of(page) == f"/studios/{world.studio.id}?week=2026-12-01"
    assert page.locator(".flash-success").count() == 1
    assert page.locator(".flash-warning").count() == 1  # 2026-12-08 clashed
    db.session.rollback()
    booked = db.session.scalars(select(StudioSession).where(
        StudioSession.representative_id == world.rep.id).order_by(StudioSession.starts_at)).all()
    assert [s.starts_at for s in booked] == [local("2026-12-01 09:00"),
                                             local("2026-12-15 09:00")]
    first = booked[0]
    log_out(page)

    # A resident finds the session in the week view and reserves a slot.
    log_in(page, "13900000001")
    visit(page, f"/studios/{world.studio.id}?week=2026-12-01")
    page.locator(f"#week ~ ol a[href='/studio-sessions/{first.id}']").first.click()
    check_a11y(page)
    no_horizontal_scroll(page)
    slot = local("2026-12-01 09:20").strftime("%Y-%m-%dT%H:%M")
    page.check(f"input[name=slot][value='{slot}']")
    page.select_option("#category", "property")
    page.fill("#matter", "3栋电梯经常停运")
    submit(page, "#reserve form")
    assert path_of(page) == f"/studio-sessions/{first.id}#mine"
    assert page.locator("#mine").is_visible()
    assert page.locator("#cancel-reservation").is_visible()
    open_from_nav(page, "/studios")
    page.locator("main a[href='/me/reservations']").click()
    check_a11y(page)
    log_out(page)

    # After the slot has begun, the representative records what was raised.
    clock.set_frozen(local("2026-12-01 09:45"))
    log_in(page, "13800000011")
    visit(page, "/me/studio-sessions")
    page.locator(f"main a[href='/studio-sessions/{first.id}']").click()
    check_a11y(page)
    db.session.rollback()
    reservation = db.session.scalar(select(Reservation).where(
        Reservation.session_id == first.id))
    page.locator(f"#record-{reservation.id}").click()
    check_a11y(page)
    page.check("input[name=attendance][value=attended]")
    page.fill("#raised", "3栋电梯每周停运两次，老人上下楼困难")
    page.fill("#follow_up", "联系物业维保单位，两周内答复")
    submit(page)
    assert path_of(page) == f"/studio-sessions/{first.id}#reservations"
    assert page.locator(".flash-success").count() == 1
    db.session.rollback()
    entry = db.session.scalar(select(ReceptionRecord))
    assert (entry.reservation_id, entry.attendance) == (reservation.id, "attended")

    # ... and turns the matter into a proposal in the resident's name.
    page.locator(f"#propose-as-resident-{reservation.id}").click()
    check_a11y(page)
    assert page.locator(".flash-success").count() == 1
    db.session.rollback()
    entry = db.session.scalar(select(ReceptionRecord))
    assert entry.topic_id is not None
    page.locator(f"#topic-of-{reservation.id}").is_visible()
    log_out(page)

    # The resident reads the record, and confirms the proposal by submitting it.
    log_in(page, "13900000001")
    visit(page, "/me/reservations")
    assert "联系物业维保单位" in page.locator("main").inner_text()
    visit(page, f"/topics/{entry.topic_id}")
    assert page.locator("#from-reception").is_visible()
    page.locator("#submit-draft").click()
    check_a11y(page)
    assert page.locator("#topic-stage").get_attribute("data-stage") == "proposed"


def test_reserve_without_javascript(new_page):
    world = build(n_residents=1)
    resident = world.residents[0]
    resident.phone = "13900000002"
    session = session_at(world, "2026-12-01 09:00")
    db.session.commit()
    page = new_page(java_script_enabled=False)
    visit(page, f"/studio-sessions/{session.id}")
    page.locator("#login-to-reserve").click()
    check_a11y(page)
    page.fill("#identifier", "13900000002")
    page.fill("#password", PASSWORD)
    submit(page)
    assert path_of(page) == f"/studio-sessions/{session.id}"
    # Nothing chosen: the form comes back with the message and what was typed.
    page.fill("#matter", "楼道堆物")
    submit(page, "#reserve form")
    assert page.locator("#slot-error").is_visible()
    assert page.locator("#matter").input_value() == "楼道堆物"
    page.locator("input[name=slot]").first.check()
    submit(page, "#reserve form")
    assert page.locator("#mine").count() == 1


def test_admin_sets_up_a_studio(page):
    world = build(n_residents=1)
    admin = world.admin
    admin.phone = "13800000000"
    db.session.commit()
    visit(page, "/")
    log_in(page, "13800000000")
    visit(page, f"/admin/communities/{world.community.id}")
    page.locator(f"main a[href='/admin/communities/{world.community.id}/studios']").click()
    check_a11y(page)
    page.select_option("#kind", "liaison")
    page.fill("#name", "东风街道代表联络站")
    page.fill("#address", "东风街道办事处二楼")
    submit(page, "main form[method=post]")
    studio_path = path_of(page)
    assert re.fullmatch(r"/admin/studios/\d+", studio_path)
    page.fill("#room-name", "联络室")
    submit(page, f"form[action='{studio_path}/rooms']")
    page.select_option("#hours-weekday", "2")
    page.fill("#hours-opens", "14:00")
    page.fill("#hours-closes", "13:00")  # before it opens: refused, kept
    submit(page, f"form[action='{studio_path}/hours']")
    assert page.locator("#hours-closes-error").is_visible()
    assert page.locator("#hours-opens").input_value() == "14:00"
    page.fill("#hours-closes", "17:00")
    submit(page, f"form[action='{studio_path}/hours']")
    page.select_option("#attach-user", str(world.rep.id))
    submit(page, f"form[action='{studio_path}/representatives']")
    no_horizontal_scroll(page)
    visit(page, f"/admin/communities/{world.community.id}/studios")
    page.locator(f"#profile-{world.rep2.id}").click()
    check_a11y(page)
    page.select_option("#body", "city_pc")
    page.fill("#area_served", "东风街道第二选区")
    submit(page)
    db.session.rollback()
    studio = db.session.scalar(select(Studio).where(Studio.name == "东风街道代表联络站"))
    assert [r.name for r in studio.rooms] == ["联络室"] and len(studio.hours) == 1
    assert studio.representative_ids == {world.rep.id}
    visit(page, f"/communities/{world.community.id}/representatives/{world.rep2.id}")
    assert "东风街道第二选区" in page.locator("main").inner_text()
