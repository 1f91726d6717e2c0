"""The secretary's agenda in the API (issue 15): review a proposal, close or extend its comment
period, schedule, move and cancel a meeting, write and publish its minutes, open a vote and
store its result; with the reads a client needs to drive them (a community's halls, the topics
that may go on an agenda, the draft of the minutes).

Each write calls the service function the page calls, which checks the permission table (a
refusal there is 403) and its rules. The body models state the shape; what a service still
refuses about a field the document allows depends on the server's data or the clock (a hall
of another community, a day now past, a comment period that has not run three days, a topic
already moved on), so it is answered 409 (``refused_as``), as a wrong stage is.
"""
from __future__ import annotations

from flask_babel import gettext as _

from consult.api import schemas as s
from consult.api.core import (
    TOKEN, ApiError, answer, bp, not_found, read, refused_as, require_user, write,
)
from consult.api.reads import (
    meeting_detail, public_topic, topic_detail, topic_summary, vote_or_404, vote_shape,
)
from consult.api.schemas import (
    AcceptBody, CancelMeetingBody, CommentPeriodBody, CommunityPath, MeetingPath,
    MinutesDraftBody, OpenVoteBody, RejectBody, RescheduleBody, ScheduleBody, TopicPath, VotePath,
)
from consult.community.models import Community
from consult.extensions import db
from consult.refusals import Refused


def _community_or_404(community_id: int) -> Community:
    return db.session.get(Community, community_id) or not_found(
        _("There is no such community."))


def _topic_now(topic):
    """The topic's detail with the step just made in its timeline."""
    db.session.flush()
    db.session.expire(topic, ["stage_changes"])
    return topic_detail(topic)


def _meeting_or_404(meeting_id: int):
    from consult.halls import queries

    return queries.meeting_by_id(meeting_id) or not_found(_("There is no such meeting."))


# --- reviewing a proposal and its comment period -------------------------------------------------

@bp.post("/topics/<int:topic_id>/acceptance", **write(
    s.Topic, "Topics", "Accept a proposal in review: its comment period opens (secretaries)",
    status="200", description="As the topic page's Accept: the topic goes to `commenting` "
    "until now + `days`; the timeline and the audit log show it and its followers are told."))
def accept_proposal(path: TopicPath, body: AcceptBody):
    from consult.topics import service

    user = require_user()
    topic = public_topic(path.topic_id, user)
    service.accept(user, topic, body.days)
    return answer(_topic_now(topic))


@bp.post("/topics/<int:topic_id>/rejection", **write(
    s.Topic, "Topics", "Reject a proposal in review with a public reason (secretaries)",
    status="200", description="As the topic page's Reject: the topic goes to `rejected`; the "
    "reason is shown on it (`closing_reason`, the timeline) and its followers are told."))
def reject_proposal(path: TopicPath, body: RejectBody):
    from consult.topics import service

    user = require_user()
    topic = public_topic(path.topic_id, user)
    service.reject(user, topic, body.reason)
    return answer(_topic_now(topic))


@bp.post("/topics/<int:topic_id>/comment-period", **write(
    s.Topic, "Topics", "Close a comment period early, or extend it, with a public reason "
                       "(secretaries)", status="200", description=CommentPeriodBody.__doc__))
@refused_as(reason="conflict", until="conflict")  # too soon to close; an end the rules refuse
def comment_period(path: TopicPath, body: CommentPeriodBody):
    from consult.topics import service

    user = require_user()
    topic = public_topic(path.topic_id, user)
    if body.action == "close":
        service.close_comments_early(user, topic, body.reason)
    elif body.until is None:  # the document requires it with extend (if/then)
        raise ApiError("validation", _("This field is required."), field="until")
    else:
        service.extend_comments(user, topic, body.until, body.reason)
    return answer(_topic_now(topic))


# --- halls and meetings ------------------------------------------------------------------------

@bp.get("/communities/<int:community_id>/halls", **read(
    s.HallList, "Halls", "A community's deliberation halls"))
def community_halls(path: CommunityPath):
    from consult.halls import queries

    community = _community_or_404(path.community_id)
    items = [s.Hall.model_validate(h) for h in queries.halls_of(community.id)]
    return answer(s.HallList(items=items, total=len(items)))


