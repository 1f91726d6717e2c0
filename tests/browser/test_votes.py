"""An owners' vote end to end in a phone-sized Chromium: the secretary opens it from the topic
page (the published minutes resolved to put it to a vote), owners vote, one changes their mind,
the vote closes and the result page shows the verdict the Civil Code gives."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from consult import clock
from consult.accounts.models import Role, User
from consult.extensions import db
from consult.halls import minutes
from consult.votes import service
from consult.votes.models import Ballot, Vote
from tests import factories
from tests.browser.a11y import check_a11y, visit
from tests.browser.test_journey import log_in, log_out, path_of

START = datetime(2026, 12, 1, 1, 0)  # 09:00 Beijing time


def test_owner_vote_from_minutes_to_verdict(page):
    clock.set_frozen(START)
    try:
        c = factories.community("幸福里社区", grids=1, buildings=1, units=4)
        units = factories.units_of(c)
        owners = []
        for i, (unit, area) in enumerate(zip(units, ["100.00", "90.00", "80.00", "70.00"])):
            unit.area_m2 = Decimal(area)
            person = factories.resident(c, f"业主{i}", unit=unit, phone=f"1390000000{i}")
            factories.owner(person, unit)
            owners.append(person)
        factories.office_holder(c, Role.SECRETARY, "钱淑芬", phone="13800000001")
        topic = factories.topic(c, owners[0], title="楼道加装扶手", stage="deliberating")
        hall = factories.hall(c)
        meeting = factories.meeting(hall, START - timedelta(days=2), topics=[topic])
        secretary = db.session.scalar(select(User).where(User.phone == "13800000001"))
        minutes.save_draft(secretary, meeting, minutes.DraftInput(
            present_count=20, residents_count=15, body="会议讨论了扶手方案。",
            resolutions=[minutes.ResolutionInput(
                topic.id, summary="多数支持", kind="vote", question="是否同意加装楼道扶手？",
                options="同意\n反对\n弃权")]))
        minutes.publish(secretary, meeting)
        db.session.commit()

        # The secretary opens the vote from the topic page; the form is filled from the minutes.
        visit(page, "/")
        log_in(page, "13800000001", factories.PASSWORD)
        visit(page, f"/topics/{topic.id}")
        page.locator("#open-vote-link").click()
        check_a11y(page)
        assert page.locator("#question").input_value() == "是否同意加装楼道扶手？"
        assert page.locator("input[name=kind][value=yes_no]").is_checked()
        page.select_option("#rule", "civil_code_ordinary")
        # Announced now, it opens after the 15 days' notice and stays open the 7 days.
        rules_text = page.locator("#vote-notice-rules").inner_text()
        assert "15" in rules_text and "7" in rules_text  # the community's numbers
        page.fill("#opens_at", "2026-12-16T09:00")
        page.fill("#closes_at", "2026-12-23T09:00")
        page.locator("#open-vote").click()
        check_a11y(page)
        assert "4" in page.locator("#electorate-size").inner_text()
        assert page.locator("#vote-upcoming").is_visible()
        assert "2026-12-16 09:00" in page.locator("#vote-announcement").inner_text()
        vote_path = path_of(page)
        log_out(page)

        clock.set_frozen(START + timedelta(days=15, hours=1))  # voting is open

        # Three owners vote; the first changes their mind from oppose to agree.
        for i, option in [(0, "oppose"), (1, "agree"), (2, "oppose"), (0, "agree")]:
            log_in(page, f"1390000000{i}", factories.PASSWORD)
            visit(page, vote_path)
            page.check(f"#ballot-form input[value={option}]")
            page.locator("#cast").click()
            check_a11y(page)
            assert page.locator("#my-ballot").is_visible()
            log_out(page)

        db.session.rollback()
        vote = db.session.scalar(select(Vote))
        assert db.session.query(Ballot).filter_by(counted=True).count() == 3

        # After the close: 270 of 340 m² and 3 of 4 owners took part (valid); agreeing owners
        # hold 190 of 270 m² and are 2 of 3: passed.
        clock.set_frozen(START + timedelta(days=22, hours=1))
        visit(page, vote_path)
        verdict = page.locator("#verdict")
        assert verdict.get_attribute("data-valid") == "true"
        assert verdict.get_attribute("data-passed") == "true"
        assert page.locator("#sentences li").count() == 2
        assert page.locator("svg.chart-svg").is_visible()
        db.session.rollback()
        # The page showed the result; the scheduled close stores that same result.
        assert db.session.get(Vote, vote.id).result is None
        assert service.close_due_votes() == 1
        db.session.commit()
        assert db.session.get(Vote, vote.id).result["passed"] is True
    finally:
        clock.set_frozen(None)
