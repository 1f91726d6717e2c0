"""Opening a vote, freezing its electorate, casting and changing ballots, the stored result."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from consult import clock
from consult.accounts.models import Role
from consult.audit.models import AuditEntry
from consult.community.models import Ownership, ResidencyStatus, Unit
from consult.extensions import db
from consult.refusals import Refused
from consult.votes import service
from consult.votes.models import Ballot, Elector
from consult.votes.service import VoteSpec
from tests import factories

pytestmark = pytest.mark.usefixtures("english")
T0 = datetime(2026, 12, 1, 1, 0)
# Civil Code votes are announced 15 days (the default notice) before they open: open_() announces
# at ANNOUNCED a vote that opens at T0.
ANNOUNCED = T0 - timedelta(days=15)


@pytest.fixture
def minutes_resolved(monkeypatch):
    """The hall's published minutes resolved "put to a vote" (tested in the halls tests)."""
    monkeypatch.setattr(service, "vote_resolution_of", lambda topic: object())


@pytest.fixture
def estate(app, minutes_resolved):
    """One grid, two buildings of 3 units: areas 100, 80.50, 60.25 / 90, 90, 90.
    王 owns two units (one elector), 李 and 张 co-own one, one unit is unsold."""
    c = factories.community("幸福里社区", grids=1, buildings=2, units=3)
    units = [u for b in c.grids[0].buildings for u in b.units]
    for unit, area in zip(units, ["100.00", "80.50", "60.25", "90.00", "90.00", "90.00"]):
        unit.area_m2 = Decimal(area)
    people = {name: factories.resident(c, name, unit=units[i])
              for i, name in enumerate(["王", "李", "赵", "钱", "孙"])}
    people["张"] = factories.resident(c, "张", unit=units[1])
    factories.owner(people["王"], units[0])
    factories.owner(people["王"], units[2])
    factories.owner(people["李"], units[1])
    factories.owner(people["张"], units[1])
    factories.owner(people["钱"], units[3])
    factories.owner(people["孙"], units[4])
    # units[5] has no owner: the developer's
    people["tenant"] = factories.resident(c, "租户", unit=units[3])
    people["secretary"] = factories.office_holder(c, Role.SECRETARY, "秘书")
    people["pending"] = factories.resident(c, "待认证", unit=units[5],
                                           status=ResidencyStatus.PENDING)
    topic = factories.topic(c, people["王"], stage="deliberating")
    db.session.commit()
    return c, topic, people


def spec(c, **changes) -> VoteSpec:
    values = dict(question="是否同意使用公共收益加装楼道扶手？", electorate="owners",
                  rule="civil_code_ordinary", scope_key=f"community:{c.id}",
                  opens_at=T0, closes_at=T0 + timedelta(days=7))
    values.update(changes)
    return VoteSpec(**values)


def open_(estate, **changes):
    c, topic, people = estate
    with clock.frozen(ANNOUNCED):
        vote = service.open_vote(people["secretary"], topic, spec(c, **changes))
        db.session.commit()
    return vote


def test_opening_freezes_the_owner_electorate_by_the_headcount_rules(estate):
    vote = open_(estate)
    c, topic, people = estate
    assert topic.stage == "voting"
    assert vote.electorate_size == 5  # 王 (2 units), 李+张, 钱, 孙, the developer
    assert vote.electorate_size == db.session.scalar(
        select(func.count()).select_from(Elector).where(Elector.vote_id == vote.id))
    assert vote.area_total == Decimal("510.75")
    wang = service.electors_of(people["王"], vote)
    assert len(wang) == 1 and wang[0].area == Decimal("160.25")
    assert service.electors_of(people["李"], vote)[0].id == \
        service.electors_of(people["张"], vote)[0].id
    assert service.electors_of(people["tenant"], vote) == []


def test_later_roster_changes_do_not_move_the_denominators(estate):
    vote = open_(estate)
    c, _, people = estate
    unit = db.session.scalar(select(Unit).order_by(Unit.id.desc()))
    db.session.add(Ownership(unit_id=unit.id, owner_id=people["tenant"].id))
    unit.area_m2 = Decimal("500.00")
    db.session.commit()
    assert service.electors_of(people["tenant"], vote) == []
    assert service.compute(vote).area_total == Decimal("510.75")


