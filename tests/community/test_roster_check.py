"""Residency claims checked against the roster (业主名册): owner claims the roster bears out are
verified at once; the queue shows each home's roster owners and flags owner claims it does not
bear out; verifying such a claim needs a written reason."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from consult import clock
from consult.accounts.models import Role
from consult.audit.models import AuditEntry
from consult.community.models import Residency, ResidencyStatus
from consult.community.residency import decide, request_residency
from consult.extensions import db
from consult.permissions import may
from consult.refusals import Refused
from tests import factories

pytestmark = pytest.mark.usefixtures("english")

NOW = datetime(2026, 5, 4, 9, 30)
REASON = "房产证原件已在办公室当面核对，买卖合同日期晚于名册"


@pytest.fixture
def place(app):
    """Community A with a roster owner 王业主 of its first home, a secretary, and B."""
    c = factories.community("幸福社区", grids=1, buildings=2, units=3)
    other = factories.community("隔壁社区")
    secretary = factories.office_holder(c, Role.SECRETARY, "钱秘书")
    owner = factories.user("王业主", phone="13900000001", email="wang.owner@example.org",
                           password=None)  # imported from the roster, not yet activated
    home = factories.units_of(c)[0]
    factories.owner(owner, home)
    db.session.commit()
    return c, other, secretary, owner, home


def _actions():
    return db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()


def _post_claim(client, c, home, relation):
    building = home.building
    return client.post(f"/me/residency?community={c.id}&building={building.id}",
                       data={"unit": home.id, "relation": relation})


# --- auto-verification ----------------------------------------------------------------------

def test_the_roster_owner_is_verified_at_once_and_may_act(client, login, place):
    c, _, _, owner, home = place
    # activated meanwhile, agreeing to the privacy notice as activating asks
    owner.password_hash = factories.hash_password(factories.PASSWORD)
    owner.privacy_version = factories.consent()["privacy_version"]
    db.session.commit()
    login(owner)
    with clock.frozen(NOW):
        response = _post_claim(client, c, home, "owner")
    assert response.status_code == 302
    residency = db.session.scalar(select(Residency))
    assert residency.status == "verified"
    assert residency.decided_at == NOW and residency.decided_by_id is None
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert _actions() == ["residency.request", "residency.auto_verify"]
    assert entry.actor_id is None and entry.details["reason"] == "matches the roster"
    assert entry.community_id == c.id and entry.object_id == residency.id
    assert may(owner, "resident.act", c)
    page = client.get("/me/residency").get_data(as_text=True)
    assert "Verified: you are the owner on the roster" in page
    assert "You are verified: the roster lists you as an owner of this home." in page
    assert "Waiting for the office" not in page


def test_same_phone_or_email_counts_as_the_roster_owner(place):
    """The roster's owner and the claimant are two accounts, alike in phone or e-mail."""
    c, _, _, owner, home = place
    owner.email = "Wang.Owner@Example.org"  # written in capitals on the roster
    by_email = factories.user("王业主", email="wang.owner@example.org")
    assert request_residency(by_email, home, "owner").status == "verified"
    owner.phone = "+86 139-0000-0001"
    by_phone = factories.user("王业主", phone="13900000001")
    assert request_residency(by_phone, home, "owner").status == "verified"
    assert may(by_phone, "resident.act", c) and may(by_email, "resident.act", c)


def test_asking_again_after_a_refusal_is_verified_by_the_roster(place):
    c, _, secretary, owner, home = place
    claim = Residency(user_id=owner.id, unit_id=home.id, relation="owner",
                      status=ResidencyStatus.PENDING.value)
    db.session.add(claim)
    db.session.flush()
    decide(secretary, claim, verify=False, reason="请携带房产证")
    again = request_residency(owner, home, "owner")
    assert again.id == claim.id and again.status == "verified" and again.decided_by_id is None


@pytest.mark.parametrize("relation", ["tenant", "family"])
def test_the_roster_owner_claiming_as_tenant_or_family_waits(place, relation):
    c, _, _, owner, home = place
    assert request_residency(owner, home, relation).status == "pending"
    assert not may(owner, "resident.act", c)


