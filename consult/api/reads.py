"""Public reads (no token needed): topics, comments, meetings and minutes, votes, studios.

Each calls the same query functions as the pages. Nothing personal leaves here: people appear
by name only (as on the pages), never with a phone, an e-mail or the unit of a secret ballot.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from consult.api import schemas as s
from consult.api.core import (
    answer, bp, not_found, offset_of, page_of, paged, read, token_user,
)
from consult.api.schemas import (
    CommentQuery, CommunityPath, MeetingPath, MeetingQuery, Paging, RepresentativePath,
    SessionPath, SessionQuery, StudioPath, TopicPath, TopicQuery, VotePath,
)
from consult.clock import utcnow
from consult.community.models import Community
from consult.extensions import db
from consult.refusals import Refused
from consult.topics import comments as topic_comments
from consult.topics import queries as topic_queries
from consult.topics.lifecycle import Stage, stage_label
from consult.topics.models import Topic


# --- shapes -----------------------------------------------------------------------------------

def person(user) -> s.Person | None:
    return s.Person.model_validate(user) if user is not None else None


def topic_summary(t: Topic, shape=s.TopicSummary, **more):
    return shape(
        id=t.id, title=t.title, category=t.category, stage=t.stage,
        stage_label=stage_label(t.stage), community_id=t.community_id, grid_id=t.grid_id,
        building_id=t.building_id, scope=t.scope_level, cosign_count=t.cosign_count,
        comment_count=t.comment_count, answered_at=t.answered_at, submitted_at=t.submitted_at,
        stage_changed_at=t.stage_changed_at, comment_until=t.comment_until, **more)


def topic_detail(t: Topic) -> s.Topic:
    from consult.votes.service import latest_vote

    vote = latest_vote(t.id)
    return topic_summary(
        t, s.Topic, description=t.description, description_html=t.description_html,
        community=t.community.name, cosign_threshold=t.community.cosign_threshold,
        proposer=person(t.proposer), closing_reason=t.closing_reason,
        vote_id=vote.id if vote is not None else None,
        timeline=[s.StageChange(transition=c.transition, from_stage=c.from_stage,
                                to_stage=c.to_stage, at=c.at, actor=person(c.actor),
                                note=c.note) for c in t.stage_changes])


def public_topic(topic_id: int, viewer=None) -> Topic:
    topic = topic_queries.topic_for_page(topic_id)
    if topic is None or (topic.stage == Stage.DRAFT.value
                         and (viewer is None or topic.proposer_id != viewer.id)):
        not_found(_("There is no such topic."))
    return topic


def reactions(c) -> s.ReactionCounts:
    return s.ReactionCounts(agree=c.agree_count, disagree=c.disagree_count, pass_=c.pass_count)


def comment_shape(v) -> s.Comment:
    c = v.comment
    return s.Comment(
        id=c.id, parent_id=c.parent_id, state=v.state,
        author=s.Person(id=c.author_id, name=v.author_name)
        if v.state != topic_comments.WITHDRAWN else None,
        body=c.body if v.show_body else None,
        hidden_reason=c.hidden_reason if v.state == topic_comments.HIDDEN else None,
        created_at=c.created_at, edited_at=c.edited_at, reactions=reactions(c),
        my_reaction=v.my_reaction, official=c.official, author_role=c.author_role,
        replies=[comment_shape(r) for r in v.replies])


# --- communities and topics ---------------------------------------------------------------------

@bp.get("/communities", **read(s.CommunityList, "Communities", "Communities", not_found=False))
def communities():
    rows = db.session.scalars(select(Community).order_by(Community.name)).all()
    return answer(s.CommunityList(items=[s.Community.model_validate(c) for c in rows],
                                  total=len(rows)))


@bp.get("/topics", **read(s.TopicPage, "Topics", "Public topics, newest first",
                          not_found=False))
def topics(query: TopicQuery):
    viewer = token_user()
    f = topic_queries.TopicFilter(
        q=query.q, stage=query.stage or "", category=query.category or "",
        community_id=query.community, area=query.area or "", sort=query.sort, page=query.page,
        per_page=query.per_page)
    result = topic_queries.list_topics(viewer, f)
    items = result.topics if result.page == query.page else []  # past the end: an empty page
    return answer(s.TopicPage(**paged([topic_summary(t) for t in items], result.total, query)))


@bp.get("/topics/<int:topic_id>", **read(s.Topic, "Topics", "A topic with its timeline"))
def topic(path: TopicPath):
    return answer(topic_detail(public_topic(path.topic_id, token_user())))


@bp.get("/topics/<int:topic_id>/comments", **read(
    s.CommentPage, "Comments",
    "Comments with replies and reaction counts (top-level comments paged)",
    description="`items` are top-level comments, each with all its replies (oldest first); "
                "`total` counts the topic's top-level comments, withdrawn and hidden "
                "included. A page past the end has no items."))
def topic_comments_list(path: TopicPath, query: CommentQuery):
    viewer = token_user()
    t = public_topic(path.topic_id, viewer)
    # Paged in SQL: "total" counts every top-level comment, a page past the end is empty.
    found = topic_queries.comment_page(viewer, t, query.sort, query.page, query.per_page)
    thread = found.thread
    return answer(s.CommentPage(
        **paged([comment_shape(v) for v in thread.comments], found.total, query),
        sort=thread.sort, count=found.count, can_comment=thread.can_comment,
        refusal=str(thread.refusal_message) if thread.refusal else None))


# --- halls and meetings --------------------------------------------------------------------------

def meeting_shape(m, published: bool, shape=s.Meeting, **more):
    return shape(
        id=m.id, title=m.title, community_id=m.community_id,
        hall=s.Hall.model_validate(m.hall), starts_at=m.starts_at, ends_at=m.ends_at,
        cancelled=m.cancelled_at is not None, cancel_reason=m.cancel_reason or None,
        minutes_published=published, **more)


@bp.get("/communities/<int:community_id>/meetings", **read(
    s.MeetingPage, "Halls", "Deliberation hall meetings of a community"))
def community_meetings(path: CommunityPath, query: MeetingQuery):
    from consult.halls import queries as hall_queries

    if db.session.get(Community, path.community_id) is None:
        not_found(_("There is no such community."))
    upcoming = query.when == "upcoming"
    finder = hall_queries.upcoming if upcoming else hall_queries.past
    rows = finder(community_id=path.community_id, limit=query.per_page,
                  offset=offset_of(query))
    total = hall_queries.count_meetings(upcoming_=upcoming, community_id=path.community_id)
    published = hall_queries.published_meeting_ids(m.id for m in rows)
    return answer(s.MeetingPage(**paged([meeting_shape(m, m.id in published) for m in rows],
                                        total, query)))


def meeting_detail(m) -> s.MeetingDetail:
    from consult.halls import queries as hall_queries

    seats = hall_queries.seats(m)
    return meeting_shape(
        m, bool(hall_queries.published_meeting_ids([m.id])), s.MeetingDetail,
        agenda=[s.AgendaItem(position=a.position, topic=topic_summary(a.topic))
                for a in m.agenda if a.topic.stage != Stage.DRAFT.value],
        seats=s.Seats(capacity=seats.capacity, confirmed=seats.confirmed,
                      waiting=seats.waiting))


@bp.get("/meetings/<int:meeting_id>", **read(s.MeetingDetail, "Halls",
                                             "A meeting with its agenda and seats"))
def meeting(path: MeetingPath):
    from consult.halls import queries as hall_queries

    m = hall_queries.meeting_by_id(path.meeting_id) or not_found(
        _("There is no such meeting."))
    return answer(meeting_detail(m))


def resolution_shape(r) -> s.Resolution:
    return s.Resolution(
        topic_id=r.topic_id, topic_title=r.topic.title, kind=r.kind or None,
        summary=r.summary, question=r.question or None, options=list(r.options or []),
        reason=r.reason or None, comment_days=r.comment_days)


def minutes_shape(m, revision) -> s.Minutes:
    return s.Minutes(
        meeting_id=m.id, revision=revision.number, published_at=revision.published_at,
        present_count=revision.present_count, residents_count=revision.residents_count,
        officials_present=revision.officials_present, body=revision.body,
        body_html=revision.body_html, correction_note=revision.note or None,
        resolutions=[resolution_shape(r)
                     for r in sorted(revision.resolutions, key=lambda r: r.position)])


@bp.get("/meetings/<int:meeting_id>/minutes", **read(
    s.Minutes, "Halls", "The published minutes (latest revision)"))
def meeting_minutes(path: MeetingPath):
    from consult.halls import minutes as hall_minutes
    from consult.halls import queries as hall_queries

    m = hall_queries.meeting_by_id(path.meeting_id) or not_found(
        _("There is no such meeting."))
    revision = hall_minutes.current(hall_minutes.minutes_of(m.id))
    if revision is None:
        not_found(_("The minutes of this meeting are not published yet."))
    return answer(minutes_shape(m, revision))


# --- votes --------------------------------------------------------------------------------------

def vote_or_404(vote_id: int):
    from consult.votes.models import Vote

    vote = db.session.get(Vote, vote_id)
    if vote is None or vote.topic.stage == Stage.DRAFT.value:
        not_found(_("There is no such vote."))
    return vote


def receipt(ballot) -> s.Receipt:
    return s.Receipt(tracker=ballot.tracker, option=ballot.option, cast_at=ballot.cast_at)


@bp.get("/votes/<int:vote_id>", **read(
    s.Vote, "Votes", "A vote: turnout while open, the result after closing"))
def vote(path: VotePath):
    return answer(vote_shape(vote_or_404(path.vote_id), token_user()))


def vote_status(v, now) -> str:
    if v.cancelled_at is not None:
        return "cancelled"
    return "scheduled" if now < v.opens_at else "open" if v.is_open(now) else "closed"


def vote_shape(v, viewer) -> s.Vote:
    from consult.votes import service as vote_service

    now = utcnow()
    result = vote_service.result_of(v, now)  # as the page shows it; None while open
    mine = {} if viewer is None else _ballots_of(viewer, v)
    return s.Vote(
        id=v.id, topic_id=v.topic_id, question=v.question, options=list(v.options),
        electorate=v.electorate, rule=v.rule, quorum_percent=v.quorum_percent,
        secret=v.secret, announced_at=v.announced_at, opens_at=v.opens_at,
        closes_at=v.closes_at, notice_days=v.notice_days, min_open_days=v.min_open_days,
        status=vote_status(v, now), cancelled_at=v.cancelled_at, cancel_reason=v.cancel_reason,
        ready=v.ready, electorate_prepared=min(v.electorate_prepared, v.electorate_expected),
        electorate_expected=v.electorate_expected,
        electorate_size=v.electorate_size, area_total=str(v.area_total),
        turnout=vote_service.turnout(v),
        result=s.VoteResult.model_validate(result) if result is not None else None, **mine)


def _ballots_of(viewer, v) -> dict:
    """The viewer's own counted ballots, and those of their homes someone else cast."""
    from consult.votes import co_owners
    from consult.votes import service as vote_service

    ballots = vote_service.my_ballots(viewer, v)
    others = [b for b in ballots if co_owners.cast_by_other(viewer, b)]
    names = co_owners.cast_by_names(others)
    return {"eligible": bool(vote_service.electors_of(viewer, v)),
            "my_ballots": [receipt(b) for b in ballots if b not in others],
            "cast_for_me": [s.CastForMe(
                cast_by="" if b.channel == "paper" else names.get(b.cast_by_id, ""),
                channel=b.channel, cast_at=b.cast_at,
                **({} if v.secret else {"option": b.option})) for b in others]}