@bp.get("/communities/<int:community_id>/agenda-candidates", **read(
    s.AgendaCandidateList, "Halls",
    "Topics that may go on a new meeting's agenda: open for comment or in deliberation",
    description="A topic still open for comment may go on an agenda only when its comment "
                "period (`comment_until`) ends before the meeting starts."))
def agenda_candidates(path: CommunityPath):
    from consult.halls import service
    from consult.topics import lifecycle

    community = _community_or_404(path.community_id)
    items = [topic_summary(t, s.AgendaCandidate, comments_open=(
        t.stage == lifecycle.Stage.COMMENTING.value and not lifecycle.comment_period_over(t)))
        for t in service.agenda_candidates(community.id)]
    return answer(s.AgendaCandidateList(items=items, total=len(items)))


def _times(body) -> dict:
    return {"hall_id": body.hall, "day": body.day.isoformat(), "start": body.start,
            "end": body.end, "title": body.title}


@bp.post("/communities/<int:community_id>/meetings", **write(
    s.MeetingDetail, "Halls", "Schedule a meeting with its agenda (secretaries)",
    description=s.ScheduleBody.__doc__ + " `end` must come after `start` (a 422 names `end`)."))
@refused_as(hall="conflict", day="conflict", topics="conflict")
def schedule_meeting(path: CommunityPath, body: ScheduleBody):
    from consult.halls import service

    user = require_user()
    community = _community_or_404(path.community_id)
    meeting = service.schedule_meeting(user, community, topic_ids=body.topics, **_times(body))
    db.session.flush()
    return answer(meeting_detail(_meeting_or_404(meeting.id)), 201)


@bp.put("/meetings/<int:meeting_id>/schedule", **write(
    s.MeetingDetail, "Halls", "Move a meeting: time, hall and title (secretaries)",
    status="200", description=s.RescheduleBody.__doc__ + " `end` must come after `start` (a "
    "422 names `end`)."))
@refused_as(hall="conflict", day="conflict")
def reschedule_meeting(path: MeetingPath, body: RescheduleBody):
    from consult.halls import service

    user = require_user()
    meeting = _meeting_or_404(path.meeting_id)
    service.reschedule_meeting(user, meeting, **_times(body))
    return answer(meeting_detail(meeting))


@bp.post("/meetings/<int:meeting_id>/cancel", **write(
    s.MeetingDetail, "Halls", "Cancel a meeting that has not begun, with a public reason "
                              "(secretaries)", status="200"))
def cancel_meeting(path: MeetingPath, body: CancelMeetingBody):
    from consult.halls import service

    user = require_user()
    meeting = _meeting_or_404(path.meeting_id)
    service.cancel_meeting(user, meeting, body.reason)
    return answer(meeting_detail(meeting))


# --- minutes -----------------------------------------------------------------------------------

def _draft_shape(meeting, draft) -> s.MinutesDraft:
    from consult.api.reads import resolution_shape
    from consult.halls import minutes

    return s.MinutesDraft(
        meeting_id=meeting.id, revision=draft.number, correction_note=draft.note or None,
        present_count=draft.present_count, residents_count=draft.residents_count,
        officials_present=draft.officials_present, body=draft.body, body_html=draft.body_html,
        updated_at=draft.updated_at,
        resolutions=[resolution_shape(r) for r in sorted(draft.resolutions,
                                                         key=lambda r: r.position)],
        problems=[message for _field, message in minutes.problems(meeting, draft)])


