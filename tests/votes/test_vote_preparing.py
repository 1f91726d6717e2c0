"""A vote's electorate is frozen by a background job (``votes.freeze``) after the opening
commits: until it is done the vote is "preparing" (its page says so and polls it, the
API says ``ready: false``) and takes no ballots; the job can run again without freezing or telling
anyone twice, a failed job leaves the vote preparing and a failure for administrators, and a
vote cancelled before its freeze is never frozen nor announced to electors."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult import clock
from consult.extensions import db
from consult.jobs import run_now
from consult.jobs.models import JobFailure
from consult.notifications.models import Notification
from consult.topics.models import Follow
from consult.votes import service
from consult.votes.models import Ballot, Elector, ElectorMember, Vote
from tests.votes.test_votes import ANNOUNCED, T0, estate, minutes_resolved, spec  # noqa: F401

pytestmark = pytest.mark.usefixtures("english")
OWNERS = ["王", "李", "张", "钱", "孙"]  # the owners' electorate of the estate: 5 electors
NOW = ANNOUNCED + timedelta(hours=1)


def sent(kind: str) -> dict[int, int]:
    return dict(db.session.execute(select(Notification.user_id, func.count())
                                   .where(Notification.kind == kind)
                                   .group_by(Notification.user_id)).all())


def count(model, vote) -> int:
    return db.session.scalar(select(func.count()).select_from(model)
                             .where(model.vote_id == vote.id))


def open_now(estate, **changes) -> Vote:
    """Open a vote that takes ballots at once (not a Civil Code vote: no notice needed)."""
    c, topic, people = estate
    with clock.frozen(ANNOUNCED):
        vote = service.open_vote(people["secretary"], topic, spec(
            c, rule="simple_majority", opens_at=ANNOUNCED, **changes))
        db.session.commit()  # the job runs when this commits
    return vote


@pytest.fixture
def failing_freeze(monkeypatch):
    """The freeze job stores the electors, then fails before it is done."""
    from consult.votes import freeze

    real = freeze._store_owners

    def store_owners(vote, where, params):
        real(vote, where, params)
        assert count(Elector, vote) == 5  # stored, in the job's transaction
        raise RuntimeError("the database went away")

    monkeypatch.setattr(freeze, "_store_owners", store_owners)
    yield monkeypatch
    monkeypatch.undo()


def test_a_vote_takes_no_ballots_until_its_electorate_is_frozen(
        estate, client, login, failing_freeze):
    from tests.votes.test_vote_cancel import api_token

    _, _, people = estate
    vote = open_now(estate)
    # The job failed: nothing of what it stored was committed.
    assert not vote.ready and (vote.electorate_prepared, vote.electorate_expected) == (0, 6)
    assert vote.electorate_size == 0 and count(Elector, vote) == count(ElectorMember, vote) == 0
    failure = db.session.scalar(select(JobFailure))
    assert failure.name == "votes.freeze" and failure.params == {"vote_id": vote.id}
    assert "the database went away" in failure.error
    assert sent("vote.opened") == {}  # nobody is told before the list is ready

    with clock.frozen(NOW):
        login(people["王"])
        page = client.get(f"/votes/{vote.id}")
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "Preparing the list of electors…" in html
        assert f'hx-get="/votes/{vote.id}/preparing"' in html and 'hx-trigger="every 2s"' in html
        assert 'id="preparing-refresh"' in html  # without JavaScript: a plain link
        assert 'id="ballot-form"' not in html and "being prepared" in html
        fragment = client.get(f"/votes/{vote.id}/preparing")
        assert fragment.status_code == 200 and "HX-Refresh" not in fragment.headers
        assert "Preparing the list of electors…" in fragment.get_data(as_text=True)

        refused = client.post(f"/votes/{vote.id}/ballot", data={"option": "agree"})
        assert refused.status_code == 302
        assert "being prepared" in client.get(refused.location).get_data(as_text=True)
        with pytest.raises(service.Refused, match="being prepared"):
            service.cast(people["李"], vote, "agree")
        db.session.rollback()

        owner = api_token(client, people["钱"])
        api = client.get(f"/api/v1/votes/{vote.id}", headers=owner).get_json()
        assert api["ready"] is False and api["eligible"] is False
        assert (api["electorate_prepared"], api["electorate_expected"]) == (0, 6)
        ballot = client.post(f"/api/v1/votes/{vote.id}/ballots", json={"option": "agree"},
                             headers=owner)
        assert ballot.status_code == 409 and "being prepared" in ballot.get_json()["detail"]
        assert count(Ballot, vote) == 0
        assert service.votes_to_cast(people["王"]) == []
        from consult.votes import paper

        refusal = paper.print_refusal(people["secretary"], vote, None)
        assert refusal is not None and "being prepared" in str(refusal.message)

    # The job again (the jobs system's retry, or an administrator's): it starts over.
    failing_freeze.undo()
    db.session.commit()  # ends the test's read transaction (SQLite reads a snapshot)
    with clock.frozen(NOW):
        assert run_now("votes.freeze", {"vote_id": vote.id})
    db.session.commit()
    assert vote.ready and vote.electorate_size == 5 and count(Elector, vote) == 5
    assert vote.electorate_prepared == vote.electorate_expected == 6
    assert sent("vote.opened") == {people[n].id: 1 for n in OWNERS}
    with clock.frozen(NOW + timedelta(minutes=1)):
        fragment = client.get(f"/votes/{vote.id}/preparing")
        assert fragment.headers.get("HX-Refresh") == "true"  # htmx reloads the whole page
        html = client.get(f"/votes/{vote.id}").get_data(as_text=True)
        assert 'id="ballot-form"' in html and "Preparing the list" not in html
        cast = client.post(f"/votes/{vote.id}/ballot", data={"option": "agree"})
        assert cast.status_code == 302 and "receipt=" in cast.location
        api = client.get(f"/api/v1/votes/{vote.id}").get_json()
        assert api["ready"] is True and api["electorate_size"] == 5
    assert count(Ballot, vote) == 1


def test_the_job_run_twice_freezes_once_and_tells_once(estate):
    _, _, people = estate
    c = estate[0]
    with clock.frozen(ANNOUNCED):
        vote = service.open_vote(people["secretary"], estate[1], spec(c))  # opens at T0
        db.session.commit()
        assert run_now("votes.freeze", {"vote_id": vote.id})
        assert run_now("votes.freeze", {"vote_id": vote.id})
    db.session.commit()
    assert vote.ready and count(Elector, vote) == 5
    assert count(ElectorMember, vote) == 5  # 李 and 张 share one, the developer has none
    assert sent("vote.announced") == {people[n].id: 1 for n in OWNERS}
    assert sent("vote.opened") == {}
    # When it opens, the cron tells them once; the job run again then tells nobody again.
    with clock.frozen(T0 + timedelta(minutes=5)):
        assert service.notify_opened_votes() == 5
        db.session.commit()
        assert run_now("votes.freeze", {"vote_id": vote.id})
    db.session.commit()
    assert sent("vote.opened") == {people[n].id: 1 for n in OWNERS}
    assert db.session.scalar(select(func.count()).select_from(JobFailure)) == 0


def test_a_vote_cancelled_before_its_freeze_is_never_frozen_nor_announced(
        estate, monkeypatch):
    _, topic, people = estate
    follower = people["赵"]  # not an owner: follows the topic

    db.session.add(Follow(topic_id=topic.id, user_id=follower.id))
    db.session.commit()
    monkeypatch.setattr(service, "store_electorate", _fails)
    vote = open_now(estate)
    assert not vote.ready and count(Elector, vote) == 0
    with clock.frozen(NOW):
        service.cancel_vote(people["secretary"], vote, "公告的时间写错了，重新发起。")
        db.session.commit()
    monkeypatch.undo()
    with clock.frozen(NOW):
        assert run_now("votes.freeze", {"vote_id": vote.id})
    db.session.commit()
    assert vote.cancelled and not vote.ready and count(Elector, vote) == 0
    assert sent("vote.opened") == sent("vote.announced") == {}
    # The electors were never told of the vote, so not of its cancelling either; the topic's
    # followers are told (the topic's own notice).
    assert sent("vote.cancelled") == {}
    assert follower.id in dict(db.session.execute(
        select(Notification.user_id, func.count()).where(Notification.kind.like("topic.%"))
        .group_by(Notification.user_id)).all())
    # Closing time passes: there is nothing to tally.
    with clock.frozen(T0 + timedelta(days=8)):
        assert service.close_due_votes() == 0


def test_closing_and_tallying_wait_for_the_electorate(estate, monkeypatch):
    monkeypatch.setattr(service, "store_electorate", _fails)
    vote = open_now(estate, closes_at=ANNOUNCED + timedelta(days=2))
    assert not vote.ready
    with clock.frozen(ANNOUNCED + timedelta(days=3)):
        assert service.close_due_votes() == 0
        assert service.close(vote) is None and service.result_of(vote) is None
        assert vote.result is None


def _fails(vote):
    raise RuntimeError("the roster could not be read")


def test_the_job_waits_for_the_whole_transaction_not_a_savepoint(estate):
    """A savepoint released after the opening (a follow, a ballot's retry loop) is not the
    commit of the opening: the job runs when the transaction itself commits."""
    c, topic, people = estate
    with clock.frozen(ANNOUNCED):
        vote = service.open_vote(people["secretary"], topic, spec(c))
        with db.session.begin_nested():
            db.session.add(Follow(topic_id=topic.id, user_id=people["赵"].id))
        assert count(Elector, vote) == 0 and vote.electorate_ready_at is None
        db.session.commit()
    assert vote.ready and count(Elector, vote) == 5
