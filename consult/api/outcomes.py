"""Outcomes in the API (issue 6 in issue 8): a topic's publicised outcome with its objections,
implementation and ratings; a community's outcomes board; lodging an objection and rating the
implementation.

Reads call what the pages call (:func:`consult.outcomes.service.section` for the topic page's
section, :func:`consult.outcomes.board.entries` for the board) and write nothing; writes call :func:`~consult.outcomes.service.lodge_objection` and
:func:`~consult.outcomes.service.rate`. The permission table is checked first (403), then the
rules answer: a wrong moment (window or rating period) is 409, wrong input 422.
"""
from __future__ import annotations

from contextlib import contextmanager

from flask import jsonify
from flask_babel import gettext as _

from consult.api.core import ApiError, bp, iso, json_body, page_of, paging, refuse, \
    require_user, text_field, token_user
from consult.api.reads import not_found, person, public_topic
from consult.api.writes import created, refusals
from consult.community.models import Community
from consult.extensions import db
from consult.refusals import Refused
from consult.permissions import check
from consult.ratelimits import objection_limit
from consult.topics.lifecycle import stage_label


# --- shapes -----------------------------------------------------------------------------------

def ratings_json(summary) -> dict:
    return {"count": summary.count, "average": summary.average_display or None,
            "distribution": {str(stars): n for stars, n in summary.distribution.items()}}


def objection_json(ob) -> dict:
    return {"id": ob.id, "author": person(ob.author), "body": ob.body,
            "created_at": iso(ob.created_at), "upheld": bool(ob.upheld),
            "answer": ob.answer if ob.answered_at is not None else None,
            "answered_at": iso(ob.answered_at)}


def progress_json(p) -> dict:
    return {"percent": p.percent, "body": p.body, "at": iso(p.at), "author": person(p.author)}


def rating_json(r) -> dict:
    return {"stars": r.stars, "comment": r.comment, "created_at": iso(r.created_at),
            "updated_at": iso(r.updated_at)}


def outcome_json(topic, s, viewer) -> dict:
    """The topic page's outcome section (:class:`consult.outcomes.service.Section`)."""
    o = s.outcome
    implementation = None
    if s.status == "effective" and o.act:  # as the page: only a decision to act is implemented
        implementation = {
            "responsible": o.responsible or None,
            "target_date": o.target_date.isoformat() if o.target_date else None,
            "percent": s.percent, "done_at": iso(o.done_at), "overdue": s.overdue,
            "progress": [progress_json(p) for p in s.progress]}
    body = {
        "id": o.id, "topic_id": topic.id, "topic_stage": topic.stage, "vote_id": o.vote_id,
        "decision": o.decision, "act": bool(o.act), "status": s.status,
        "published_at": iso(o.published_at), "window_ends_at": iso(o.window_ends_at),
        "window_open": s.window_open, "settled_at": iso(o.settled_at),
        "objections": [objection_json(ob) for ob in s.objections],
        "implementation": implementation,
        "ratings": ratings_json(s.ratings) if s.ratings is not None else None,
        "ratings_open": s.ratings_open, "ratings_until": iso(o.ratings_until),
        "can_object": s.window_open and s.may_object is None,
        "can_rate": s.ratings_open and s.may_rate is None,
    }
    if viewer is not None:
        body["my_rating"] = rating_json(s.my_rating) if s.my_rating is not None else None
    return body


def entry_json(e) -> dict:
    o = e.outcome
    return {
        "id": o.id, "topic": {"id": o.topic_id, "title": o.topic.title, "stage": o.topic.stage,
                              "stage_label": stage_label(o.topic.stage)},
        "decision": o.decision, "act": bool(o.act), "status": e.status,
        "status_text": e.status_text, "published_at": iso(o.published_at),
        "window_ends_at": iso(o.window_ends_at), "window_open": e.current,
        "percent": e.percent, "done_at": iso(o.done_at), "overdue": e.overdue,
        "ratings": ratings_json(e.ratings)}


# --- reads ------------------------------------------------------------------------------------

def _section(topic, viewer):
    from consult.outcomes import service

    s = service.section(topic, viewer)
    if s.outcome is None:
        not_found(_("There is no publicised outcome."))  # reuses a translated message
    return s


@bp.route("/topics/<int:topic_id>/outcome")
def topic_outcome(topic_id: int):
    viewer = token_user()
    topic = public_topic(topic_id, viewer)
    return jsonify(outcome_json(topic, _section(topic, viewer), viewer))


@bp.route("/communities/<int:community_id>/outcomes")
def community_outcomes(community_id: int):
    from consult.outcomes import board

    community = db.session.get(Community, community_id)
    if community is None:
        not_found(_("There is no such community."))
    page, per_page = paging()
    items = [entry_json(e) for e in board.entries(community.id, limit=None)]
    return jsonify(page_of(items, page, per_page))


# --- writes -----------------------------------------------------------------------------------

@contextmanager
def _field_named(rule_field: str, api_field: str):
    """The rules name the web form's field; the API names its JSON member."""
    try:
        yield
    except (ApiError, Refused) as error:
        if error.field == rule_field:
            error.field = api_field
        raise


@bp.route("/topics/<int:topic_id>/objections", methods=["POST"])
@objection_limit
def lodge_objection(topic_id: int):
    from consult.outcomes import service

    user = require_user()
    topic = public_topic(topic_id, user)
    data = json_body()
    refuse(check(user, "outcome.object", topic))
    with _field_named("objection", "body"), refusals():
        objection = service.lodge_objection(topic, user, text_field(data, "body"))
    return created(objection_json(objection))


@bp.route("/topics/<int:topic_id>/rating", methods=["PUT"])
def rate(topic_id: int):
    from consult.outcomes import service

    user = require_user()
    topic = public_topic(topic_id, user)
    data = json_body()
    refuse(check(user, "outcome.rate", topic))
    stars = data.get("stars")
    if isinstance(stars, bool) or not isinstance(stars, int):
        stars = None  # the rules refuse it (after the rating period, which comes first)
    comment = text_field(data, "comment", required=False)
    with refusals():
        rating = service.rate(topic, user, stars, comment)
    db.session.commit()
    return jsonify({"topic_id": topic.id, **rating_json(rating),
                    "ratings": ratings_json(service.rating_summary(rating.outcome_id))})