def test_someone_not_on_the_roster_waits(place):
    c, _, _, _, home = place
    stranger = factories.user("赵某", phone="13800138000")
    assert request_residency(stranger, home, "owner").status == "pending"
    unsold = factories.units_of(c)[1]
    assert request_residency(stranger, unsold, "owner").status == "pending"
    assert _actions() == ["residency.request", "residency.request"]
    assert not may(stranger, "resident.act", c)


def test_an_owner_of_another_home_is_not_the_owner_of_this_one(place):
    c, _, _, owner, _ = place
    neighbour_home = factories.units_of(c)[1]
    assert request_residency(owner, neighbour_home, "owner").status == "pending"


# --- the queue ------------------------------------------------------------------------------

def _claim(c, who, home, relation="owner"):
    r = Residency(user_id=who.id, unit_id=home.id, relation=relation,
                  status=ResidencyStatus.PENDING.value)
    db.session.add(r)
    db.session.commit()
    return r


def _card(html: str, residency_id: int) -> str:
    """The queue's card of one claim, from its ``<li`` to the next card or the end."""
    start = html.rindex("<li", 0, html.index(f'id="claim-{residency_id}"'))
    end = html.find('<li class="card', start + 1)
    return html[start:end if end != -1 else len(html)]


def test_queue_flags_an_owner_claim_by_someone_not_on_the_roster(client, login, place):
    c, _, secretary, owner, home = place
    stranger = factories.user("赵某", phone="13800138000")
    r = _claim(c, stranger, home)
    login(secretary)
    card = _card(client.get("/verifications").get_data(as_text=True), r.id)
    assert "赵某" in card and "王业主" in card
    assert "139****0001" in card and "w***@example.org" in card
    assert "13900000001" not in card and "wang.owner@example.org" not in card
    assert "Mismatch" in card and "is not an owner of this home on the roster" in card
    assert "roster-mismatch" in card


def test_queue_says_when_nobody_owns_the_home(client, login, place):
    c, _, secretary, _, _ = place
    r = _claim(c, factories.user("赵某"), factories.units_of(c)[1])
    login(secretary)
    card = _card(client.get("/verifications").get_data(as_text=True), r.id)
    assert "No owner on the roster (unsold / developer)." in card
    assert "Mismatch" in card and "Nobody owns this home on the roster" in card


@pytest.mark.parametrize("relation", ["tenant", "family"])
def test_queue_shows_the_roster_beside_tenant_claims_without_flag(client, login, place,
                                                                  relation):
    c, _, secretary, _, home = place
    r = _claim(c, factories.user("租客"), home, relation)
    unsold = _claim(c, factories.user("另一租客"), factories.units_of(c)[1], relation)
    login(secretary)
    html = client.get("/verifications").get_data(as_text=True)
    card = _card(html, r.id)
    assert "王业主" in card and "139****0001" in card
    assert "Mismatch" not in card and "roster-mismatch" not in card
    card = _card(html, unsold.id)
    assert "No owner on the roster (unsold / developer)." in card and "Mismatch" not in card
    # And it is verified without a reason.
    assert client.post(f"/verifications/{r.id}", data={"decision": "verify"}).status_code == 302
    db.session.refresh(r)
    assert r.status == "verified" and r.decided_by_id == secretary.id


def test_queue_shows_a_match_when_the_roster_came_after_the_claim(client, login, place):
    """A claim that waited from before the roster was imported: shown as matching, verified
    without a reason."""
    c, _, secretary, owner, home = place
    r = _claim(c, owner, home)
    login(secretary)
    card = _card(client.get("/verifications").get_data(as_text=True), r.id)
    assert "Matches the roster" in card and "Mismatch" not in card
    assert client.post(f"/verifications/{r.id}", data={"decision": "verify"}).status_code == 302
    db.session.refresh(r)
    assert r.status == "verified"