def _resolutions_field(view):
    """The minutes' service names a resolution's field ``res-<topic id>-<name>`` (the form's);
    the API's is ``resolutions``."""
    from functools import wraps

    @wraps(view)
    def answering(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except Refused as error:
            if error.field and error.field.startswith("res-"):
                error.field = "resolutions"
            raise

    return answering


@bp.get("/meetings/<int:meeting_id>/minutes/draft", **read(
    s.MinutesDraft, "Halls", "The draft of a meeting's minutes (secretaries)",
    extra=("403",), security=TOKEN,
    description="Only the community's office sees a draft; 404 when there is none (the "
                "published minutes are at /meetings/{meeting_id}/minutes)."))
def minutes_draft(path: MeetingPath):
    from consult.halls import minutes
    from consult.permissions import check

    user = require_user()
    meeting = _meeting_or_404(path.meeting_id)
    if (r := check(user, "meeting.manage", meeting)) is not None:
        raise Refused.forbidden(r.message, r.code)
    draft = minutes.draft_of(minutes.minutes_of(meeting.id))
    if draft is None:
        not_found(_("There is no draft of these minutes."))
    return answer(_draft_shape(meeting, draft))


@bp.put("/meetings/<int:meeting_id>/minutes/draft", **write(
    s.MinutesDraft, "Halls", "Save the draft of a meeting's minutes (secretaries)",
    status="200", description=s.MinutesDraftBody.__doc__ + "\n\n" + s.ResolutionBody.__doc__
    + "\n\n`residents_count` may not be more than `present_count` (a 422 names "
      "`residents_count`). Once published, minutes change only by a correction (on the web); "
      "saving then is 409."))
@_resolutions_field
def save_minutes_draft(path: MeetingPath, body: MinutesDraftBody):
    from consult.halls import minutes

    user = require_user()
    meeting = _meeting_or_404(path.meeting_id)
    given = {r.topic_id: r for r in body.resolutions}
    if len(given) != len(body.resolutions) or not given.keys() <= {
            item.topic_id for item in meeting.agenda}:
        raise Refused(_("Resolutions are for the topics on this meeting's agenda."))

    def value(topic_id: int, name: str):
        r = given.get(topic_id)
        if r is None:
            return None
        if name == "options":
            return "\n".join(r.options)
        return getattr(r, name)

    data = minutes.DraftInput(
        present_count=body.present_count, officials_present=body.officials_present,
        residents_count=body.residents_count, body=body.body,
        resolutions=minutes.resolution_inputs(meeting, value))
    draft = minutes.save_draft(user, meeting, data)
    return answer(_draft_shape(meeting, draft))


@bp.post("/meetings/<int:meeting_id>/minutes/publication", **write(
    s.Minutes, "Halls", "Publish the draft of a meeting's minutes (secretaries)", description=(
        "Once the meeting has begun, and when every agenda topic has a complete resolution "
        "(the draft's `problems` is empty; otherwise 409 naming `resolutions`). Topics sent "
        "back return to comment, topics with no further action close; a topic put to a vote "
        "waits for POST /topics/{topic_id}/votes.")))
@refused_as(resolutions="conflict")  # the draft is incomplete: its state, not this request
@_resolutions_field
def publish_minutes(path: MeetingPath):
    from consult.api.reads import minutes_shape
    from consult.halls import minutes

    user = require_user()
    meeting = _meeting_or_404(path.meeting_id)
    revision = minutes.publish(user, meeting)
    return answer(minutes_shape(meeting, revision), 201)


# --- votes -------------------------------------------------------------------------------------

@bp.post("/topics/<int:topic_id>/votes", **write(
    s.Vote, "Votes", "Open (announce) a vote on a topic resolved to be put to a vote "
                     "(secretaries)", description=OpenVoteBody.__doc__ + (
        "\n\nThe answer's vote is being prepared (`ready: false`) until its electorate is "
        "frozen by a background job; it takes ballots once ready and open.")))
@refused_as(options="conflict", rule="conflict", quorum_percent="conflict",
            opens_at="conflict", closes_at="conflict", scope="conflict")
def open_vote(path: TopicPath, body: OpenVoteBody):
    from consult.votes import service

    user = require_user()
    topic = public_topic(path.topic_id, user)
    spec = service.VoteSpec(
        question=body.question, electorate=body.electorate, rule=body.rule,
        scope_key=body.scope, opens_at=body.opens_at, closes_at=body.closes_at,
        options=tuple(body.options) if body.options else service.YES_NO_OPTIONS,
        quorum_percent=body.quorum_percent, secret=body.secret)
    vote = service.open_vote(user, topic, spec)
    db.session.flush()
    return answer(vote_shape(vote, user), 201)


@bp.post("/votes/<int:vote_id>/tally", **write(
    s.Vote, "Votes", "Store the result of a vote whose end has passed (secretaries)",
    status="200", description=(
        "A vote ends at the time announced with it: there is no closing it early (409 before "
        "its end, and for a cancelled vote or one whose electorate is still being prepared). "
        "The result is stored by a job soon after the end; this stores it at once, e.g. to "
        "publish the outcome. Calling it again answers the stored result.")))
def tally_vote(path: VotePath):
    from consult.votes import service

    user = require_user()
    vote = vote_or_404(path.vote_id)
    service.tally(user, vote)
    return answer(vote_shape(vote, user))
