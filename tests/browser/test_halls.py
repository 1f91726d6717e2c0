"""A hall meeting in a phone-sized Chromium: the secretary schedules a meeting with a topic
whose comment period has ended, a resident registers, the secretary writes and publishes the
minutes with a "put to a vote" resolution, and the topic page links to the minutes."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from consult import clock
from consult.accounts.models import Role
from consult.extensions import db
from consult.halls.minutes import vote_resolution
from consult.halls.models import Meeting
from consult.topics.models import Topic
from tests import factories
from tests.browser.a11y import check_a11y, visit
from tests.browser.test_journey import log_in, log_out, path_of
from tests.hall_world import NOW, TUESDAY, local


@pytest.fixture(autouse=True)
def frozen_clock():
    clock.set_frozen(NOW)  # the live server's thread reads the same clock
    yield
    clock.set_frozen(None)


def test_schedule_register_and_publish_minutes(page):
    c = factories.community("幸福里社区", grids=1, buildings=1, units=4)
    hall = factories.hall(c, "居民议事厅", capacity=20)
    factories.resident(c, "王秀兰", phone="13900000001")
    factories.office_holder(c, Role.SECRETARY, "钱淑芬", phone="13800000001")
    topic = factories.topic(c, title="楼道加装扶手", days=-1)
    db.session.commit()
    topic_id = topic.id

    # The secretary schedules the meeting.
    visit(page, "/")
    log_in(page, "13800000001", factories.PASSWORD)
    visit(page, f"/communities/{c.id}/halls")
    page.locator("#schedule-meeting").click()
    check_a11y(page)
    page.select_option("#hall", str(hall.id))
    page.fill("#title", "十二月居民议事会")
    page.fill("#day", TUESDAY)
    page.fill("#start", "09:00")
    page.fill("#end", "10:30")
    page.check(f"#topic-{topic_id}")
    page.locator("#schedule").click()
    check_a11y(page)
    assert page.locator(".flash-success").count() == 1
    meeting_path = path_of(page)
    assert meeting_path.startswith("/meetings/")
    assert page.locator(f"#agenda a[href='/topics/{topic_id}']").count() == 1
    log_out(page)

    # A resident registers.
    log_in(page, "13900000001", factories.PASSWORD)
    visit(page, meeting_path)
    page.locator("#register").click()
    check_a11y(page)
    assert page.locator("#my-registration").get_attribute("data-status") == "confirmed"
    log_out(page)

    # After the meeting, the secretary writes, previews and publishes the minutes.
    clock.set_frozen(local(f"{TUESDAY} 11:00"))
    log_in(page, "13800000001", factories.PASSWORD)
    visit(page, meeting_path)
    page.locator("#edit-minutes").click()
    check_a11y(page)
    page.fill("#present_count", "18")
    page.fill("#residents_count", "15")
    page.fill("#officials_present", "李代表")
    page.fill("#body", "## 会议过程\n\n居民踊跃发言。")
    p = f"#res-{topic_id}-"
    page.fill(p + "summary", "多数居民支持加装。")
    page.check(p + "kind-vote")
    page.fill(p + "question", "是否同意在楼道加装扶手？")
    page.fill(p + "options", "同意\n反对\n弃权")
    page.locator("#preview-minutes").click()
    check_a11y(page)
    assert page.locator("#draft-notice").count() == 1
    page.locator("#publish-minutes").click()
    check_a11y(page)
    assert path_of(page) == meeting_path + "/minutes"
    assert page.locator(f"#resolution-{topic_id}").get_attribute("data-kind") == "vote"
    log_out(page)

    # Anyone finds the minutes from the topic page.
    visit(page, f"/topics/{topic_id}")
    page.locator("#topic-meetings .topic-minutes-link").click()
    check_a11y(page)
    assert path_of(page) == f"{meeting_path}/minutes#resolution-{topic_id}"
    db.session.rollback()
    assert vote_resolution(db.session.get(Topic, topic_id)).question == "是否同意在楼道加装扶手？"
    assert db.session.scalar(select(Meeting)).agenda[0].topic_id == topic_id
