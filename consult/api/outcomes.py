"""Outcomes in the API (issue 6 in issue 8): a topic's publicised outcome with its objections,
implementation and ratings; a community's outcomes board; lodging an objection and rating the
implementation. The secretary's side (issue 15): the decision suggested from the vote, publishing
the outcome, extending its publicity window, answering (or upholding) an objection, and the
implementation's plan, progress and end.

Reads call what the pages call (:func:`consult.outcomes.service.section` for the topic page's
section, :func:`consult.outcomes.board.entries` for the board) and write nothing; writes call
:func:`~consult.outcomes.service.lodge_objection` and :func:`~consult.outcomes.service.rate`,
which check the permission table first (403), then the rules: a wrong moment (window or rating
period) is 409, wrong input 422.
"""
from __future__ import annotations

from flask_babel import gettext as _

from consult.api import schemas as s
from consult.api.core import (
    TOKEN, answer, bp, not_found, page_of, read, refused_as, require_user, token_user, write,
)
from consult.api.reads import person, public_topic
from consult.api.schemas import (
    CommunityPath, DoneBody, ObjectionAnswerBody, ObjectionBody, ObjectionPath, Paging, PlanBody,
    ProgressBody, PublicityBody, PublishBody, RatingBody, TopicPath,
)
from consult.community.models import Community
from consult.extensions import db
from consult.outcomes.service import RATING_DAYS
from consult.ratelimits import objection_limit
from consult.refusals import Refused
from consult.topics.lifecycle import stage_label


# --- shapes -----------------------------------------------------------------------------------

def ratings_shape(summary) -> s.RatingSummary:
    return s.RatingSummary(
        count=summary.count, average=summary.average_display or None,
        distribution={str(stars): n for stars, n in summary.distribution.items()})


def objection_shape(ob) -> s.Objection:
    return s.Objection(id=ob.id, author=person(ob.author), body=ob.body,
                       created_at=ob.created_at, upheld=bool(ob.upheld),
                       answer=ob.answer if ob.answered_at is not None else None,
                       answered_at=ob.answered_at)


def rating_fields(r) -> dict:
    return {"stars": r.stars, "comment": r.comment, "created_at": r.created_at,
            "updated_at": r.updated_at}


def outcome_shape(topic, sec, viewer) -> s.Outcome:
    """The topic page's outcome section (:class:`consult.outcomes.service.Section`)."""
    o = sec.outcome
    implementation = None
    if sec.status == "effective" and o.act:  # as the page: only a decision to act is done
        implementation = s.Implementation(
            responsible=o.responsible or None, target_date=o.target_date,
            percent=sec.percent, done_at=o.done_at, overdue=sec.overdue,
            progress=[s.ProgressUpdate(percent=p.percent, body=p.body, at=p.at,
                                       author=person(p.author)) for p in sec.progress])
    mine = {} if viewer is None else {"my_rating": s.MyRating(**rating_fields(sec.my_rating))
                                      if sec.my_rating is not None else None}
    return s.Outcome(
        id=o.id, topic_id=topic.id, topic_stage=topic.stage, vote_id=o.vote_id,
        decision=o.decision, act=bool(o.act), status=sec.status,
        published_at=o.published_at, window_ends_at=o.window_ends_at,
        window_open=sec.window_open, settled_at=o.settled_at,
        objections=[objection_shape(ob) for ob in sec.objections],
        implementation=implementation,
        ratings=ratings_shape(sec.ratings) if sec.ratings is not None else None,
        ratings_open=sec.ratings_open, ratings_until=o.ratings_until,
        can_object=sec.window_open and sec.may_object is None,
        can_rate=sec.ratings_open and sec.may_rate is None, **mine)


def entry_shape(e) -> s.OutcomeEntry:
    o = e.outcome
    return s.OutcomeEntry(
        id=o.id, topic=s.OutcomeTopic(id=o.topic_id, title=o.topic.title, stage=o.topic.stage,
                                      stage_label=stage_label(o.topic.stage)),
        decision=o.decision, act=bool(o.act), status=e.status, status_text=e.status_text,
        published_at=o.published_at, window_ends_at=o.window_ends_at, window_open=e.current,
        percent=e.percent, done_at=o.done_at, overdue=e.overdue,
        ratings=ratings_shape(e.ratings))


# --- reads ------------------------------------------------------------------------------------

@bp.get("/topics/<int:topic_id>/outcome", **read(
    s.Outcome, "Outcomes", "A topic's publicised outcome with objections and answers, "
    "implementation progress and the ratings summary (404 before an outcome is published)"))
def topic_outcome(path: TopicPath):
    from consult.outcomes import service

    viewer = token_user()
    topic = public_topic(path.topic_id, viewer)
    sec = service.section(viewer, topic)
    if sec.outcome is None:
        not_found(_("There is no publicised outcome."))  # reuses a translated message
    return answer(outcome_shape(topic, sec, viewer))


@bp.get("/communities/<int:community_id>/outcomes", **read(
    s.OutcomePage, "Outcomes", "A community's outcomes board, newest first"))
def community_outcomes(path: CommunityPath, query: Paging):
    from consult.outcomes import board

    community = db.session.get(Community, path.community_id)
    if community is None:
        not_found(_("There is no such community."))
    items = [entry_shape(e) for e in board.entries(community.id, limit=None)]
    return answer(s.OutcomePage(**page_of(items, query)))


# --- writes -----------------------------------------------------------------------------------

@bp.post("/topics/<int:topic_id>/objections", **write(
    s.Objection, "Outcomes", "Lodge an objection to the outcome during its publicity window"))
