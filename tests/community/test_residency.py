"""Residency verification (居民认证): rules and pages."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consult.accounts.models import Role
from consult.audit.models import AuditEntry
from consult.community.models import Residency, ResidencyStatus
from consult.community.residency import decide, request_residency
from consult.refusals import Refused
from consult.extensions import db
from consult.permissions import may
from tests import factories

# These tests check messages in English, the language the texts are written in.
pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def place(app):
    c = factories.community("幸福社区", grids=2, buildings=2, units=3)
    other = factories.community("隔壁社区")
    secretary = factories.user("秘书")
    factories.grant(secretary, c, Role.SECRETARY)
    db.session.commit()
    return c, other, secretary


def test_request_then_verify_makes_a_resident(place):
    c, _, secretary = place
    user = factories.user("王小明")
    unit = factories.units_of(c)[0]
    assert not may(user, "resident.act", c)
    residency = request_residency(user, unit, "tenant", "住了三年")
    assert residency.status == "pending"
    assert not may(user, "resident.act", c)  # pending is not verified
    decide(secretary, residency, verify=True)
    assert may(user, "resident.act", c)
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["residency.request", "residency.verify"]


def test_refusal_needs_a_reason_and_can_be_asked_again(place):
    c, _, secretary = place
    user = factories.user("王小明")
    unit = factories.units_of(c)[0]
    residency = request_residency(user, unit, "owner")
    with pytest.raises(Refused, match="Say why"):
        decide(secretary, residency, verify=False, reason="  ")
    decide(secretary, residency, verify=False, reason="房产证姓名不符")
    assert residency.refusal_reason == "房产证姓名不符"
    with pytest.raises(Refused, match="already been decided"):
        decide(secretary, residency, verify=True)
    again = request_residency(user, unit, "owner", "补充材料")
    assert again.id == residency.id and again.status == "pending" and again.refusal_reason == ""


def test_cannot_ask_twice_for_the_same_home(place):
    c, _, _ = place
    user = factories.user("王小明")
    unit = factories.units_of(c)[0]
    request_residency(user, unit, "owner")
    with pytest.raises(Refused, match="already asked"):
        request_residency(user, unit, "family")


def test_unknown_relation_is_refused(place):
    c, _, _ = place
    with pytest.raises(Refused):
        request_residency(factories.user(), factories.units_of(c)[0], "landlord")


def test_secretary_of_another_community_cannot_decide(place):
    c, other, _ = place
    outsider = factories.user("外社区秘书")
    factories.grant(outsider, other, Role.SECRETARY)
    residency = request_residency(factories.user(), factories.units_of(c)[0], "owner")
    with pytest.raises(Refused, match="secretary or administrator of this community"):
        decide(outsider, residency, verify=True)
    assert residency.status == "pending"


# --- pages --------------------------------------------------------------------------------

def test_request_flow_through_the_pages(client, login, place):
    c, _, _ = place
    user = factories.user("王小明")
    db.session.commit()
    login(user)
    building = c.grids[0].buildings[1]
    page = client.get(f"/me/residency?community={c.id}&building={building.id}")
    html = page.get_data(as_text=True)
    assert building.units[0].number in html
    response = client.post(f"/me/residency?community={c.id}&building={building.id}",
                           data={"unit": building.units[2].id, "relation": "tenant",
                                 "note": "2019年起租住"})
    assert response.status_code == 302
    residency = db.session.scalar(select(Residency))
    assert residency.unit_id == building.units[2].id and residency.note == "2019年起租住"
    assert "Waiting for the office" in client.get("/me/residency").get_data(as_text=True)


def test_request_form_refuses_missing_relation_and_keeps_note(client, login, place):
    c, _, _ = place
    login(factories.user("王小明"))
    building = c.grids[0].buildings[0]
    response = client.post(f"/me/residency?community={c.id}&building={building.id}",
                           data={"unit": building.units[0].id, "note": "我的备注"})
    html = response.get_data(as_text=True)
    assert "Choose how you live there" in html
    assert "我的备注" in html
    assert db.session.scalar(select(func.count(Residency.id))) == 0


def test_request_cannot_name_a_unit_of_another_building(client, login, place):
    c, other, _ = place
    login(factories.user("王小明"))
    building = c.grids[0].buildings[0]
    foreign_unit = factories.units_of(other)[0]
    response = client.post(f"/me/residency?community={c.id}&building={building.id}",
                           data={"unit": foreign_unit.id, "relation": "owner"})
    assert 'id="unit-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Residency.id))) == 0


def test_residency_page_needs_login(client):
    assert client.get("/me/residency").status_code == 302


def _pending(c, relation="tenant"):
    user = factories.user("申请人", phone="13800138000")
    r = Residency(user_id=user.id, unit_id=factories.units_of(c)[0].id, relation=relation,
                  status=ResidencyStatus.PENDING.value, note="请核实")
    db.session.add(r)
    db.session.commit()
    return r


def test_secretary_sees_queue_with_masked_phone_and_verifies(client, login, place):
    c, _, secretary = place
    r = _pending(c)
    login(secretary)
    html = client.get("/verifications").get_data(as_text=True)
    assert "申请人" in html and "138****8000" in html and "13800138000" not in html
    response = client.post(f"/verifications/{r.id}", data={"decision": "verify"})
    assert response.status_code == 302
    db.session.refresh(r)
    assert r.status == "verified" and r.decided_by_id == secretary.id


def test_refusing_without_reason_is_explained_and_changes_nothing(client, login, place):
    c, _, secretary = place
    r = _pending(c)
    login(secretary)
    response = client.post(f"/verifications/{r.id}", data={"decision": "refuse", "reason": ""},
                           follow_redirects=True)
    assert "Say why the request is refused" in response.get_data(as_text=True)
    db.session.refresh(r)
    assert r.status == "pending"


@pytest.mark.parametrize("who", ["resident", "plain", "other_secretary", "representative"])
def test_others_cannot_see_queue_or_decide(client, login, place, who):
    c, other, _ = place
    r = _pending(c)
    if who == "resident":
        user = factories.resident(c, "居民")
    elif who == "plain":
        user = factories.user("路人")
    elif who == "other_secretary":
        user = factories.user("外社区秘书")
        factories.grant(user, other, Role.SECRETARY)
    else:
        user = factories.user("代表")
        factories.grant(user, c, Role.REPRESENTATIVE)
    db.session.commit()
    login(user)
    if who == "other_secretary":
        # They have a queue of their own community, without this request in it.
        assert "申请人" not in client.get("/verifications").get_data(as_text=True)
    else:
        assert client.get("/verifications").status_code == 403
    assert client.post(f"/verifications/{r.id}", data={"decision": "verify"}).status_code == 403
    db.session.refresh(r)
    assert r.status == "pending"


def test_anonymous_is_sent_to_login(client, place):
    c, _, _ = place
    r = _pending(c)
    assert client.get("/verifications").status_code == 302
    assert client.post(f"/verifications/{r.id}", data={"decision": "verify"}).status_code == 302


def test_queue_runs_a_fixed_number_of_queries(client, login, place, count_queries):
    c, _, secretary = place
    login(secretary)

    def queries_with(n):
        for i in range(n):
            u = factories.user(f"申请人{i}")
            db.session.add(Residency(user_id=u.id, unit_id=factories.units_of(c)[i % 12].id,
                                     relation="owner", status="pending"))
        db.session.commit()
        with count_queries() as counter:
            assert client.get("/verifications").status_code == 200
        return counter.count

    assert queries_with(2) == queries_with(30)


@pytest.mark.parametrize("role", [Role.SECRETARY, Role.ADMIN])
def test_nobody_verifies_their_own_residency(client, login, place, role):
    """A secretary who verified their own home became an elector of residents' and households'
    votes on their own say. Their request waits for a second official or an admin."""
    c, _, secretary = place
    official = secretary if role == Role.SECRETARY else factories.user("管理员")
    if role == Role.ADMIN:
        factories.grant(official, c, Role.ADMIN)
    own = request_residency(official, factories.units_of(c)[0], "owner")
    db.session.commit()
    with pytest.raises(Refused, match="Nobody decides their own request") as refused:
        decide(official, own, verify=True)
    assert refused.value.kind == "forbidden"
    login(official)
    page = client.get("/verifications").get_data(as_text=True)
    assert "This is your own request" in page
    assert f'action="/verifications/{own.id}"' not in page
    response = client.post(f"/verifications/{own.id}", data={"decision": "verify"})
    assert response.status_code == 403
    db.session.refresh(own)
    assert own.status == "pending" and not may(official, "resident.act", c)
    # A second official decides it.
    other = factories.user("第二位书记")
    factories.grant(other, c, Role.SECRETARY)
    decide(other, own, verify=True, reason="房产证原件已当面核对无误")
    assert own.status == "verified" and own.decided_by_id == other.id