@bp.get("/votes/<int:vote_id>/ballots", **read(
    s.BallotPage, "Votes", "The public list of ballots (receipts and choices) after closing",
    extra=("409",)))
def vote_ballots(path: VotePath, query: Paging):
    from consult.votes import service as vote_service

    v = vote_or_404(path.vote_id)
    if not v.is_closed(utcnow()):  # (no tally needed to know that)
        raise Refused(_("The list of ballots is published when the vote closes."))
    rows = [s.Ballot(tracker=t, option=o, channel=c, **({"units": u} if not v.secret else {}))
            for t, o, u, c in vote_service.ballot_rows(v, limit=query.per_page,
                                                       offset=offset_of(query))]
    return answer(s.BallotPage(**paged(rows, vote_service.counted_ballots(v), query)))


# --- studios ------------------------------------------------------------------------------------

def studio_shape(studio, full: bool = False) -> s.Studio:
    from consult.studios.labels import KIND_LABELS

    more = {} if not full else {
        "rooms": [s.Room.model_validate(r) for r in studio.rooms],
        "hours": [s.Hours(weekday=h.weekday, opens=h.opens.strftime("%H:%M"),
                          closes=h.closes.strftime("%H:%M")) for h in studio.hours]}
    return s.Studio(
        id=studio.id, name=studio.name, kind=studio.kind,
        kind_label=str(KIND_LABELS.get(studio.kind, studio.kind)), address=studio.address,
        community_id=studio.community_id,
        representatives=[person(a.user) for a in studio.attachments], **more)


