"""Proxies (委托投票): an owner authorises someone to vote for their home, online (the proxy
accepts) or on paper (a secretary records the signed form); the limit per proxy, nobody their
own proxy, revoking until the proxy voted, the owner's own ballot winning, over HTTP and the API."""
from __future__ import annotations

import io
import os
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult import clock
from consult.accounts.models import Role
from consult.api.tokens import create_token
from consult.audit.models import AuditEntry
from consult.extensions import db
from consult.notifications.models import Notification
from consult.refusals import Refused
from consult.votes import proxies, service
from consult.votes.models import Ballot, VoteProxy
from tests import factories
from tests.votes.test_votes import T0, estate, minutes_resolved, open_  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("english")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PROXY_PHONE = "13800000001"


@pytest.fixture(autouse=True)
def during_the_vote():
    clock.set_frozen(T0 + timedelta(hours=1))
    yield
    clock.set_frozen(None)


@pytest.fixture
def world(estate):
    """The estate's open owners' vote; owners have phones; 代理 (an account) and 代理二 may be
    named proxies."""
    c, topic, people = estate
    for i, name in enumerate(["王", "李", "张", "钱", "孙", "tenant"]):
        people[name].phone = f"1390000000{i}"
    people["代理"] = factories.user("代理", phone=PROXY_PHONE)
    people["代理二"] = factories.user("代理二", phone="13800000002")
    db.session.commit()
    vote = open_(estate)
    return vote, people


def elector(vote, who):
    return service.electors_of(who, vote)[0]


def grant(vote, people, owner="王", phone=PROXY_PHONE, name="代理"):
    proxy, replaced, known = proxies.grant(people[owner], vote, elector(vote, people[owner]),
                                           name, phone)
    db.session.commit()
    return proxy