@objection_limit
def lodge_objection(path: TopicPath, body: ObjectionBody):
    from consult.outcomes import service

    user = require_user()
    topic = public_topic(path.topic_id, user)
    try:
        objection = service.lodge_objection(user, topic, body.body)
    except Refused as error:
        if error.field == "objection":  # the web form's field is the API's "body"
            error.field = "body"
        raise
    return answer(objection_shape(objection), 201)


@bp.put("/topics/<int:topic_id>/rating", **write(
    s.RatingResult, "Outcomes",
    "Rate the implementation (1-5 stars) while ratings are open; again to change it",
    status="200", description=f"Ratings open for {RATING_DAYS} days once the implementation "
                              "is marked done."))
def rate(path: TopicPath, body: RatingBody):
    from consult.outcomes import service

    user = require_user()
    topic = public_topic(path.topic_id, user)
    rating = service.rate(user, topic, body.stars, body.comment)
    return answer(s.RatingResult(topic_id=topic.id, **rating_fields(rating),
                                 ratings=ratings_shape(service.rating_summary(
                                     rating.outcome_id))))


# --- the secretary's side (issue 15) -----------------------------------------------------------
# Each calls the service the topic page's forms call; the service checks the permission table
# (403: not an office holder of the topic's community), then the topic's stage (409).

def _managed(topic_id: int):
    """The user and the topic they act on (404 for a draft or no topic)."""
    user = require_user()
    return user, public_topic(topic_id, user)


def _outcome_now(topic, user):
    from consult.outcomes import service

    return answer(outcome_shape(topic, service.section(user, topic), user))


@bp.get("/topics/<int:topic_id>/outcome/draft", **read(
    s.DraftDecision, "Outcomes", "The decision suggested from the closed vote, for the "
    "publish form (office holders of the topic's community)", extra=("403",), security=TOKEN))
def outcome_draft(path: TopicPath):
    from consult.outcomes import service
    from consult.permissions import check
    from consult.topics import lifecycle

    user = token_user()
    topic = public_topic(path.topic_id, user)
    if (r := check(user, "topic.manage", topic)) is not None:
        raise Refused.forbidden(r.message, r.code)
    draft = service.draft_decision(topic)
    why = lifecycle.refusal(user, topic, "publish_outcome")
    return answer(s.DraftDecision(
        topic_id=topic.id, decision=draft.decision, act=draft.act,
        days=service.WINDOW_DAYS_DEFAULT, days_min=service.WINDOW_DAYS_MIN,
        days_max=service.WINDOW_DAYS_MAX, may_publish=why is None,
        refusal=str(why) if why is not None else None))


@bp.post("/topics/<int:topic_id>/outcome", **write(
    s.Outcome, "Outcomes", "Publish the outcome of the topic's closed, valid vote for a "
    "publicity window (office holders)"))
def publish_outcome(path: TopicPath, body: PublishBody):
    from consult.outcomes import service

    user, topic = _managed(path.topic_id)
    service.publish(user, topic, body.decision, body.days, act=body.act)
    return answer(outcome_shape(topic, service.section(user, topic), user), 201)


@bp.post("/topics/<int:topic_id>/outcome/publicity", **write(
    s.Outcome, "Outcomes", "Extend the publicity window with a public reason (office "
    "holders)", status="200"))
@refused_as(until="conflict")  # not later than the current end, or too far (the rules)
def extend_publicity(path: TopicPath, body: PublicityBody):
    from consult.outcomes import service

    user, topic = _managed(path.topic_id)
    service.extend_publicity(user, topic, body.until, body.reason)
    return _outcome_now(topic, user)


@bp.post("/objections/<int:objection_id>/answer", **write(
    s.Objection, "Outcomes", "Answer an objection publicly, or uphold it (office holders)",
    status="200"))
@refused_as(answer="conflict")  # answered already, or the window ended (a blank one is 422)
def answer_objection(path: ObjectionPath, body: ObjectionAnswerBody):
    from consult.outcomes import service
    from consult.outcomes.models import Objection, Outcome

    user = require_user()
    objection = db.session.get(Objection, path.objection_id) or not_found(
        _("There is no such objection."))
    public_topic(db.session.get(Outcome, objection.outcome_id).topic_id, user)
    service.answer_objection(user, objection, body.answer, uphold=body.uphold)
    return answer(objection_shape(objection))


@bp.put("/topics/<int:topic_id>/implementation/plan", **write(
    s.Outcome, "Outcomes", "Name who is responsible for the implementation and the target "
    "date (office holders)", status="200"))
def plan_implementation(path: TopicPath, body: PlanBody):
    from consult.outcomes import service

    user, topic = _managed(path.topic_id)
    service.plan(user, topic, body.responsible, body.target_date)
    return _outcome_now(topic, user)


@bp.post("/topics/<int:topic_id>/implementation/progress", **write(
    s.ProgressUpdate, "Outcomes", "Post progress on the implementation; followers are "
    "notified (office holders)"))
def post_progress(path: TopicPath, body: ProgressBody):
    from consult.outcomes import service

    user, topic = _managed(path.topic_id)
    try:
        update = service.post_progress(user, topic, body.body, body.percent)
    except Refused as error:
        if error.field == "progress":  # the web form's field is the API's "body"
            error.field = "body"
        raise
    return answer(s.ProgressUpdate(percent=update.percent, body=update.body, at=update.at,
                                   author=person(user)), 201)


@bp.post("/topics/<int:topic_id>/implementation/done", **write(
    s.Outcome, "Outcomes", "Mark the implementation done: residents may rate it for "
    f"{RATING_DAYS} days (office holders)", status="200"))
def implementation_done(path: TopicPath, body: DoneBody):
    from consult.outcomes import service

    user, topic = _managed(path.topic_id)
    service.mark_done(user, topic, body.note)
    return _outcome_now(topic, user)