def test_queue_runs_a_fixed_number_of_queries(client, login, place, count_queries):
    c, _, secretary, _, _ = place
    homes = factories.units_of(c)
    for i, home in enumerate(homes[1:]):  # more roster owners, some homes with two
        factories.owner(factories.user(f"业主{i}", phone=f"1370000{i:04d}"), home)
        if i % 2:
            factories.owner(factories.user(f"共有人{i}", email=f"co{i}@example.org"), home)
    login(secretary)
    made = 0

    def queries_with(n):
        nonlocal made
        for i in range(made, n):
            u = factories.user(f"申请人{i}", phone=f"1360000{i:04d}")
            db.session.add(Residency(user_id=u.id, unit_id=homes[i % len(homes)].id,
                                     relation=["owner", "tenant", "family"][i % 3],
                                     status="pending"))
        made = n
        db.session.commit()
        with count_queries() as counter:
            response = client.get("/verifications")
        assert response.status_code == 200
        assert response.get_data(as_text=True).count('class="card') == n
        return counter.count

    assert queries_with(3) == queries_with(30)


# --- deciding a mismatch ----------------------------------------------------------------------

@pytest.mark.parametrize("reason", ["", "   ", "看过证件"])
def test_verifying_a_mismatch_without_a_reason_is_refused(client, login, place, reason):
    c, _, secretary, _, home = place
    r = _claim(c, factories.user("赵某"), home)
    before = _actions()
    login(secretary)
    response = client.post(f"/verifications/{r.id}",
                           data={"decision": "verify", "reason": reason})
    assert response.status_code == 422
    card = _card(response.get_data(as_text=True), r.id)
    error = card[card.index(f'id="reason-{r.id}-error"'):]
    assert "The roster does not list this person as an owner of this home" in error
    assert f'aria-describedby="reason-{r.id}-error"' in card
    if reason.strip():
        assert f">{reason}</textarea>" in card  # what was typed stays
    db.session.expire_all()
    assert db.session.get(Residency, r.id).status == "pending"
    assert _actions() == before


def test_verifying_a_mismatch_with_a_reason_keeps_it_in_the_audit_log(client, login, place):
    c, _, secretary, _, home = place
    stranger = factories.user("赵某")
    r = _claim(c, stranger, home)
    login(secretary)
    response = client.post(f"/verifications/{r.id}",
                           data={"decision": "verify", "reason": f"  {REASON}  "})
    assert response.status_code == 302
    db.session.expire_all()
    r = db.session.get(Residency, r.id)
    assert r.status == "verified" and r.decided_by_id == secretary.id
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "residency.verify" and entry.actor_id == secretary.id
    assert entry.details["reason"] == REASON and entry.details["against_roster"] is True
    assert may(stranger, "resident.act", c)


def test_verifying_an_owner_of_an_unsold_home_needs_a_reason(place):
    c, _, secretary, _, _ = place
    r = request_residency(factories.user("赵某"), factories.units_of(c)[1], "owner")
    with pytest.raises(Refused, match="at least 10 characters") as refused:
        decide(secretary, r, verify=True, reason="开发商")
    assert refused.value.field == "reason"
    assert r.status == "pending"
    decide(secretary, r, verify=True, reason="开发商出具的购房证明已核对")
    assert r.status == "verified"


def test_refusing_a_mismatch_works_as_before(client, login, place):
    c, _, secretary, _, home = place
    r = _claim(c, factories.user("赵某"), home)
    login(secretary)
    response = client.post(f"/verifications/{r.id}",
                           data={"decision": "refuse", "reason": "非业主"})
    assert response.status_code == 302
    db.session.refresh(r)
    assert r.status == "refused" and r.refusal_reason == "非业主"


def test_a_reason_too_long_is_refused_next_to_the_field(client, login, place):
    c, _, secretary, _, home = place
    r = _claim(c, factories.user("赵某"), home)
    login(secretary)
    response = client.post(f"/verifications/{r.id}",
                           data={"decision": "verify", "reason": "长" * 501})
    assert response.status_code == 422
    assert f'id="reason-{r.id}-error"' in response.get_data(as_text=True)
    db.session.refresh(r)
    assert r.status == "pending"


@pytest.mark.parametrize("who", ["resident", "representative", "other_secretary", "visitor",
                                 "claimant"])
