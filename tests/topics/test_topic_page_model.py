"""The topic page's model (consult.topics.queries.topic_page), without a database: what the
page shows and what its reader can do, for every stage and four readers: a visitor, a resident
of the topic's area, the topic's author and the community's secretary.

The readers' standing is put in the request's membership cache, so the permission rules run as
on a page and nothing is read; the page's own tests (tests/topics/test_topic_views.py) render it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from flask import Flask, g
from flask_babel import Babel
from flask_login import AnonymousUserMixin

from consult import clock
from consult.accounts.models import Role
from consult.community.models import Community
from consult.outcomes.service import Section
from consult.permissions import LOGIN_REQUIRED, NOT_VERIFIED, Membership, check
from consult.topics import queries
from consult.topics.lifecycle import MAIN_ROAD, Stage
from consult.topics.models import Topic
from consult.topics.queries import (
    COMMENT, COSIGN, DONE, ENDED_TITLES, LOGIN, NO_ACTION, OBJECT, OFFICE, OPEN, OWN, RATE,
    REFUSED, REVIEW, VOTE, ViewerState, topic_page,
)
from consult.votes.models import Vote

NOW = datetime(2026, 11, 30, 2, 0)
COMMUNITY, GRID, BUILDING = 1, 30, 20
AUTHOR, RESIDENT, SECRETARY = 1, 2, 3
READERS = ("visitor", "resident", "author", "secretary")


@dataclass
class Reader:
    id: int
    is_authenticated: bool = True
    is_platform_admin: bool = False


@pytest.fixture(autouse=True)
def request_context():
    """A bare app (texts in English) whose membership cache knows the three people; the clock
    at NOW."""
    bare = Flask(__name__)
    Babel(bare)
    with bare.app_context(), clock.frozen(NOW):
        home = [(10, BUILDING, GRID, COMMUNITY)]
        g._memberships = {
            AUTHOR: Membership(AUTHOR, verified_units=home),
            RESIDENT: Membership(RESIDENT, verified_units=home),
            SECRETARY: Membership(SECRETARY, roles={COMMUNITY: {Role.SECRETARY.value}}),
        }
        yield


def reader(kind: str):
    return {"visitor": AnonymousUserMixin(), "resident": Reader(RESIDENT),
            "author": Reader(AUTHOR), "secretary": Reader(SECRETARY)}[kind]


def topic(stage: Stage, **fields) -> Topic:
    t = Topic(id=7, community_id=COMMUNITY, proposer_id=AUTHOR, stage=stage.value,
              title="路灯", cosign_count=0, closing_reason="", **fields)
    t.community = Community(id=COMMUNITY, name="幸福社区", cosign_threshold=3)
    return t


def page(stage: Stage, who: str, *, me=None, outcome=None, vote=None, can_open_vote=False,
         **fields):
    t = topic(stage, **fields)
    return topic_page(reader(who), t, me=me or ViewerState(), outcome=outcome, vote=vote,
                      can_open_vote=can_open_vote)


def section(stage: Stage, who: str, **flags) -> Section:
    """The outcome section as consult.outcomes.service.section() builds it for ``who``."""
    t, r = topic(stage), reader(who)
    return Section(may_manage=check(r, "topic.manage", t) is None,
                   may_object=check(r, "outcome.object", t), may_rate=check(r, "outcome.rate", t),
                   stage=stage.value, **flags)


def states(action) -> tuple[str, str]:
    return action.kind, action.state


# --- the reader's main action ----------------------------------------------------------------

OPEN_COMMENTS = {"comment_until": NOW + timedelta(days=3)}
CLOSED_COMMENTS = {"comment_until": NOW - timedelta(hours=1)}

EXPECTED_ACTIONS = {
    # stage: {reader: (kind, state)}; stages not listed have no action for anyone
    Stage.PROPOSED: {"visitor": (COSIGN, LOGIN), "resident": (COSIGN, OPEN),
                     "author": (COSIGN, OWN), "secretary": (COSIGN, REFUSED)},
    Stage.COMMENTING: {"visitor": (COMMENT, LOGIN), "resident": (COMMENT, OPEN),
                       # the community's secretary speaks in its topics without a home
                       "author": (COMMENT, OPEN), "secretary": (COMMENT, OPEN)},
    # the office's one thing to do with a proposal waiting for review: review it
    Stage.IN_REVIEW: {"secretary": (REVIEW, OPEN)},
}


@pytest.mark.parametrize("who", READERS)
@pytest.mark.parametrize("stage", list(Stage))
def test_each_stage_gives_each_reader_one_action_or_none(stage, who):
    got = page(stage, who, **(OPEN_COMMENTS if stage is Stage.COMMENTING else {})).action
    want = EXPECTED_ACTIONS.get(stage, {}).get(who)
    if want is None:
        assert got == NO_ACTION
    else:
        assert states(got) == want


def test_a_refusal_says_why_and_a_visitor_is_asked_to_log_in():
    assert page(Stage.PROPOSED, "secretary").action.refusal.code == NOT_VERIFIED
    assert page(Stage.PROPOSED, "secretary").action.message  # shown on the page
    assert page(Stage.PROPOSED, "visitor").action.refusal.code == LOGIN_REQUIRED
    assert page(Stage.PROPOSED, "resident").action.refusal is None
    assert page(Stage.PROPOSED, "resident").action.message == ""


def test_a_resident_who_co_signed_may_take_it_back():
    got = page(Stage.PROPOSED, "resident", me=ViewerState(cosigned=True)).action
    assert states(got) == (COSIGN, DONE)


@pytest.mark.parametrize("who", READERS)
def test_after_the_comment_period_nobody_may_comment_and_logging_in_would_not_help(who):
    got = page(Stage.COMMENTING, who, **CLOSED_COMMENTS).action
    assert states(got) == (COMMENT, REFUSED)
    assert got.refusal.code == "ended"


@pytest.mark.parametrize("who, state", [("visitor", LOGIN), ("resident", OPEN),
                                         ("author", OPEN), ("secretary", OPEN)])
def test_an_open_vote_sends_readers_to_its_page(who, state):
    vote = Vote(opens_at=NOW - timedelta(days=1), closes_at=NOW + timedelta(days=1))
    assert states(page(Stage.VOTING, who, vote=vote).action) == (VOTE, state)


def test_a_vote_not_yet_open_or_closed_asks_nothing():
    later = Vote(opens_at=NOW + timedelta(days=1), closes_at=NOW + timedelta(days=2))
    over = Vote(opens_at=NOW - timedelta(days=2), closes_at=NOW - timedelta(days=1))
    assert page(Stage.VOTING, "resident", vote=later).action == NO_ACTION
    assert page(Stage.VOTING, "resident", vote=over).action == NO_ACTION


@pytest.mark.parametrize("who, state", [("visitor", LOGIN), ("resident", OPEN),
                                         ("author", OPEN), ("secretary", OFFICE)])
def test_during_the_publicity_window_residents_may_object(who, state):
    outcome = section(Stage.PUBLICISED, who, window_open=True)
    assert states(page(Stage.PUBLICISED, who, outcome=outcome).action) == (OBJECT, state)


@pytest.mark.parametrize("who, state", [("visitor", LOGIN), ("resident", OPEN),
                                         ("author", OPEN), ("secretary", OFFICE)])
def test_once_the_implementation_is_done_residents_may_rate_it(who, state):
    outcome = section(Stage.IMPLEMENTING, who, ratings_open=True)
    assert states(page(Stage.IMPLEMENTING, who, outcome=outcome).action) == (RATE, state)


@pytest.mark.parametrize("stage", [Stage.PUBLICISED, Stage.IMPLEMENTING])
def test_with_the_window_and_the_ratings_closed_there_is_nothing_to_do(stage):
    assert page(stage, "resident", outcome=section(stage, "resident")).action == NO_ACTION


# --- the panel, the road and the stage as of now -------------------------------------------------

PANELS = {Stage.DRAFT: "edit_draft", Stage.PROPOSED: "cosign", Stage.IN_REVIEW: "review",
          Stage.COMMENTING: "comment", Stage.REJECTED: "ended", Stage.CLOSED: "ended",
          Stage.WITHDRAWN: "ended"}


@pytest.mark.parametrize("stage", list(Stage))
def test_each_stage_has_its_panel(stage):
    p = page(stage, "resident")
    assert p.panel == PANELS.get(stage, "")
    assert p.ended_title == (ENDED_TITLES[stage] if p.panel == "ended" else "")
    assert p.stage == stage.value


def test_the_road_is_done_up_to_the_stage_and_to_do_after_it():
    road = page(Stage.DELIBERATING, "visitor").road
    assert [s.stage for s in road] == [s.value for s in MAIN_ROAD]
    assert [s.state for s in road] == ["done"] * 3 + ["current"] + ["todo"] * 4


@pytest.mark.parametrize("stage", [Stage.DRAFT, Stage.REJECTED, Stage.WITHDRAWN])
def test_off_the_road_every_stage_is_still_to_do(stage):
    assert {s.state for s in page(stage, "visitor").road} == {"todo"}


def test_an_outcome_whose_window_has_ended_shows_the_stage_it_is_in_now():
    outcome = section(Stage.PUBLICISED, "visitor")
    outcome.stage = Stage.IMPLEMENTING.value  # settled on the page before the scheduler does
    p = page(Stage.PUBLICISED, "visitor", outcome=outcome)
    assert p.stage == Stage.IMPLEMENTING.value
    assert [s.state for s in p.road][5:7] == ["done", "current"]
    assert p.panel == ""  # the panel follows the stored stage


# --- what else the reader may do ----------------------------------------------------------------

@pytest.mark.parametrize("stage", list(Stage))
def test_comments_show_once_the_office_accepted_the_topic(stage):
    shown = stage not in (Stage.DRAFT, Stage.PROPOSED, Stage.IN_REVIEW, Stage.REJECTED,
                          Stage.WITHDRAWN)
    assert page(stage, "visitor").show_comments is shown


@pytest.mark.parametrize("who", READERS)
def test_only_the_office_reviews_a_proposal_in_review(who):
    assert page(Stage.IN_REVIEW, who).can_review is (who == "secretary")
    assert page(Stage.PROPOSED, who).can_review is False


@pytest.mark.parametrize("who", READERS)
def test_the_office_moves_a_topic_to_deliberation_once_comments_have_closed(who):
    assert page(Stage.COMMENTING, who, **CLOSED_COMMENTS).can_deliberate is (who == "secretary")
    assert page(Stage.COMMENTING, who, **OPEN_COMMENTS).can_deliberate is False


@pytest.mark.parametrize("who", READERS)
@pytest.mark.parametrize("stage", list(Stage))
def test_the_author_withdraws_a_public_proposal_before_comments_open(stage, who):
    allowed = who == "author" and stage in (Stage.PROPOSED, Stage.IN_REVIEW)
    assert page(stage, who).can_withdraw is allowed


@pytest.mark.parametrize("who", READERS)
@pytest.mark.parametrize("stage", list(Stage))
def test_anyone_logged_in_follows_a_public_topic(stage, who):
    assert page(stage, who).can_follow is (who != "visitor" and stage is not Stage.DRAFT)


def test_following_and_the_vote_section_come_from_what_the_page_read():
    assert page(Stage.COMMENTING, "resident", me=ViewerState(following=True)).following
    assert not page(Stage.COMMENTING, "resident").following
    assert not page(Stage.DELIBERATING, "secretary").show_vote
    p = page(Stage.DELIBERATING, "secretary", can_open_vote=True)
    assert p.show_vote and p.can_open_vote
    vote = Vote(opens_at=NOW - timedelta(days=2), closes_at=NOW - timedelta(days=1))
    assert page(Stage.VOTING, "visitor", vote=vote).show_vote


def test_the_model_runs_no_query(monkeypatch):
    """Everything comes from its arguments and the cached standing of the reader."""
    from consult import permissions

    def no_loading(user):
        raise AssertionError("the page model loaded a membership")

    monkeypatch.setattr(permissions, "load_membership", no_loading)
    for stage in Stage:
        for who in READERS:
            queries.topic_page(reader(who), topic(stage, **OPEN_COMMENTS), me=ViewerState())