def test_households_and_residents_electorates(estate):
    households = open_(estate, electorate="households", rule="simple_majority")
    assert households.electorate_size == 6
    c, topic, people = estate
    # a second vote on the same topic needs the first to have closed invalid; use a new topic
    other = factories.topic(c, people["王"], stage="deliberating", title="第二个议题")
    db.session.commit()
    with clock.frozen(T0):
        residents = service.open_vote(people["secretary"], other,
                                      spec(c, electorate="residents", rule="two_thirds"))
        db.session.commit()  # the electorate is frozen by the job, once this commits
    assert residents.electorate_size == 7  # verified residents, not the pending one


@pytest.mark.parametrize("changes, field", [
    ({"question": " "}, "question"),
    ({"rule": "civil_code_major", "electorate": "residents"}, "rule"),
    ({"rule": "civil_code_ordinary", "quorum_percent": 50}, "quorum_percent"),
    ({"rule": "simple_majority", "quorum_percent": 0}, "quorum_percent"),
    ({"rule": "simple_majority", "quorum_percent": 101}, "quorum_percent"),
    ({"closes_at": T0}, "closes_at"),
    ({"opens_at": ANNOUNCED - timedelta(hours=1)}, "opens_at"),
    ({"opens_at": ANNOUNCED + timedelta(days=1)}, "opens_at"),  # too little notice
    ({"closes_at": T0 + timedelta(days=6)}, "closes_at"),  # too short
    ({"options": ("东门",), "rule": "simple_majority", "electorate": "residents"}, "options"),
    ({"options": tuple("ABCDEFGHI"), "rule": "simple_majority"}, "options"),
    ({"options": ("甲", "甲"), "rule": "simple_majority"}, "options"),
    ({"scope_key": "community:999"}, "scope"),
    ({"electorate": "everyone"}, "electorate"),
])
def test_bad_vote_settings_are_refused_and_nothing_is_stored(estate, changes, field):
    c, topic, people = estate
    with clock.frozen(ANNOUNCED), pytest.raises(Refused) as refused:
        service.open_vote(people["secretary"], topic, spec(c, **changes))
    assert refused.value.field == field
    db.session.rollback()
    assert topic.stage == "deliberating"
    assert service.latest_vote(topic.id) is None


def test_only_a_secretary_opens_and_only_after_the_minutes(estate, monkeypatch):
    c, topic, people = estate
    with clock.frozen(T0):
        for who in (people["王"], people["tenant"]):
            with pytest.raises(Refused):
                service.open_vote(who, topic, spec(c))
            db.session.rollback()
        monkeypatch.setattr(service, "vote_resolution_of", lambda topic: None)
        with pytest.raises(Refused) as refused:
            service.open_vote(people["secretary"], topic, spec(c))
        assert "minutes" in str(refused.value.message)


def test_casting_changing_and_the_receipt(estate):
    vote = open_(estate)
    _, _, people = estate
    with clock.frozen(T0 + timedelta(hours=1)):
        first = service.cast(people["李"], vote, "oppose")[0]
        with pytest.raises(Refused) as refused:  # co-owner: same ballot, replaced knowingly
            service.cast(people["张"], vote, "agree")
        assert refused.value.code == "replaces_other"
        changed = service.cast(people["张"], vote, "agree", replace_other=True)[0]
        db.session.commit()
    assert first.tracker != changed.tracker and len(changed.tracker) == 9
    db.session.refresh(first)
    assert not first.counted and changed.counted
    assert service.find_receipt(vote, first.tracker.replace("-", "").lower()).id == first.id
    assert [b.option for b in service.my_ballots(people["李"], vote)] == ["agree"]
    assert service.turnout(vote) == 1


@pytest.mark.parametrize("when, who, option, words", [
    (T0 - timedelta(minutes=1), "王", "agree", "not opened"),
    (T0 + timedelta(days=7), "王", "agree", "closed"),
    (T0 + timedelta(hours=1), "tenant", "agree", "not on the list"),
    (T0 + timedelta(hours=1), "pending", "agree", "not on the list"),
    (T0 + timedelta(hours=1), "王", "maybe", "Choose one"),
])
def test_casting_refusals(estate, when, who, option, words):
    vote = open_(estate)
    _, _, people = estate
    with clock.frozen(when), pytest.raises(Refused) as refused:
        service.cast(people[who], vote, option)
    assert words in str(refused.value.message)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0


