"""Acting for a resident (帮办代办): consents given by the resident or recorded by the grid
worker, revoked by the resident; assisted ballots and comments, marked, audited, told to the
resident and listed on their page; refused without a consent that covers the act."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult import clock
from consult.audit.models import AuditEntry
from consult.community.models import Residency
from consult.extensions import db
from consult.grids import service
from consult.grids.models import AssistedAct, Consent
from consult.notifications.models import Notification
from consult.permissions import forget_memberships
from consult.refusals import Refused
from consult.topics.models import Comment
from consult.votes.models import Ballot
from tests.grids.world import DAY, T0

pytestmark = pytest.mark.usefixtures("english", "at_t0")

NEXT_MONTH = (T0 + 30 * DAY).date().isoformat()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def notices(user, kind: str) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.kind == kind)))


def give(client, estate, **changes):
    data = {"grid": str(estate.grid.id), "scope": "vote_comment", "last_day": NEXT_MONTH}
    data.update(changes)
    return client.post("/my/assistance", data=data)


def consent_of(estate, who="wang", scope="vote_comment", days=30) -> Consent:
    consent = service.give_consent(estate.people[who], estate.grid, scope,
                                   (T0 + days * DAY).date())
    db.session.commit()
    return consent


# --- consents ---------------------------------------------------------------------------------

def test_a_resident_gives_consent_on_their_page(estate, client, login):
    wang = estate.people["wang"]
    login(wang)
    assert "/my/assistance" in client.get("/me/residency").get_data(as_text=True)
    page = client.get("/my/assistance").get_data(as_text=True)
    assert "Allow the grid worker to act for me" in page
    response = give(client, estate)
    assert response.status_code == 302
    consent = db.session.scalar(select(Consent))
    assert (consent.resident_id, consent.grid_id, consent.scope, consent.source) == (
        wang.id, estate.grid.id, "vote_comment", "online")
    assert consent.ends_at == T0 + 30 * DAY + timedelta(hours=14)  # midnight after, Shanghai
    (entry,) = audit("grid.consent_give")
    assert entry.actor_id == wang.id and entry.details["resident_id"] == wang.id
    html = client.get("/my/assistance").get_data(as_text=True)
    assert "Cast votes and comment for me" in html and "Active" in html


@pytest.mark.parametrize("changes, message", [
    ({"last_day": ""}, "Give the last day of the consent."),
    ({"last_day": (T0 - DAY).date().isoformat()}, "The consent must end in the future."),
    ({"last_day": (T0 + 400 * DAY).date().isoformat()}, "at most 366 days"),
    ({"scope": "everything"}, "Choose what the grid worker may do for you."),
    ({"grid": "OTHER"}, "only for the grid you live in"),
    ({"grid": ""}, "Choose the grid you live in."),
])
def test_a_bad_consent_is_refused_next_to_its_field(estate, client, login, changes, message):
    login(estate.people["wang"])
    if changes.get("grid") == "OTHER":
        changes["grid"] = str(estate.other_grid.id)
    response = give(client, estate, **changes)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(Consent) == 0 and not audit("grid.consent_give")


def test_only_a_verified_resident_gives_consent(estate, client, login):
    login(estate.people["nobody"])
    assert "Once you are verified" in client.get("/my/assistance").get_data(as_text=True)
    assert give(client, estate).status_code == 403
    assert count(Consent) == 0


def test_the_grid_worker_records_a_consent_given_in_person(estate, client, login):
    p = estate.people
    login(p["worker"])
    url = f"/grids/{estate.grid.id}/residents/{p['wang'].id}"
    assert client.get(url).status_code == 200
    response = client.post(f"{url}/consents", data={
        "scope": "vote", "last_day": NEXT_MONTH, "evidence": "签字表第12号，2026-12-01"})
    assert response.status_code == 302
    consent = db.session.scalar(select(Consent))
    assert (consent.source, consent.recorded_by_id, consent.evidence, consent.scope) == (
        "in_person", p["worker"].id, "签字表第12号，2026-12-01", "vote")
    (entry,) = audit("grid.consent_record")
    assert entry.actor_id == p["worker"].id and entry.details["evidence"].startswith("签字表")
    (notice,) = notices(p["wang"], "grid.consent_recorded")
    assert notice.params["worker"] == "网格员甲"
    # The resident sees it when they log in, and can revoke it.
    login(p["wang"])
    html = client.get("/my/assistance").get_data(as_text=True)
    assert "recorded by a grid worker: 签字表第12号" in html
    assert client.post(f"/my/assistance/{consent.id}/revoke").status_code == 302
    db.session.refresh(consent)
    assert consent.revoked_at == T0 and consent.revoked_by_id == p["wang"].id
    assert audit("grid.consent_revoke")
    assert "Revoked" in client.get("/my/assistance").get_data(as_text=True)


def test_an_in_person_consent_says_how_it_was_given(estate, client, login):
    p = estate.people
    login(p["worker"])
    response = client.post(f"/grids/{estate.grid.id}/residents/{p['wang'].id}/consents",
                           data={"scope": "vote", "last_day": NEXT_MONTH, "evidence": " "})
    assert response.status_code == 422
    assert "Say how the consent was given" in response.get_data(as_text=True)
    assert count(Consent) == 0


@pytest.mark.parametrize("who, status", [("other_worker", 403), ("secretary", 403),
                                         ("admin", 403), ("wang", 403), ("nobody", 403)])
def test_only_the_grids_worker_records_consents(estate, client, login, who, status):
    p = estate.people
    login(p[who])
    url = f"/grids/{estate.grid.id}/residents/{p['zhang'].id}"
    assert client.get(url).status_code == status
    assert client.post(f"{url}/consents", data={
        "scope": "vote", "last_day": NEXT_MONTH, "evidence": "签字表"}).status_code == status
    assert count(Consent) == 0


def test_a_resident_of_another_grid_is_not_found_from_this_one(estate, client, login):
    p = estate.people
    login(p["worker"])
    url = f"/grids/{estate.grid.id}/residents/{p['far'].id}"
    assert client.get(url).status_code == 404
    assert client.post(f"{url}/consents", data={
        "scope": "vote", "last_day": NEXT_MONTH, "evidence": "签字表"}).status_code == 404


def test_only_the_resident_revokes_their_consent(estate, client, login):
    consent = consent_of(estate)
    for who in ("worker", "zhang", "secretary"):
        login(estate.people[who])
        assert client.post(f"/my/assistance/{consent.id}/revoke").status_code == 404
    db.session.refresh(consent)
    assert consent.revoked_at is None


# --- acting -------------------------------------------------------------------------------------

def test_an_assisted_ballot_is_marked_audited_told_and_listed(estate, client, login):
    p = estate.people
    consent = consent_of(estate)
    login(p["worker"])
    url = f"/grids/{estate.grid.id}/residents/{p['wang'].id}"
    page = client.get(url).get_data(as_text=True)
    assert "是否同意更换电梯？" in page and "Cast the ballot for 王业主" in page
    response = client.post(f"{url}/ballot", data={"vote": estate.vote.id, "option": "oppose"})
    assert response.status_code == 302
    (ballot,) = db.session.scalars(select(Ballot)).all()
    assert (ballot.option, ballot.channel, ballot.assisted_by_id, ballot.cast_by_id,
            ballot.counted) == ("oppose", "online", p["worker"].id, p["worker"].id, True)
    (act,) = db.session.scalars(select(AssistedAct)).all()
    assert (act.kind, act.consent_id, act.resident_id, act.ballot_id) == (
        "vote", consent.id, p["wang"].id, ballot.id)
    (entry,) = audit("grid.vote_for")
    assert entry.actor_id == p["worker"].id
    assert entry.details["for"] == p["wang"].id and entry.details["consent_id"] == consent.id
    assert "oppose" not in str(entry.details)
    (notice,) = notices(p["wang"], "grid.voted_for")
    assert notice.params["receipt"] == ballot.tracker
    login(p["wang"])
    mine = client.get("/my/assistance").get_data(as_text=True)
    assert "网格员甲 cast your ballot on “是否同意更换电梯？”" in mine
    told = client.get("/me/notifications").get_data(as_text=True)
    assert f"Grid worker 网格员甲 cast your ballot on “是否同意更换电梯？” for you, with your " \
           f"consent. Receipt: {ballot.tracker}." in told
    # The grid page now says 王 has voted, not how.
    login(p["worker"])
    grid = client.get(f"/grids/{estate.grid.id}").get_data(as_text=True)
    assert "1 of 4 voted in this grid" in grid and "Oppose" not in grid


@pytest.mark.parametrize("situation, message", [
    ("none", "has not consented"),
    ("revoked", "revoked their consent"),
    ("expired", "consent has expired"),
    ("comment_only", "does not cover casting votes"),
])
def test_an_assisted_ballot_without_a_consent_in_force_is_refused(estate, client, login,
                                                                   situation, message):
    p = estate.people
    if situation != "none":
        consent = consent_of(estate, scope="comment" if situation == "comment_only" else
                             "vote_comment", days=2)
        if situation == "revoked":
            service.revoke_consent(p["wang"], consent)
            db.session.commit()
    login(p["worker"])
    at = T0 + 5 * DAY if situation == "expired" else T0
    with clock.frozen(at):
        response = client.post(f"/grids/{estate.grid.id}/residents/{p['wang'].id}/ballot",
                               data={"vote": estate.vote.id, "option": "agree"},
                               follow_redirects=True)
    assert message in response.get_data(as_text=True)
    assert count(Ballot) == 0 and count(AssistedAct) == 0 and not audit("grid.vote_for")
    assert not notices(p["wang"], "grid.voted_for")


def test_a_grid_worker_of_another_grid_cannot_act_even_with_a_consent(estate, client, login):
    p = estate.people
    consent_of(estate)
    for who in ("other_worker", "secretary"):
        login(p[who])
        assert client.post(f"/grids/{estate.grid.id}/residents/{p['wang'].id}/ballot", data={
            "vote": estate.vote.id, "option": "agree"}).status_code == 403
        with pytest.raises(Refused) as refused:
            service.vote_for(p[who], p["wang"], estate.vote, "agree")
        assert refused.value.forbidding
        db.session.rollback()
    assert count(Ballot) == 0


def test_a_resident_who_moved_out_of_the_grid_is_refused(estate):
    p = estate.people
    consent_of(estate)
    db.session.execute(Residency.__table__.delete().where(Residency.user_id == p["wang"].id))
    db.session.commit()
    forget_memberships()  # as a new request would
    with pytest.raises(Refused, match="does not live in a grid you work in"):
        service.vote_for(p["worker"], p["wang"], estate.vote, "agree")


def test_a_resident_who_is_not_an_elector_cannot_be_voted_for(estate):
    p = estate.people
    consent_of(estate, who="zhang")  # a tenant: not an owner, not in the owners' vote
    with pytest.raises(Refused, match="not on the list of voters"):
        service.vote_for(p["worker"], p["zhang"], estate.vote, "agree")


def test_an_announced_vote_cannot_be_cast_yet(estate):
    consent_of(estate)
    with pytest.raises(Refused, match="not opened yet"):
        service.vote_for(estate.people["worker"], estate.people["wang"], estate.announced,
                         "agree")


def test_an_assisted_comment_is_marked_in_the_thread_audited_told_and_listed(estate, client,
                                                                            login):
    p = estate.people
    consent = consent_of(estate)
    login(p["worker"])
    response = client.post(f"/grids/{estate.grid.id}/residents/{p['wang'].id}/comment",
                           data={"topic": estate.topic.id, "body": "晚上十点后请保持安静。"})
    assert response.status_code == 302
    comment = db.session.scalar(select(Comment))
    assert (comment.author_id, comment.assisted_by_id) == (p["wang"].id, p["worker"].id)
    thread = client.get(f"/topics/{estate.topic.id}").get_data(as_text=True)
    assert "posted by grid worker 网格员甲 for 王业主" in thread
    (posted,) = audit("topic.comment")
    assert posted.actor_id == p["worker"].id and posted.details["on_behalf_of"] == p["wang"].id
    (entry,) = audit("grid.comment_for")
    assert entry.details == {"for": p["wang"].id, "consent_id": consent.id,
                             "comment_id": comment.id}
    assert notices(p["wang"], "grid.commented_for")
    login(p["wang"])
    assert "网格员甲 posted a comment for you on “夜间噪音”" in client.get(
        "/my/assistance").get_data(as_text=True)


def test_an_assisted_comment_without_consent_is_refused(estate, client, login):
    p = estate.people
    consent_of(estate, scope="vote")
    login(p["worker"])
    response = client.post(f"/grids/{estate.grid.id}/residents/{p['wang'].id}/comment",
                           data={"topic": estate.topic.id, "body": "晚上十点后请保持安静。"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "consent does not cover commenting" in html and "晚上十点后请保持安静。" in html
    assert count(Comment) == 0 and count(AssistedAct) == 0


def test_an_empty_assisted_comment_keeps_the_page(estate, client, login):
    p = estate.people
    consent_of(estate)
    login(p["worker"])
    response = client.post(f"/grids/{estate.grid.id}/residents/{p['wang'].id}/comment",
                           data={"topic": estate.topic.id, "body": "  "})
    assert response.status_code == 422
    assert "the text is empty" in response.get_data(as_text=True)
    assert count(Comment) == 0 and count(AssistedAct) == 0


def test_the_assistance_pages_take_the_same_queries_however_much_was_done(estate, client,
                                                                         login, count_queries):
    p = estate.people
    counts = []
    for rounds in (1, 4):
        for _ in range(rounds):
            consent_of(estate)
            service.vote_for(p["worker"], p["wang"], estate.vote, "agree")
            service.comment_for(p["worker"], p["wang"], estate.topic, "代为发表的意见")
            db.session.commit()
        for who, path in (("wang", "/my/assistance"),
                          ("worker", f"/grids/{estate.grid.id}/residents/{p['wang'].id}")):
            login(p[who])
            client.get("/")
            db.session.expire_all()
            with count_queries() as n:
                assert client.get(path).status_code == 200
            counts.append((who, n.count))
    assert counts[:2] == counts[2:], counts
    assert all(n <= 12 for _, n in counts), counts


def test_an_assisted_ballot_goes_through_the_same_cast_and_its_co_owner_check(estate):
    """A grid worker's ballot for a resident is the same ``votes.service.cast`` as the
    resident's own: replacing a ballot someone else cast for the home needs a confirmation,
    whoever casts; re-casting one's own assisted ballot does not."""
    from tests import factories

    p = estate.people
    consent_of(estate)
    second = factories.grid_worker(estate.grid, "网格员丙")
    db.session.commit()
    service.vote_for(p["worker"], p["wang"], estate.vote, "agree")
    service.vote_for(p["worker"], p["wang"], estate.vote, "oppose")  # their own: no question
    db.session.commit()
    with pytest.raises(Refused) as refused:
        service.vote_for(second, p["wang"], estate.vote, "agree")
    assert refused.value.field == "replace_other"
    db.session.rollback()
    [ballot] = service.vote_for(second, p["wang"], estate.vote, "agree", replace_other=True)
    db.session.commit()
    assert (ballot.assisted_by_id, ballot.cast_by_id, ballot.counted) == (second.id, second.id,
                                                                          True)
