"""Resident writes (a token needed): propose, co-sign, comment and reply, react, vote, reserve
and cancel a studio slot. Each calls the same service function as the web page; the refusals
of those functions become problem documents:

* a refusal by the permission table (checked first, as the pages do) → 403 (``forbidden``);
* an error that names a field → 422 (``validation``);
* any other refusal (wrong stage, period over, slot just taken, already co-signed) → 409.
"""
from __future__ import annotations

from contextlib import contextmanager

from flask import jsonify
from flask_babel import gettext as _

from consult.api.core import ApiError, bp, iso, json_body, refuse, require_user, text_field
from consult.api.reads import comment_json, not_found, public_topic, topic_detail
from consult.extensions import db
from consult.permissions import check
from consult.ratelimits import ballot_limit, comment_limit, reservation_limit


@contextmanager
def refusals():
    """Run a service call. Its refusal (:class:`consult.refusals.Refused`) becomes a problem
    document in consult/api/core.py, as any refusal raised in the API does; this only names
    the call that may refuse."""
    yield


def created(body: dict, status: int = 201):
    db.session.commit()
    response = jsonify(body)
    response.status_code = status
    return response


# --- topics ------------------------------------------------------------------------------------

@bp.route("/topics", methods=["POST"])
def propose():
    from consult.topics import service

    user = require_user()
    data = json_body()
    refuse(check(user, "topic.propose"))
    submit = data.get("submit", True)
    if not isinstance(submit, bool):
        raise ApiError("validation", _("Give true or false."), field="submit")
    with refusals():
        topic = service.save_draft(
            user, title=text_field(data, "title"), description=text_field(data, "description"),
            category=text_field(data, "category"), scope_key=text_field(data, "scope"))
        if submit:
            service.submit(topic, user)
    db.session.commit()
    return created(topic_detail(public_topic(topic.id, user)))


@bp.route("/topics/<int:topic_id>/cosignatures", methods=["POST"])
def cosign(topic_id: int):
    from consult.topics import service

    user = require_user()
    topic = public_topic(topic_id, user)
    refuse(check(user, "topic.participate", topic))
    with refusals():
        to_review = service.cosign(topic, user)
    db.session.commit()
    return created({"topic_id": topic.id, "cosign_count": topic.cosign_count,
                    "stage": topic.stage, "sent_to_review": to_review})


@bp.route("/topics/<int:topic_id>/cosignatures/mine", methods=["DELETE"])
def withdraw_cosignature(topic_id: int):
    from consult.topics import service

    user = require_user()
    topic = public_topic(topic_id, user)
    with refusals():
        service.withdraw_cosignature(topic, user)
    db.session.commit()
    return "", 204


def _post_comment(topic, user, data, parent_id):
    from consult.topics import comments

    refuse(check(user, "topic.participate", topic))
    with refusals():
        comment = comments.post(topic, user, text_field(data, "body"), parent_id=parent_id)
    db.session.commit()
    return created(comment_json(comments.comment_view(comment, user)))


@bp.route("/topics/<int:topic_id>/comments", methods=["POST"])
@comment_limit
def comment(topic_id: int):
    user = require_user()
    topic = public_topic(topic_id, user)
    data = json_body()
    return _post_comment(topic, user, data, None)


def _comment_or_404(comment_id: int):
    from consult.topics.models import Comment

    c = db.session.get(Comment, comment_id)
    if c is None:
        not_found(_("There is no such comment."))
    return c


@bp.route("/comments/<int:comment_id>/replies", methods=["POST"])
@comment_limit
def reply(comment_id: int):
    user = require_user()
    parent = _comment_or_404(comment_id)
    topic = public_topic(parent.topic_id, user)
    data = json_body()
    return _post_comment(topic, user, data, parent.id)


@bp.route("/comments/<int:comment_id>/reaction", methods=["PUT"])
def react(comment_id: int):
    from consult.topics import comments

    user = require_user()
    c = _comment_or_404(comment_id)
    topic = public_topic(c.topic_id, user)
    data = json_body()
    refuse(check(user, "topic.participate", topic))
    with refusals():
        value = comments.react(c, user, text_field(data, "value"))
    db.session.commit()
    return jsonify({"comment_id": c.id, "my_reaction": value,
                    "reactions": {"agree": c.agree_count, "disagree": c.disagree_count,
                                  "pass": c.pass_count}})


# --- votes -------------------------------------------------------------------------------------

@bp.route("/votes/<int:vote_id>/ballots", methods=["POST"])
@ballot_limit
def cast(vote_id: int):
    from consult.api.reads import _vote_or_404
    from consult.votes import service

    user = require_user()
    vote = _vote_or_404(vote_id)
    data = json_body()
    option = text_field(data, "option")
    with refusals():
        ballots = service.cast(vote, user, option)
    body = {"vote_id": vote.id, "option": option,
            "receipts": [{"tracker": b.tracker, "option": b.option, "cast_at": iso(b.cast_at)}
                         for b in ballots]}
    return created(body)


# --- studios -----------------------------------------------------------------------------------

def reservation_json(r) -> dict:
    return {"id": r.id, "session_id": r.session_id, "slot_start": iso(r.slot_start),
            "slot_end": iso(r.slot_end), "category": r.category, "matter": r.matter,
            "cancelled": r.cancelled_at is not None, "created_at": iso(r.created_at)}


@bp.route("/studio-sessions/<int:session_id>/reservations", methods=["POST"])
@reservation_limit
def reserve(session_id: int):
    from consult.studios import queries, reception

    user = require_user()
    session = queries.session_by_id(session_id) or not_found(_("There is no such session."))
    data = json_body()
    refuse(check(user, "studio.reserve", session))
    with refusals():
        reservation = reception.reserve(user, session, text_field(data, "slot"),
                                        text_field(data, "category"),
                                        text_field(data, "matter"))
    return created(reservation_json(reservation))


@bp.route("/me/reservations")
def my_reservations():
    from consult.studios import queries

    user = require_user()
    return jsonify({"items": [reservation_json(r) for r in queries.reservations_of(user.id)]})


@bp.route("/reservations/<int:reservation_id>", methods=["DELETE"])
def cancel_reservation(reservation_id: int):
    from consult.studios import reception
    from consult.studios.models import Reservation

    user = require_user()
    r = db.session.get(Reservation, reservation_id)
    if r is None or r.resident_id != user.id:  # someone else's: not even its existence
        not_found(_("There is no such reservation."))
    with refusals():
        reception.cancel_reservation(user, r)
    db.session.commit()
    return "", 204