def session_shape(view) -> s.StudioSession:
    ss = view.session
    return s.StudioSession(
        id=ss.id, studio_id=ss.studio_id, studio=ss.studio.name, room=ss.room.name,
        representative=person(ss.representative), focus=ss.focus, starts_at=ss.starts_at,
        ends_at=ss.ends_at, slot_minutes=ss.slot_minutes, cancelled=ss.is_cancelled,
        cancel_reason=ss.cancel_reason or None,
        free_slots=view.free if not ss.is_cancelled else 0,
        slots=[s.Slot(key=slot.key, start=slot.start, end=slot.end, free=not slot.taken)
               for slot in view.slots])


def _sessions(query: SessionQuery, **scope):
    from consult.studios import queries as studio_queries

    start = query.from_ or utcnow()
    try:
        end = start + timedelta(days=28)
    except OverflowError:  # from the calendar's last day: to its last moment
        end = datetime.max
    if query.to is not None:
        end = query.to
        if end <= start:
            raise Refused(_("“to” must come after “from”."), "to")
        if end - start > timedelta(days=92):
            raise Refused(_("Ask for at most 92 days at a time."), "to")
    rows = studio_queries.sessions(start=start, end=end, **scope)
    views = studio_queries.session_views(rows)
    return answer(s.SessionPage(**page_of([session_shape(v) for v in views], query)))