def test_others_cannot_decide_a_mismatch(client, login, place, who):
    c, other, _, _, home = place
    claimant = factories.user("赵某")
    r = _claim(c, claimant, home)
    user = {
        "resident": lambda: factories.resident(c, "居民", unit=factories.units_of(c)[2]),
        "representative": lambda: factories.office_holder(c, Role.REPRESENTATIVE, "代表"),
        "other_secretary": lambda: factories.office_holder(other, Role.SECRETARY, "外社区秘书"),
        "visitor": lambda: None,
        "claimant": lambda: claimant,
    }[who]()
    db.session.commit()
    if user is not None:
        login(user)
    before = _actions()
    response = client.post(f"/verifications/{r.id}",
                           data={"decision": "verify", "reason": REASON})
    assert response.status_code == (302 if who == "visitor" else 403)
    if who == "visitor":
        assert "/login" in response.headers["Location"]
    db.session.expire_all()
    assert db.session.get(Residency, r.id).status == "pending"
    assert _actions() == before
    assert db.session.scalar(select(func.count(AuditEntry.id))) == len(before)


def test_an_official_on_the_roster_of_their_own_home_is_verified_by_the_roster(place):
    """The rule that nobody decides their own request stays: the roster decides here, not the
    official; an official not on the roster still waits for someone else."""
    c, _, secretary, _, home = place
    factories.owner(secretary, factories.units_of(c)[2])
    assert request_residency(secretary, factories.units_of(c)[2], "owner").status == "verified"
    elsewhere = request_residency(secretary, factories.units_of(c)[1], "owner")
    assert elsewhere.status == "pending"
    with pytest.raises(Refused, match="Nobody decides their own request"):
        decide(secretary, elsewhere, verify=True, reason=REASON)
    assert elsewhere.status == "pending"


# --- the queue's history ----------------------------------------------------------------------

def _history(html: str) -> str:
    return html[html.index('id="history"'):]


def test_the_history_shows_the_reason_for_verifying_against_the_roster(client, login, place):
    c, other, secretary, owner, home = place
    stranger = factories.user("赵某")
    r = _claim(c, stranger, home)
    refused = _claim(c, factories.user("钱某"), factories.units_of(c)[1])
    request_residency(owner, home, "owner")  # verified by the roster
    tenant = _claim(c, factories.user("租客孙"), factories.units_of(c)[2], "tenant")
    elsewhere = _claim(other, factories.user("外社区的人"), factories.units_of(other)[0])
    decide(factories.office_holder(other, Role.SECRETARY, "外社区秘书"), elsewhere,
           verify=True, reason="外社区核对过的证件材料")
    db.session.commit()
    login(secretary)
    assert client.post(f"/verifications/{r.id}",
                       data={"decision": "verify", "reason": REASON}).status_code == 302
    client.post(f"/verifications/{refused.id}", data={"decision": "refuse", "reason": "非业主"})
    client.post(f"/verifications/{tenant.id}", data={"decision": "verify"})
    history = _history(client.get("/verifications").get_data(as_text=True))
    assert "赵某" in history and REASON in history and "Against the roster" in history
    assert "by 钱秘书" in history
    assert "钱某" in history and "非业主" in history
    assert "王业主" in history and "Verified by the roster" in history
    assert "租客孙" in history
    assert history.count("Against the roster") == 1  # only the mismatch
    assert "外社区的人" not in history and "外社区核对过的证件材料" not in history


def test_the_history_runs_a_fixed_number_of_queries(client, login, place, count_queries):
    c, _, secretary, _, _ = place
    homes = factories.units_of(c)
    official = factories.office_holder(c, Role.ADMIN, "管理员")
    login(secretary)
    made = 0

    def queries_with(n):
        nonlocal made
        for i in range(made, n):
            # Owner claims on homes nobody owns on the roster: every decision has a reason.
            r = _claim(c, factories.user(f"申请人{i}"), homes[1 + i % (len(homes) - 1)])
            decide(official, r, verify=bool(i % 3), reason=f"第{i}号：证件材料已当面核对")
        made = n
        db.session.commit()
        with count_queries() as counter:
            response = client.get("/verifications")
        assert response.status_code == 200
        assert response.get_data(as_text=True).count("证件材料已当面核对") == min(n, 20)
        return counter.count

    assert queries_with(3) == queries_with(30)
