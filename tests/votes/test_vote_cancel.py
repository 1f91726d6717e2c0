"""Announcing a vote, telling its electors at the right time, and cancelling it with a public
reason: a cancelled vote takes no ballots, is never counted, and a new vote may follow."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult import clock
from consult.accounts.models import Role
from consult.audit.models import AuditEntry
from consult.extensions import db
from consult.notifications.models import Notification
from consult.refusals import Refused
from consult.topics.models import StageChange
from consult.votes import service
from consult.votes.models import Ballot, Vote
from tests import factories
from tests.votes.test_votes import (  # noqa: F401 - fixtures
    ANNOUNCED, T0, estate, minutes_resolved, open_, spec,
)

pytestmark = pytest.mark.usefixtures("english")

REASON = "选项表述有误，撤销后重新公告。"  # 15 characters
ELECTORS = ["王", "李", "张", "钱", "孙"]


def sent(kind: str) -> dict[int, int]:
    return dict(db.session.execute(select(Notification.user_id, func.count())
                                   .where(Notification.kind == kind)
                                   .group_by(Notification.user_id)).all())


def cancel(estate, vote, when, reason=REASON, who="secretary"):
    _, _, people = estate
    with clock.frozen(when):
        service.cancel_vote(people[who], vote, reason)
        db.session.commit()


# --- announcement and being told ----------------------------------------------------------------

def test_an_announced_vote_is_public_before_it_opens(estate, client):
    vote = open_(estate)
    with clock.frozen(ANNOUNCED + timedelta(days=1)):
        html = client.get(f"/votes/{vote.id}").get_data(as_text=True)
        api = client.get(f"/api/v1/votes/{vote.id}").get_json()
    assert vote.question in html and "5 voters" in html and "510.75" in html
    assert ("Announced on 2026-11-16 09:00; voting opens on 2026-12-01 09:00 and closes on "
            "2026-12-08 09:00.") in html
    assert 'id="vote-upcoming"' in html and 'id="ballot-form"' not in html
    assert "announced at least 15 days before voting opens, open at least 7 days" in html
    assert api["status"] == "scheduled" and api["announced_at"].startswith("2026-11-16T01:00")
    assert (api["notice_days"], api["min_open_days"]) == (15, 7)
    assert api["electorate_size"] == 5 and api["cancelled_at"] is None


def test_the_vote_records_the_settings_of_its_announcement(estate):
    c, _, people = estate
    c.vote_notice_days, c.vote_min_open_days = 20, 10
    db.session.commit()
    with clock.frozen(ANNOUNCED), pytest.raises(Refused) as refused:
        service.open_vote(people["secretary"], estate[1], spec(c))
    assert refused.value.field == "opens_at" and "at least 20 days" in refused.value.message
    db.session.rollback()
    vote = open_(estate, opens_at=ANNOUNCED + timedelta(days=20),
                 closes_at=ANNOUNCED + timedelta(days=30))
    assert (vote.notice_days, vote.min_open_days) == (20, 10)
    c.vote_notice_days = 5  # later changes do not move this vote
    db.session.commit()
    assert db.session.get(Vote, vote.id).notice_days == 20


def test_a_vote_opening_at_once_tells_its_electors_at_once_and_the_cron_not_again(estate, app):
    c, topic, people = estate
    with clock.frozen(T0):
        vote = service.open_vote(people["secretary"], topic,
                                 spec(c, electorate="residents", rule="simple_majority"))
        db.session.commit()
    assert vote.is_open(T0) and vote.opening_told_at == T0
    assert sum(sent("vote.opened").values()) == vote.electorate_size
    assert sent("vote.announced") == {}
    with clock.frozen(T0 + timedelta(minutes=5)):
        result = app.test_cli_runner().invoke(args=["vote", "notify"])
    assert result.exit_code == 0 and "0 electors told" in result.output
    assert sum(sent("vote.opened").values()) == vote.electorate_size


def test_the_announcement_tells_the_opening_time(estate, client, login):
    vote = open_(estate)
    _, _, people = estate
    with clock.frozen(ANNOUNCED + timedelta(hours=1)):
        login(people["钱"])
        html = client.get("/me/notifications").get_data(as_text=True)
    assert "A vote on “" in html and "Voting opens at 2026-12-01 09:00" in html
    assert vote.opening_told_at is None


def test_the_cron_tells_once_however_often_it_runs_and_skips_a_cancelled_vote(estate, app):
    vote = open_(estate)
    _, topic, people = estate
    other = factories.topic(estate[0], people["王"], stage="deliberating", title="第二个议题")
    db.session.commit()
    with clock.frozen(ANNOUNCED):
        second = service.open_vote(people["secretary"], other, spec(estate[0], question="第二？"))
        db.session.commit()
    cancel(estate, second, ANNOUNCED + timedelta(days=1))
    runner = app.test_cli_runner()
    outputs = []
    for when in (T0 - timedelta(seconds=1), T0, T0 + timedelta(minutes=5), T0 + timedelta(days=1)):
        with clock.frozen(when):
            outputs.append(runner.invoke(args=["vote", "notify"]).output)
    assert [o.split()[0] for o in outputs] == ["0", "5", "0", "0"]
    assert sent("vote.opened") == {people[n].id: 1 for n in ELECTORS}
    db.session.expire_all()
    assert db.session.get(Vote, vote.id).opening_told_at == T0
    assert db.session.get(Vote, second.id).opening_told_at is None


def test_the_to_do_shows_open_votes_only(estate, client, login):
    vote = open_(estate)
    _, _, people = estate
    login(people["王"])
    with clock.frozen(ANNOUNCED + timedelta(days=1)):
        assert f'href="/votes/{vote.id}"' not in client.get("/").get_data(as_text=True)
        assert service.votes_to_cast(people["王"]) == []
    with clock.frozen(T0 + timedelta(hours=1)):
        assert service.votes_to_cast(people["王"]) == [vote]


# --- nothing changes after the announcement --------------------------------------------------------

def test_there_is_no_way_to_edit_a_vote(app):
    """Only these routes touch a vote: opening (a new one), casting, cancelling, and storing
    the result of one whose end has passed (the API's tally, which changes nothing that was
    announced); besides them only the ballots of other channels (paper ballots, proxies),
    which change no vote."""
    channels = ("/papers", "/paper-ballots", "/proxies")
    writes = sorted(rule.rule for rule in app.url_map.iter_rules()
                    if "/votes" in rule.rule and {"POST", "PUT", "PATCH", "DELETE"} & rule.methods
                    and not any(c in rule.rule for c in channels))
    assert writes == ["/api/v1/topics/<int:topic_id>/votes",
                      "/api/v1/votes/<int:vote_id>/ballots", "/api/v1/votes/<int:vote_id>/cancel",
                      "/api/v1/votes/<int:vote_id>/tally", "/topics/<int:topic_id>/votes/new", "/votes/<int:vote_id>/ballot",
                      "/votes/<int:vote_id>/cancel"]


# --- cancelling ------------------------------------------------------------------------------------

def test_cancelling_an_announced_vote(estate, client, login):
    vote = open_(estate)
    c, topic, people = estate
    login(people["secretary"])
    when = ANNOUNCED + timedelta(days=2)
    with clock.frozen(when):
        page = client.get(f"/votes/{vote.id}").get_data(as_text=True)
        assert 'id="cancel-vote-link"' in page
        assert client.get(f"/votes/{vote.id}/cancel").status_code == 200
        response = client.post(f"/votes/{vote.id}/cancel", data={"reason": f"  {REASON}  "})
    assert response.status_code == 302
    db.session.expire_all()
    vote = db.session.get(Vote, vote.id)
    assert vote.cancelled_at == when and vote.cancelled_by_id == people["secretary"].id
    assert vote.cancel_reason == REASON
    assert vote.topic.stage == "voting"
    # electors told, with the reason; the topic's timeline and audit log show it
    assert sent("vote.cancelled") == {people[n].id: 1 for n in ELECTORS}
    step = db.session.scalar(select(StageChange).where(StageChange.transition == "cancel_vote"))
    assert step.note == REASON and step.from_stage == step.to_stage == "voting"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "vote.cancel"))
    assert entry.object_id == vote.id and entry.details["reason"] == REASON
    visitor = client.application.test_client()
    with clock.frozen(when + timedelta(hours=1)):
        html = visitor.get(f"/votes/{vote.id}").get_data(as_text=True)
        topic_html = visitor.get(f"/topics/{topic.id}").get_data(as_text=True)
        api = visitor.get(f"/api/v1/votes/{vote.id}").get_json()
    assert 'id="vote-cancelled"' in html and REASON in html and "秘书" in html
    assert 'id="turnout"' not in html and 'id="result-heading"' not in html
    timeline = topic_html.split('id="timeline"', 1)[1].split("</ol>", 1)[0]
    assert "Cancel the vote" in timeline and REASON in timeline
    assert 'id="vote-cancelled-label"' in topic_html
    assert api["status"] == "cancelled" and api["cancel_reason"] == REASON
    assert api["result"] is None


def test_cancelling_an_open_vote_stops_the_ballots_and_it_is_never_counted(estate, app):
    vote = open_(estate)
    _, _, people = estate
    with clock.frozen(T0 + timedelta(hours=1)):
        service.cast(people["王"], vote, "agree")
        db.session.commit()
    cancel(estate, vote, T0 + timedelta(days=1))
    with clock.frozen(T0 + timedelta(days=1, hours=1)), pytest.raises(Refused) as refused:
        service.cast(people["李"], vote, "agree")
    assert "cancelled" in refused.value.message
    db.session.rollback()
    assert service.votes_to_cast(people["李"], T0 + timedelta(days=2)) == []
    with clock.frozen(T0 + timedelta(days=6, hours=1)):
        assert service.remind_electors() == 0
    with clock.frozen(T0 + timedelta(days=8)):
        assert service.close_due_votes() == 0
        assert service.close(vote) is None and service.result_of(vote) is None
        assert not service.counting(vote)
        db.session.commit()
    assert db.session.get(Vote, vote.id).result is None
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "vote.close")) == 0
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 1  # kept, uncounted


def test_a_cancelled_vote_refuses_ballots_over_http(estate, client, login):
    vote = open_(estate)
    _, _, people = estate
    cancel(estate, vote, T0 + timedelta(hours=1))
    login(people["王"])
    with clock.frozen(T0 + timedelta(hours=2)):
        html = client.get(f"/votes/{vote.id}").get_data(as_text=True)
        assert 'id="ballot-form"' not in html
        response = client.post(f"/votes/{vote.id}/ballot", data={"option": "agree"},
                               follow_redirects=True)
    assert "This vote was cancelled; it takes no ballots." in response.get_data(as_text=True)
    assert Ballot.query.count() == 0


def test_a_new_vote_may_be_opened_after_a_cancel(estate, client, login):
    vote = open_(estate)
    c, topic, people = estate
    cancel(estate, vote, ANNOUNCED + timedelta(days=1))
    again = ANNOUNCED + timedelta(days=1, hours=1)
    login(people["secretary"])
    with clock.frozen(again):
        assert service.may_open_vote(people["secretary"], topic)
        assert not service.may_open_vote(people["王"], topic)
        html = client.get(f"/topics/{topic.id}").get_data(as_text=True)
        assert 'id="open-vote-link"' in html and "Open a new vote" in html
        new = service.open_vote(people["secretary"], topic, spec(
            c, opens_at=again + timedelta(days=15), closes_at=again + timedelta(days=22)))
        db.session.commit()
    assert new.id != vote.id and service.latest_vote(topic.id).id == new.id
    assert topic.stage == "voting"
    with clock.frozen(again + timedelta(hours=1)):
        assert not service.may_open_vote(people["secretary"], topic)  # the new one stands


@pytest.mark.parametrize("reason, message", [
    ("", "Give the reason for cancelling"),
    ("   ", "Give the reason for cancelling"),
    ("太短了，不行", "at least 10 characters"),
    ("一 二 三 四 五", "at least 10 characters"),  # 9 once the spaces are collapsed
    ("长" * 1001, "at most 1000 characters"),
])
def test_the_reason_is_required_and_kept_on_refusal(estate, client, login, reason, message):
    vote = open_(estate)
    _, _, people = estate
    login(people["secretary"])
    with clock.frozen(ANNOUNCED + timedelta(days=1)):
        response = client.post(f"/votes/{vote.id}/cancel", data={"reason": reason})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    if reason.strip():
        assert reason[:50] in html
    db.session.expire_all()
    assert db.session.get(Vote, vote.id).cancelled_at is None
    assert sent("vote.cancelled") == {}
    assert db.session.scalar(select(StageChange).where(
        StageChange.transition == "cancel_vote")) is None


def test_the_reason_may_be_exactly_ten_or_a_thousand_characters(estate):
    vote = open_(estate)
    cancel(estate, vote, ANNOUNCED + timedelta(days=1), reason="十个字的撤销理由说明")
    assert vote.cancel_reason == "十个字的撤销理由说明"
    c, _, people = estate
    other = factories.topic(c, people["王"], stage="deliberating", title="另一个议题")
    db.session.commit()
    with clock.frozen(ANNOUNCED):
        second = service.open_vote(people["secretary"], other, spec(c))
        db.session.commit()
    cancel(estate, second, ANNOUNCED + timedelta(days=1), reason="长" * 1000)
    assert len(second.cancel_reason) == 1000


def test_a_closed_or_cancelled_vote_cannot_be_cancelled(estate, client, login):
    vote = open_(estate)
    _, _, people = estate
    login(people["secretary"])
    with clock.frozen(vote.closes_at):
        assert 'id="cancel-vote-link"' not in client.get(f"/votes/{vote.id}").get_data(
            as_text=True)
        response = client.post(f"/votes/{vote.id}/cancel", data={"reason": REASON})
    assert response.status_code == 422
    assert "A closed vote cannot be cancelled" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Vote, vote.id).cancelled_at is None
    cancel_at = vote.closes_at - timedelta(minutes=1)
    cancel(estate, db.session.get(Vote, vote.id), cancel_at)
    with clock.frozen(cancel_at), pytest.raises(Refused) as refused:
        service.cancel_vote(people["secretary"], db.session.get(Vote, vote.id), REASON)
    assert "already cancelled" in refused.value.message


@pytest.mark.parametrize("who", ["王", "tenant", "pending", "representative", "other_secretary"])
def test_only_a_secretary_of_the_community_cancels(estate, client, login, who):
    vote = open_(estate)
    c, _, people = estate
    people["representative"] = factories.office_holder(c, Role.REPRESENTATIVE, "代表")
    people["other_secretary"] = factories.office_holder(factories.community("别处"),
                                                        Role.SECRETARY, "外秘书")
    db.session.commit()
    login(people[who])
    with clock.frozen(ANNOUNCED + timedelta(days=1)):
        assert 'id="cancel-vote-link"' not in client.get(f"/votes/{vote.id}").get_data(
            as_text=True)
        assert client.get(f"/votes/{vote.id}/cancel").status_code == 403
        assert client.post(f"/votes/{vote.id}/cancel",
                           data={"reason": REASON}).status_code == 403
        with pytest.raises(Refused) as refused:
            service.cancel_vote(people[who], vote, REASON)
        assert refused.value.forbidding
    db.session.rollback()
    assert db.session.get(Vote, vote.id).cancelled_at is None


def test_a_visitor_is_sent_to_log_in(estate, client):
    vote = open_(estate)
    with clock.frozen(ANNOUNCED + timedelta(days=1)):
        response = client.post(f"/votes/{vote.id}/cancel", data={"reason": REASON})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert db.session.get(Vote, vote.id).cancelled_at is None


# --- the API -----------------------------------------------------------------------------------

def api_token(client, user):
    from tests.api_world import token

    return {"Authorization": f"Bearer {token(client, user)}"}


def test_the_api_cancels_with_the_same_rules(estate, client):
    vote = open_(estate)
    _, _, people = estate
    with clock.frozen(ANNOUNCED + timedelta(days=1)):
        secretary = api_token(client, people["secretary"])
        owner = api_token(client, people["王"])
        url = f"/api/v1/votes/{vote.id}/cancel"
        assert client.post(url, json={"reason": REASON}).status_code == 401
        refused = client.post(url, json={"reason": REASON}, headers=owner)
        assert refused.status_code == 403
        assert refused.get_json()["type"].endswith("/forbidden")
        short = client.post(url, json={"reason": "太短"}, headers=secretary)
        assert short.status_code == 422 and short.get_json()["field"] == "reason"
        spaced = client.post(url, json={"reason": "一 二 三 四 五"}, headers=secretary)
        assert spaced.status_code == 422 and "at least 10" in spaced.get_json()["detail"]
        done = client.post(url, json={"reason": REASON}, headers=secretary)
        assert done.status_code == 200, done.get_json()
        assert done.get_json()["status"] == "cancelled"
        assert done.get_json()["cancel_reason"] == REASON
        again = client.post(url, json={"reason": REASON}, headers=secretary)
        assert again.status_code == 409
        ballot = client.post(f"/api/v1/votes/{vote.id}/ballots", json={"option": "agree"},
                             headers=owner)
        assert ballot.status_code == 409
    assert sent("vote.cancelled") == {people[n].id: 1 for n in ELECTORS}


def test_the_api_refuses_to_cancel_a_closed_vote(estate, client):
    vote = open_(estate)
    _, _, people = estate
    with clock.frozen(vote.closes_at + timedelta(hours=1)):
        response = client.post(f"/api/v1/votes/{vote.id}/cancel", json={"reason": REASON},
                               headers=api_token(client, people["secretary"]))
    assert response.status_code == 409
    assert "closed vote" in response.get_json()["detail"]
