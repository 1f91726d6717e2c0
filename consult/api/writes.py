"""Resident writes (a token needed): propose, co-sign, comment and reply, react, vote, reserve
and cancel a studio slot. Each calls the same service function as the web page, which checks
the permission table and the rules; its refusal becomes a problem document
(consult/api/core.py):

* a refusal by the permission table → 403 (``forbidden``);
* an error that names a field → 422 (``validation``), the input breaks the document;
* any other refusal (wrong stage, period over, slot just taken, already co-signed) → 409,
  and so is a value the document allows but the server's data does not (an option that is
  not the vote's, a slot of another day; ``refused_as`` in consult/api/core.py), or 403 for
  a scope the user does not live in.
"""
from __future__ import annotations

from flask_babel import gettext as _

from consult.api import schemas as s
from consult.api.core import (
    TOKEN, answer, bp, not_found, read, refused_as, require_user, write,
)
from consult.api.reads import comment_shape, public_topic, reactions, receipt, topic_detail
from consult.api.schemas import (
    BallotBody, CancelVoteBody, CommentBody, CommentPath, ProposalBody, ReactionBody, ReservationBody,
    ReservationPath, SessionPath, TopicPath, VotePath,
)
from consult.extensions import db
from consult.ratelimits import ballot_limit, comment_limit, reservation_limit


# --- topics ------------------------------------------------------------------------------------

@bp.post("/topics", **write(s.Topic, "Topics", "Propose a topic (and submit it for co-signing)"))
@refused_as(scope="forbidden")  # a scope the user does not live in
def propose(body: ProposalBody):
    from consult.topics import service

    user = require_user()
    topic = service.save_draft(user, title=body.title, description=body.description,
                               category=body.category, scope_key=body.scope)
    if body.submit:
        service.submit(user, topic)
    return answer(topic_detail(public_topic(topic.id, user)), 201)


@bp.post("/topics/<int:topic_id>/cosignatures", **write(s.CosignResult, "Topics",
                                                        "Co-sign a proposal"))
def cosign(path: TopicPath):
    from consult.topics import service

    user = require_user()
    topic = public_topic(path.topic_id, user)
    to_review = service.cosign(user, topic)
    return answer(s.CosignResult(topic_id=topic.id, cosign_count=topic.cosign_count,
                                 stage=topic.stage, sent_to_review=to_review), 201)


@bp.delete("/topics/<int:topic_id>/cosignatures/mine", **write(
    None, "Topics", "Withdraw one's co-signature", status="204"))
def withdraw_cosignature(path: TopicPath):
    from consult.topics import service

    user = require_user()
    service.withdraw_cosignature(user, public_topic(path.topic_id, user))
    return "", 204


def _post_comment(topic, user, body: CommentBody, parent_id):
    from consult.topics import comments

    comment = comments.post(user, topic, body.body, parent_id=parent_id,
                            official=body.official)
    return answer(comment_shape(comments.comment_view(user, comment)), 201)


@bp.post("/topics/<int:topic_id>/comments", **write(
    s.Comment, "Comments", "Comment on a topic in its open comment period"))
@comment_limit
@refused_as(body="conflict")  # too many comments this minute (a blank one is refused before)
def comment(path: TopicPath, body: CommentBody):
    user = require_user()
    return _post_comment(public_topic(path.topic_id, user), user, body, None)


def _comment_or_404(comment_id: int):
    from consult.topics.models import Comment

    return db.session.get(Comment, comment_id) or not_found(_("There is no such comment."))


@bp.post("/comments/<int:comment_id>/replies", **write(
    s.Comment, "Comments", "Reply to a comment (replies are one level deep)"))
@comment_limit
@refused_as(body="conflict")  # too many this minute; the comment is no longer shown
def reply(path: CommentPath, body: CommentBody):
    user = require_user()
    parent = _comment_or_404(path.comment_id)
    return _post_comment(public_topic(parent.topic_id, user), user, body, parent.id)


@bp.put("/comments/<int:comment_id>/reaction", **write(
    s.ReactionResult, "Comments", "Agree, disagree, pass, or take one's reaction back (none)",
    status="200"))
def react(path: CommentPath, body: ReactionBody):
    from consult.topics import comments

    user = require_user()
    c = _comment_or_404(path.comment_id)
    public_topic(c.topic_id, user)
    value = comments.react(user, c, body.value)
    return answer(s.ReactionResult(comment_id=c.id, my_reaction=value, reactions=reactions(c)))


# --- votes -------------------------------------------------------------------------------------

@bp.post("/votes/<int:vote_id>/ballots", **write(
    s.BallotResult, "Votes", "Cast or change one's ballot; the answer holds the receipt(s)",
    description=s.BallotResult.__doc__))
@ballot_limit
@refused_as(option="conflict")  # not one of this vote's options
def cast(path: VotePath, body: BallotBody):
    from consult.api.reads import vote_or_404
    from consult.votes import service

    user = require_user()
    ballots = service.cast(user, vote_or_404(path.vote_id), body.option,
                           replace_other=body.replace_other)
    return answer(s.BallotResult(vote_id=path.vote_id, option=body.option,
                                 receipts=[receipt(b) for b in ballots]), 201)


@bp.post("/votes/<int:vote_id>/cancel", **write(
    s.Vote, "Votes", "Cancel an announced or open vote with a public reason (secretaries)",
    status="200"))
def cancel_vote(path: VotePath, body: CancelVoteBody):
    from consult.api.reads import vote_or_404, vote_shape
    from consult.votes import service

    user = require_user()
    vote = service.cancel_vote(user, vote_or_404(path.vote_id), body.reason)
    return answer(vote_shape(vote, user))


# --- studios -----------------------------------------------------------------------------------

def reservation_shape(r) -> s.Reservation:
    return s.Reservation(id=r.id, session_id=r.session_id, slot_start=r.slot_start,
                         slot_end=r.slot_end, category=r.category, matter=r.matter,
                         cancelled=r.cancelled_at is not None, created_at=r.created_at)


@bp.post("/studio-sessions/<int:session_id>/reservations", **write(
    s.Reservation, "Studios", "Reserve a free slot and say what the matter is"))
@reservation_limit
@refused_as(slot="conflict")  # not a slot of this session, begun, or one too many
def reserve(path: SessionPath, body: ReservationBody):
    from consult.studios import queries, reception

    user = require_user()
    session = queries.session_by_id(path.session_id) or not_found(
        _("There is no such session."))
    reservation = reception.reserve(user, session, body.slot, body.category, body.matter)
    return answer(reservation_shape(reservation), 201)


@bp.get("/me/reservations", **read(s.ReservationList, "Studios",
                                   "The user's studio reservations", not_found=False,
                                   security=TOKEN))
def my_reservations():
    from consult.studios import queries

    user = require_user()
    return answer(s.ReservationList(items=[reservation_shape(r)
                                           for r in queries.reservations_of(user.id)]))


@bp.delete("/reservations/<int:reservation_id>", **write(
    None, "Studios", "Cancel one's reservation (until two hours before the slot)",
    status="204"))
def cancel_reservation(path: ReservationPath):
    from consult.studios import reception
    from consult.studios.models import Reservation

    user = require_user()
    r = db.session.get(Reservation, path.reservation_id)
    if r is None or r.resident_id != user.id:  # someone else's: not even its existence
        not_found(_("There is no such reservation."))
    reception.cancel_reservation(user, r)
    return "", 204
