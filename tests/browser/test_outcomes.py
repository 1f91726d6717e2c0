"""A topic from its closed vote to closed, in a phone-sized Chromium: the secretary publishes
the outcome, a resident objects, the secretary answers, the window ends and the outcome takes
effect, progress is posted, the implementation is done and a resident rates it."""
from __future__ import annotations

from datetime import timedelta

from consult import clock
from consult.extensions import db
from consult.outcomes.models import Objection
from tests import factories
from tests import outcome_world as ow
from tests.browser.a11y import check_a11y, visit
from tests.browser.test_journey import log_in, log_out


def test_outcome_from_closed_vote_to_rating(page, monkeypatch):
    clock.set_frozen(ow.T0)
    try:
        w = ow.build(monkeypatch)
        w.people["secretary"].phone = "13800000001"
        w.people["r1"].phone = "13900000001"
        db.session.commit()
        clock.set_frozen(ow.CLOSED)
        topic_path = f"/topics/{w.topic.id}"

        # The secretary publishes the outcome, pre-filled from the result.
        visit(page, "/")
        log_in(page, "13800000001", factories.PASSWORD)
        visit(page, topic_path)
        page.locator("#publish-outcome-link").click()
        check_a11y(page)
        assert "是否同意加装楼道扶手？" in page.locator("#decision").input_value()
        page.fill("#days", "7")
        page.locator("#outcome-submit").click()
        check_a11y(page)
        assert page.locator("#topic-stage").get_attribute("data-stage") == "publicised"
        log_out(page)

        # A resident of the area objects.
        clock.set_frozen(ow.CLOSED + timedelta(days=1))
        log_in(page, "13900000001", factories.PASSWORD)
        visit(page, topic_path)
        page.fill("#objection", "希望先公布费用明细。")
        page.locator("#lodge-objection").click()
        check_a11y(page)
        assert "希望先公布费用明细。" in page.locator("#objections").inner_text()
        log_out(page)

        # The secretary answers in public.
        log_in(page, "13800000001", factories.PASSWORD)
        visit(page, topic_path)
        db.session.rollback()
        objection_id = db.session.scalar(db.select(Objection.id))
        page.fill(f"#o{objection_id}-answer", "费用明细已张贴在公示栏。")
        page.locator(f"#answer-{objection_id}").click()
        check_a11y(page)
        assert "费用明细已张贴在公示栏。" in page.locator("#objections").inner_text()

        # The window ends with no upheld objection: the outcome takes effect when viewed.
        clock.set_frozen(ow.CLOSED + timedelta(days=7, minutes=1))
        visit(page, f"/communities/{w.community.id}/outcomes")
        assert "楼道加装扶手" in page.locator("#outcomes").inner_text()
        visit(page, topic_path)
        assert page.locator("#topic-stage").get_attribute("data-stage") == "implementing"
        page.fill("#responsible", "物业服务中心")
        page.fill("#target_date", "2026-12-31")
        page.locator("#save-plan").click()
        check_a11y(page)
        page.fill("#progress", "材料已进场。")
        page.fill("#percent", "50")
        page.locator("#post-progress").click()
        check_a11y(page)
        assert "50%" in page.locator("#implementation-percent").inner_text()
        page.locator("#mark-done").click()
        check_a11y(page)
        log_out(page)

        # A resident rates it with the star radio buttons.
        log_in(page, "13900000001", factories.PASSWORD)
        visit(page, topic_path)
        page.check("#rating-form input[name=stars][value='4']")
        page.fill("#comment", "扶手很结实。")
        page.locator("#save-rating").click()
        check_a11y(page)
        assert "4.0" in page.locator("#rating-average").inner_text()
        page.locator("#timeline-section summary").click()  # the timeline is folded
        timeline = page.locator("#timeline").inner_text()
        assert "50%" in timeline
        visit(page, f"/communities/{w.community.id}/outcomes")
        visit(page, f"/communities/{w.community.id}/dashboard")
    finally:
        clock.set_frozen(None)