def test_the_result_is_stored_once_after_closing(estate):
    vote = open_(estate)
    _, _, people = estate
    with clock.frozen(T0 + timedelta(hours=1)):
        for who, option in [("王", "agree"), ("李", "agree"), ("钱", "oppose")]:
            service.cast(people[who], vote, option)
        assert service.close(vote) is None  # still open: no result
        db.session.commit()
    with clock.frozen(vote.closes_at):
        # Just closed: a ballot accepted a moment ago may still be committing, so a page
        # shows "being counted", not a tally that could change.
        assert service.result_of(vote) is None and service.counting(vote)
    with clock.frozen(vote.closes_at + service.SETTLE):
        shown = service.result_of(vote)  # what a page shows before the close: stores nothing
        assert vote.result is None and not db.session.dirty
        result = service.close(vote)
        assert service.close(vote) == result  # a second close changes nothing
        db.session.commit()
    assert shown == result
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "vote.close")) == 1
    # participating: 160.25 + 80.50 + 90 = 330.75 of 510.75 = 64.76% < 2/3: not valid
    assert result["valid"] is False and result["area_participating"] == "330.75"
    assert result["headcount_participating"] == 3 and result["headcount_total"] == 5
    assert service.may_rerun(vote.topic, T0 + timedelta(days=7))
    rows = service.ballot_rows(vote)
    assert sorted(o for _, o, _, _ in rows) == ["agree", "agree", "oppose"]
    assert any("幸福里" not in units and units for _, _, units, _ in rows)  # named: units shown
    assert {channel for *_, channel in rows} == {"online"}


def test_an_invalid_vote_can_be_run_again_without_a_new_stage(estate):
    vote = open_(estate)
    c, topic, people = estate
    later = T0 + timedelta(days=8)
    with clock.frozen(later):
        again = service.open_vote(people["secretary"], topic, spec(
            c, opens_at=later + timedelta(days=15), closes_at=later + timedelta(days=22)))
        db.session.commit()
    assert again.id != vote.id and topic.stage == "voting"


def test_secret_ballots_list_no_units(estate):
    vote = open_(estate, secret=True, electorate="residents", rule="simple_majority")
    _, _, people = estate
    with clock.frozen(T0 + timedelta(hours=1)):
        service.cast(people["王"], vote, "agree")
    with clock.frozen(T0 + timedelta(days=8)):
        service.close(vote)
    assert service.ballot_rows(vote)[0][2] == ""


def test_minutes_older_than_the_return_to_deliberation_do_not_open_a_vote(app, english):
    """After an upheld objection sends a topic back to deliberation, the old minutes' "put to
    a vote" no longer counts: a new meeting has to resolve it."""
    from consult.halls import minutes
    from consult.topics.models import StageChange

    c = factories.community("幸福里社区")
    secretary = factories.office_holder(c, Role.SECRETARY, "秘书")
    topic = factories.topic(c, stage="deliberating")
    meeting = factories.meeting(factories.hall(c), T0 - timedelta(days=1), topics=[topic])
    with clock.frozen(T0):
        minutes.save_draft(secretary, meeting, minutes.DraftInput(
            present_count=9, residents_count=5, body="纪要", resolutions=[
                minutes.ResolutionInput(topic.id, summary="讨论", kind="vote",
                                        question="是否同意？", options="同意\n反对\n弃权")]))
        minutes.publish(secretary, meeting)
    db.session.add(StageChange(topic_id=topic.id, transition="uphold_objection",
                               from_stage="publicised", to_stage="deliberating",
                               at=T0 + timedelta(days=20)))
    db.session.commit()
    with clock.frozen(T0 + timedelta(days=21)), pytest.raises(Refused) as refused:
        service.open_vote(secretary, topic, spec(c, opens_at=T0 + timedelta(days=21),
                                                 closes_at=T0 + timedelta(days=25)))
    assert "new meeting" in str(refused.value.message)