def kinds_of(user) -> list[str]:
    return list(db.session.scalars(select(Notification.kind)
                                   .where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def counted(vote):
    return db.session.scalars(select(Ballot).where(Ballot.vote_id == vote.id,
                                                   Ballot.counted.is_(True))).all()


# --- the rules --------------------------------------------------------------------------------

def test_the_limit_refuses_one_more_than_allowed():
    proxies.check_limit(2, 3)
    with pytest.raises(Refused) as refused:
        proxies.check_limit(3, 3)
    assert refused.value.kind == "conflict" and "already the proxy of 3 homes" in \
        refused.value.message


def test_nobody_is_their_own_proxy_nor_a_co_owner_of_the_same_homes():
    proxies.check_not_self("13800000001", {"13900000001": "李"}, "13900000002")
    with pytest.raises(Refused, match="your own proxy"):
        proxies.check_not_self("13900000002", {}, "13900000002")
    with pytest.raises(Refused, match="李 may already vote for these homes"):
        proxies.check_not_self("13900000001", {"13900000001": "李"}, "13900000002")


def test_scans_are_known_by_their_content():
    assert proxies.scan_kind(PNG) == ("png", "image/png")
    assert proxies.scan_kind(b"\xff\xd8\xff\xe0rest") == ("jpg", "image/jpeg")
    assert proxies.scan_kind(b"%PDF-1.7 ...") == ("pdf", "application/pdf")
    assert proxies.scan_kind(b"<html>not a scan</html>") is None


# --- the service ------------------------------------------------------------------------------

def test_online_authorisation_waits_for_the_proxy_to_accept(world):
    vote, people = world
    proxy = grant(vote, people)
    assert proxy.live and not proxy.active
    assert kinds_of(people["代理"]) == ["vote.proxy_asked"]
    with pytest.raises(Refused, match="Accept the authorisation first"):
        proxies.cast(people["代理"], proxy, "agree")
    db.session.rollback()
    with pytest.raises(Refused) as refused:  # someone else cannot accept it
        proxies.accept(people["代理二"], proxy)
    assert refused.value.forbidding
    db.session.rollback()
    proxies.accept(people["代理"], proxy)
    ballot = proxies.cast(people["代理"], proxy, "oppose")
    db.session.commit()
    assert (ballot.channel, ballot.proxy_id, ballot.cast_by_id, ballot.counted) == \
        ("proxy", proxy.id, people["代理"].id, True)
    assert "vote.proxy_accepted" in kinds_of(people["王"])
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"vote.proxy_create", "vote.proxy_accept", "vote.proxy_cast"} <= actions


def test_at_most_three_live_authorisations_per_proxy(world):
    vote, people = world
    for owner in ("王", "李", "钱"):
        grant(vote, people, owner)
    with pytest.raises(Refused) as refused:
        grant(vote, people, "孙", phone="+86 138-0000-0001")  # the same number, written otherwise
    assert "already the proxy of 3 homes" in refused.value.message
    db.session.rollback()
    assert db.session.scalar(select(func.count(VoteProxy.id))) == 3
    first = db.session.scalar(select(VoteProxy).order_by(VoteProxy.id))
    proxies.revoke(people["王"], first)
    db.session.commit()
    grant(vote, people, "孙")  # one withdrawn: room for another


def test_the_limit_is_a_setting(world, app):
    vote, people = world
    app.config["PROXY_LIMIT"] = 1
    grant(vote, people, "王")
    with pytest.raises(Refused, match="already the proxy of 1 homes"):
        grant(vote, people, "李")


def test_no_self_proxy_and_no_co_owner_as_proxy(world):
    vote, people = world
    with pytest.raises(Refused, match="your own proxy"):
        grant(vote, people, "王", phone=people["王"].phone)
    db.session.rollback()
    with pytest.raises(Refused, match="张 may already vote"):
        grant(vote, people, "李", phone=people["张"].phone)


def test_a_new_authorisation_replaces_the_old_one(world):
    vote, people = world
    old = grant(vote, people)
    proxies.accept(people["代理"], old)
    db.session.commit()
    new = grant(vote, people, phone="13800000002", name="代理二")
    db.session.refresh(old)
    assert old.revoked_reason == "replaced" and new.live
    assert kinds_of(people["代理"])[-1] == "vote.proxy_revoked"
    with pytest.raises(Refused, match="withdrawn"):
        proxies.cast(people["代理"], old, "agree")


def test_revoking_until_the_proxy_voted(world):
    vote, people = world
    proxy = grant(vote, people)
    proxies.accept(people["代理"], proxy)
    proxies.cast(people["代理"], proxy, "agree")
    db.session.commit()
    with pytest.raises(Refused, match="has already voted for these homes"):
        proxies.revoke(people["王"], proxy)
    db.session.rollback()
    with pytest.raises(Refused, match="has already voted"):  # nor replaced by a new one
        grant(vote, people, phone="13800000002")


def test_only_an_owner_of_the_homes_grants_or_revokes(world):
    vote, people = world
    with pytest.raises(Refused) as refused:
        proxies.grant(people["tenant"], vote, elector(vote, people["王"]), "代理", PROXY_PHONE)
    assert refused.value.forbidding
    db.session.rollback()
    proxy = grant(vote, people)
    for who in ("钱", "tenant", "secretary", "代理"):  # another home's owner, a tenant...
        with pytest.raises(Refused) as refused:
            proxies.revoke(people[who], proxy)
        assert refused.value.forbidding, who
        db.session.rollback()


def test_the_owners_own_ballot_replaces_the_proxys_and_ends_its_power(world):
    vote, people = world
    proxy = grant(vote, people)
    proxies.accept(people["代理"], proxy)
    proxies.cast(people["代理"], proxy, "agree")
    db.session.commit()
    with pytest.raises(Refused) as refused:  # asked to confirm first
        service.cast(people["王"], vote, "oppose")
    assert refused.value.code == "replaces_other" and refused.value.kind == "conflict"
    db.session.rollback()
    service.cast(people["王"], vote, "oppose", replace_other=True)
    db.session.commit()
    [ballot] = counted(vote)
    assert (ballot.cast_by_id, ballot.channel, ballot.option) == (people["王"].id, "online",
                                                                  "oppose")
    assert kinds_of(people["代理"])[-1] == "vote.proxy_ballot_replaced"
    with pytest.raises(Refused, match="has voted themself"):
        proxies.cast(people["代理"], proxy, "agree")


def test_no_authorisation_once_the_vote_closed(world):
    vote, people = world
    with clock.frozen(vote.closes_at), pytest.raises(Refused, match="Voting has closed"):
        grant(vote, people)


def test_an_announced_vote_takes_authorisations_but_no_proxy_ballot(world):
    vote, people = world
    vote.opens_at = T0 + timedelta(days=1)
    db.session.commit()
    proxy = grant(vote, people)
    proxies.accept(people["代理"], proxy)
    with pytest.raises(Refused, match="not opened yet"):
        proxies.cast(people["代理"], proxy, "agree")


def test_paper_authorisation_is_active_at_once(world):
    vote, people = world
    proxy, replaced = proxies.record_paper(people["secretary"], vote, elector(vote, people["王"]),
                                           "代理", PROXY_PHONE, "委托书 No. 7", PNG)
    db.session.commit()
    assert proxy.active and proxy.channel == "paper" and replaced is None
    assert kinds_of(people["代理"]) == ["vote.proxy_recorded"]
    assert os.path.isfile(os.path.join(proxies.scan_dir(), proxy.scan_path))
    assert proxies.cast(people["代理"], proxy, "agree").channel == "proxy"


@pytest.mark.parametrize("changes, field, words", [
    ({"reference": " "}, "reference", "reference of the signed authorisation"),
    ({"scan": b"GIF89a..."}, "scan", "JPEG or PNG image or a PDF"),
    ({"phone": "12345"}, "phone", "phone number"),
    ({"name": ""}, "name", "name"),
])
def test_paper_authorisation_refusals(world, changes, field, words):
    vote, people = world
    args = {"name": "代理", "phone": PROXY_PHONE, "reference": "No. 7", "scan": PNG, **changes}
    with pytest.raises(Refused) as refused:
        proxies.record_paper(people["secretary"], vote, elector(vote, people["王"]),
                             args["name"], args["phone"], args["reference"], args["scan"])
    assert refused.value.field == field and words in refused.value.message


def test_paper_scans_are_size_limited(world, app):
    vote, people = world
    app.config["PROXY_SCAN_MAX_BYTES"] = 32
    with pytest.raises(Refused, match="at most"):
        proxies.record_paper(people["secretary"], vote, elector(vote, people["王"]), "代理",
                             PROXY_PHONE, "No. 7", PNG)


def test_only_this_communitys_secretaries_record_paper_ones(world):
    vote, people = world
    other = factories.office_holder(factories.community("别处"), Role.SECRETARY, "外秘书")
    db.session.commit()
    for who in (other, people["王"], people["代理"]):
        with pytest.raises(Refused) as refused:
            proxies.record_paper(who, vote, elector(vote, people["王"]), "代理", PROXY_PHONE,
                                 "No. 7")
        assert refused.value.forbidding
        db.session.rollback()


# --- over HTTP --------------------------------------------------------------------------------


def test_the_proxy_accepts_the_authorisation_in_chinese_not_admits_it(world, client, login):
    """'Accept' is the proxy taking on the authorisation (接受委托), not the office admitting a
    topic for handling (受理)."""
    vote, people = world
    proxy = grant(vote, people)
    login(people["代理"])
    client.set_cookie("lang", "zh_Hans")
    page = client.get(f"/votes/{vote.id}").get_data(as_text=True)
    button = page.split(f'id="accept-{proxy.id}"', 1)[1].split("</button>", 1)[0]
    assert button == ">接受委托"

def test_owner_authorises_the_proxy_accepts_and_votes_on_the_page(world, client, login):
    vote, people = world
    login(people["王"])
    page = client.get(f"/votes/{vote.id}").get_data(as_text=True)
    assert 'id="grant-form"' in page
    response = client.post(f"/votes/{vote.id}/proxies",
                           data={"name": "代理", "phone": PROXY_PHONE}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "代理 has an account" in html and "has not accepted yet" in html
    proxy = VoteProxy.query.one()

    login(people["代理"])
    to_do = client.get("/").get_data(as_text=True).split('id="to-do"')[1].split("</section>")[0]
    assert f'href="/votes/{vote.id}"' in to_do  # the home page's to-do
    page = client.get(f"/votes/{vote.id}").get_data(as_text=True)
    assert "王 asks you to vote for" in page and f'id="accept-{proxy.id}"' in page
    # before accepting, a ballot is refused and nothing is stored
    client.post(f"/votes/{vote.id}/proxies/{proxy.id}/ballot", data={"option": "agree"})
    assert Ballot.query.count() == 0
    client.post(f"/votes/{vote.id}/proxies/{proxy.id}/accept")
    html = client.get(f"/votes/{vote.id}").get_data(as_text=True)
    assert "Voting for" in html and f'id="proxy-ballot-{proxy.id}"' in html
    assert 'id="ballot-form"' not in html  # their own ballot: they are not an elector
    response = client.post(f"/votes/{vote.id}/proxies/{proxy.id}/ballot",
                           data={"option": "agree"}, follow_redirects=True)
    assert "You voted “Agree” for them" in response.get_data(as_text=True)
    assert Ballot.query.one().proxy_id == proxy.id

    login(people["王"])
    html = client.get(f"/votes/{vote.id}").get_data(as_text=True)
    assert "Your home's ballot was cast by your proxy 代理 at" in html
    assert "You voted" not in html and "can no longer be withdrawn" in html
    # revoking now is refused with the reason
    response = client.post(f"/votes/{vote.id}/proxies/{proxy.id}/revoke", follow_redirects=True)
    assert "has already voted for these homes" in response.get_data(as_text=True)
    assert VoteProxy.query.one().revoked_at is None


def test_a_proxy_without_an_account_is_not_told_and_the_owner_is_told_so(world, client, login):
    vote, people = world
    login(people["王"])
    response = client.post(f"/votes/{vote.id}/proxies",
                           data={"name": "老邻居", "phone": "13700000077"},
                           follow_redirects=True)
    assert "No account uses this phone number" in response.get_data(as_text=True)
    assert Notification.query.filter_by(kind="vote.proxy_asked").count() == 0


def test_bad_authorisation_form_keeps_what_was_typed(world, client, login):
    vote, people = world
    login(people["王"])
    response = client.post(f"/votes/{vote.id}/proxies", data={"name": "代理人张三",
                                                              "phone": "12"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Give the proxy&#39;s phone number" in html
    assert 'value="代理人张三"' in html and VoteProxy.query.count() == 0


def test_the_fourth_authorisation_is_refused_on_the_page(world, client, login):
    vote, people = world
    for owner in ("王", "李", "钱"):
        grant(vote, people, owner)
    login(people["孙"])
    response = client.post(f"/votes/{vote.id}/proxies", data={"name": "代理",
                                                              "phone": PROXY_PHONE})
    assert response.status_code == 422
    assert "already the proxy of 3 homes" in response.get_data(as_text=True)
    assert VoteProxy.query.count() == 3


@pytest.mark.parametrize("who", ["tenant", "secretary", "代理"])
def test_non_electors_cannot_authorise(world, client, login, who):
    vote, people = world
    login(people[who])
    response = client.post(f"/votes/{vote.id}/proxies", data={"name": "某人",
                                                              "phone": "13700000077"})
    assert response.status_code == 403 and VoteProxy.query.count() == 0


def test_visitors_are_sent_to_log_in(world, client):
    vote, people = world
    proxy = grant(vote, people)
    for url in (f"/votes/{vote.id}/proxies", f"/votes/{vote.id}/proxies/{proxy.id}/accept",
                f"/votes/{vote.id}/proxies/{proxy.id}/revoke",
                f"/votes/{vote.id}/proxies/{proxy.id}/ballot"):
        response = client.post(url, data={"name": "x", "phone": PROXY_PHONE, "option": "agree"})
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get(f"/votes/{vote.id}/proxies/paper").status_code == 302
    assert VoteProxy.query.one().accepted_at is None


def test_owner_revokes_on_the_page_and_a_resident_of_another_home_cannot(world, client, login):
    vote, people = world
    proxy = grant(vote, people)
    login(people["钱"])
    assert client.post(f"/votes/{vote.id}/proxies/{proxy.id}/revoke").status_code == 403
    login(people["王"])
    client.post(f"/votes/{vote.id}/proxies/{proxy.id}/revoke")
    assert VoteProxy.query.one().revoked_reason == "revoked"
    assert "vote.proxy_revoke" in set(db.session.scalars(select(AuditEntry.action)))


def test_secretary_records_a_paper_authorisation_with_a_scan(world, client, login):
    vote, people = world
    login(people["secretary"])
    page = client.get(f"/votes/{vote.id}").get_data(as_text=True)
    assert 'id="paper-proxies-link"' in page
    assert client.get(f"/votes/{vote.id}/proxies/paper").status_code == 200
    target = elector(vote, people["王"])
    response = client.post(f"/votes/{vote.id}/proxies/paper", data={
        "elector": str(target.id), "name": "代理", "phone": PROXY_PHONE,
        "reference": "委托书 No. 7", "scan": (io.BytesIO(PNG), "form.png")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    proxy = VoteProxy.query.one()
    assert proxy.active and proxy.scan_type == "image/png"
    scan = client.get(f"/votes/{vote.id}/proxies/{proxy.id}/scan")
    assert scan.status_code == 200 and scan.data == PNG
    assert "no-store" in scan.headers["Cache-Control"]
    login(people["王"])  # the owner, and the proxy, do not see scans
    assert client.get(f"/votes/{vote.id}/proxies/{proxy.id}/scan").status_code == 403
    login(people["代理"])
    assert client.get(f"/votes/{vote.id}/proxies/{proxy.id}/scan").status_code == 403
    assert client.get(f"/votes/{vote.id}/proxies/paper").status_code == 403
    client.post(f"/votes/{vote.id}/proxies/{proxy.id}/ballot", data={"option": "oppose"})
    assert Ballot.query.one().channel == "proxy"  # active at once: no acceptance


def test_a_bad_scan_is_refused_next_to_the_field(world, client, login):
    vote, people = world
    login(people["secretary"])
    response = client.post(f"/votes/{vote.id}/proxies/paper", data={
        "elector": str(elector(vote, people["王"]).id), "name": "代理", "phone": PROXY_PHONE,
        "reference": "No. 8", "scan": (io.BytesIO(b"<script>x</script>"), "form.png")},
        content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "JPEG or PNG image or a PDF" in html
    assert 'value="No. 8"' in html and VoteProxy.query.count() == 0


def test_secretary_of_another_community_cannot_record(world, client, login):
    vote, people = world
    other = factories.office_holder(factories.community("别处"), Role.SECRETARY, "外秘书")
    db.session.commit()
    login(other)
    assert client.get(f"/votes/{vote.id}/proxies/paper").status_code == 403
    response = client.post(f"/votes/{vote.id}/proxies/paper", data={
        "elector": str(elector(vote, people["王"]).id), "name": "代理", "phone": PROXY_PHONE,
        "reference": "No. 7"})
    assert response.status_code == 403 and VoteProxy.query.count() == 0


# --- the API ----------------------------------------------------------------------------------

def bearer(user) -> dict:
    _token, raw = create_token(user, "手机")
    db.session.commit()
    return {"Authorization": f"Bearer {raw}"}


def test_the_api_grants_accepts_casts_and_refuses_revoking_after(world, client):
    vote, people = world
    owner, proxy_user = bearer(people["王"]), bearer(people["代理"])
    base = f"/api/v1/votes/{vote.id}/proxies"
    created = client.post(base, json={"name": "代理", "phone": PROXY_PHONE}, headers=owner)
    assert created.status_code == 201 and created.json["status"] == "waiting"
    pid = created.json["id"]
    assert created.json["proxy_phone"] == "138****0001"
    early = client.post(f"{base}/{pid}/ballots", json={"option": "agree"}, headers=proxy_user)
    assert early.status_code == 409 and early.mimetype == "application/problem+json"
    listed = client.get(base, headers=proxy_user).json
    assert [p["id"] for p in listed["asked"]] == [pid] and listed["given"] == []
    accepted = client.post(f"{base}/{pid}/acceptance", headers=proxy_user)
    assert accepted.status_code == 200 and accepted.json["status"] == "active"
    cast = client.post(f"{base}/{pid}/ballots", json={"option": "agree"}, headers=proxy_user)
    assert cast.status_code == 201 and len(cast.json["receipts"]) == 1
    revoked = client.delete(f"{base}/{pid}", headers=owner)
    assert revoked.status_code == 409 and "already voted" in revoked.json["detail"]
    mine = client.post(f"/api/v1/votes/{vote.id}/ballots", json={"option": "oppose"},
                       headers=owner)
    assert mine.status_code == 409 and mine.json["code"] == "replaces_other"
    mine = client.post(f"/api/v1/votes/{vote.id}/ballots",
                       json={"option": "oppose", "replace_other": True}, headers=owner)
    assert mine.status_code == 201
    [ballot] = counted(vote)
    assert ballot.cast_by_id == people["王"].id


def test_the_api_refuses_the_fourth_self_and_strangers(world, client):
    vote, people = world
    base = f"/api/v1/votes/{vote.id}/proxies"
    for owner in ("王", "李", "钱"):
        assert client.post(base, json={"name": "代理", "phone": PROXY_PHONE},
                           headers=bearer(people[owner])).status_code == 201
    fourth = client.post(base, json={"name": "代理", "phone": PROXY_PHONE},
                         headers=bearer(people["孙"]))
    assert fourth.status_code == 409 and fourth.json["field"] == "phone"
    self_ = client.post(base, json={"name": "我", "phone": people["孙"].phone},
                        headers=bearer(people["孙"]))
    assert self_.status_code == 409
    stranger = client.post(base, json={"name": "代理", "phone": "13700000077"},
                           headers=bearer(people["tenant"]))
    assert stranger.status_code == 403
    pid = VoteProxy.query.first().id
    assert client.delete(f"{base}/{pid}", headers=bearer(people["孙"])).status_code == 403
    assert client.post(f"{base}/{pid}/acceptance",
                       headers=bearer(people["代理二"])).status_code == 403
    assert client.post(base, json={"name": "代理", "phone": PROXY_PHONE}).status_code == 401