@bp.get("/studios", **read(s.StudioList, "Studios", "Representative studios",
                           not_found=False))
def studios():
    from consult.studios import queries as studio_queries

    items = [studio_shape(st) for _c, group in studio_queries.studios_by_community()
             for st in group]
    return answer(s.StudioList(items=items, total=len(items)))


@bp.get("/studios/<int:studio_id>", **read(
    s.Studio, "Studios", "A studio with rooms, opening hours and representatives"))
def studio(path: StudioPath):
    from consult.studios import queries as studio_queries

    found = studio_queries.studio_by_id(path.studio_id) or not_found(
        _("There is no such studio."))
    return answer(studio_shape(found, full=True))


@bp.get("/studios/<int:studio_id>/sessions", **read(
    s.SessionPage, "Studios", "A studio's sessions with their slots, free or taken"))
def studio_sessions(path: StudioPath, query: SessionQuery):
    from consult.studios import queries as studio_queries

    if studio_queries.studio_by_id(path.studio_id) is None:
        not_found(_("There is no such studio."))
    return _sessions(query, studio_id=path.studio_id)


@bp.get("/studio-sessions/<int:session_id>", **read(
    s.StudioSession, "Studios", "A session with its slots"))
def studio_session(path: SessionPath):
    from consult.studios import queries as studio_queries

    found = studio_queries.session_by_id(path.session_id) or not_found(
        _("There is no such session."))
    return answer(session_shape(studio_queries.session_views([found])[0]))


@bp.get("/communities/<int:community_id>/representatives/<int:user_id>", **read(
    s.Representative, "Studios", "A representative's profile and studios"))
def representative(path: RepresentativePath):
    from consult.studios import queries as studio_queries
    from consult.studios.labels import BODY_LABELS

    found = studio_queries.representative(path.community_id, path.user_id)
    if found is None:
        not_found(_("There is no such representative."))
    user, profile = found
    return answer(s.Representative(
        id=user.id, name=user.name, community_id=path.community_id,
        body=profile.body if profile else None,
        body_label=str(BODY_LABELS.get(profile.body, profile.body)) if profile else None,
        area_served=profile.area_served if profile else None,
        bio=profile.bio if profile else None,
        studios=[s.StudioName.model_validate(st) for st in
                 studio_queries.studios_of_representative(path.community_id, user.id)]))


@bp.get("/communities/<int:community_id>/representatives/<int:user_id>/sessions", **read(
    s.SessionPage, "Studios", "A representative's sessions with their slots"))
def representative_sessions(path: RepresentativePath, query: SessionQuery):
    from consult.studios import queries as studio_queries

    if studio_queries.representative(path.community_id, path.user_id) is None:
        not_found(_("There is no such representative."))
    return _sessions(query, representative_id=path.user_id, community_id=path.community_id)
