"""Public reads (no token needed): topics, comments, meetings and minutes, votes, studios.

Each calls the same query functions as the pages. Nothing personal leaves here: people appear
by name only (as on the pages), never with a phone, an e-mail or the unit of a secret ballot.
"""
from __future__ import annotations

from datetime import timedelta

from flask import jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select

from consult.api.core import (
    ApiError, bp, choice_arg, int_arg, iso, offset_of, page_of, paged, paging, parse_iso,
    token_user,
)
from consult.clock import utcnow
from consult.community.models import Community
from consult.extensions import db
from consult.topics import comments as topic_comments
from consult.topics import queries as topic_queries
from consult.topics.lifecycle import PUBLIC_STAGES_ORDERED, Stage, stage_label
from consult.topics.models import Category, Topic

STAGES = [s.value for s in PUBLIC_STAGES_ORDERED]
CATEGORIES = [c.value for c in Category]
SORTS = ["newest", "cosigned", "closing"]


def not_found(what=None):
    raise ApiError("not-found", what or _("There is nothing at this address."))


# --- shapes -----------------------------------------------------------------------------------

def person(user) -> dict | None:
    return {"id": user.id, "name": user.name} if user is not None else None


def topic_summary(t: Topic) -> dict:
    return {
        "id": t.id, "title": t.title, "category": t.category, "stage": t.stage,
        "stage_label": stage_label(t.stage),
        "community_id": t.community_id, "grid_id": t.grid_id, "building_id": t.building_id,
        "scope": t.scope_level.value,
        "cosign_count": t.cosign_count, "comment_count": t.comment_count,
        "submitted_at": iso(t.submitted_at), "stage_changed_at": iso(t.stage_changed_at),
        "comment_until": iso(t.comment_until),
    }


def topic_detail(t: Topic) -> dict:
    from consult.votes.service import latest_vote

    vote = latest_vote(t.id)
    return {
        **topic_summary(t),
        "description": t.description, "description_html": t.description_html,
        "community": t.community.name, "cosign_threshold": t.community.cosign_threshold,
        "proposer": person(t.proposer), "closing_reason": t.closing_reason,
        "vote_id": vote.id if vote is not None else None,
        "timeline": [{
            "transition": s.transition, "from_stage": s.from_stage, "to_stage": s.to_stage,
            "at": iso(s.at), "actor": person(s.actor), "note": s.note,
        } for s in t.stage_changes],
    }


def public_topic(topic_id: int, viewer=None) -> Topic:
    topic = topic_queries.topic_for_page(topic_id)
    if topic is None or (topic.stage == Stage.DRAFT.value
                         and (viewer is None or topic.proposer_id != viewer.id)):
        not_found(_("There is no such topic."))
    return topic


def comment_json(v) -> dict:
    c = v.comment
    return {
        "id": c.id, "parent_id": c.parent_id, "state": v.state,
        "author": person(c.author) if v.state != topic_comments.WITHDRAWN else None,
        "body": c.body if v.show_body else None,
        "hidden_reason": c.hidden_reason if v.state == topic_comments.HIDDEN else None,
        "created_at": iso(c.created_at), "edited_at": iso(c.edited_at),
        "reactions": {"agree": c.agree_count, "disagree": c.disagree_count,
                      "pass": c.pass_count},
        "my_reaction": v.my_reaction,
        "replies": [comment_json(r) for r in v.replies],
    }


# --- communities and topics ---------------------------------------------------------------------

@bp.route("/communities")
def communities():
    rows = db.session.scalars(select(Community).order_by(Community.name)).all()
    return jsonify({"items": [{"id": c.id, "name": c.name, "district": c.district,
                               "street_office": c.street_office,
                               "cosign_threshold": c.cosign_threshold} for c in rows],
                    "total": len(rows)})


@bp.route("/topics")
def topics():
    viewer = token_user()
    page, per_page = paging()
    area = request.args.get("area", "")
    if area and area not in ("community", "mine") and not (
            area.partition(":")[0] in ("grid", "building") and area.partition(":")[2].isdigit()):
        raise ApiError("validation", _("Give community, mine, grid:<id> or building:<id>."),
                       field="area")
    f = topic_queries.TopicFilter(
        q=request.args.get("q", "")[:100], stage=choice_arg("stage", STAGES),
        category=choice_arg("category", CATEGORIES),
        community_id=int_arg("community", None), area=area,
        sort=choice_arg("sort", SORTS, "newest"), page=page, per_page=per_page)
    result = topic_queries.list_topics(f, viewer)
    items = result.topics if result.page == page else []  # past the end: an empty page
    return jsonify({"items": [topic_summary(t) for t in items], "total": result.total,
                    "page": page, "per_page": per_page})


@bp.route("/topics/<int:topic_id>")
def topic(topic_id: int):
    return jsonify(topic_detail(public_topic(topic_id, token_user())))


@bp.route("/topics/<int:topic_id>/comments")
def topic_comments_list(topic_id: int):
    viewer = token_user()
    t = public_topic(topic_id, viewer)
    page, per_page = paging()
    sort = choice_arg("sort", list(topic_comments.SORTS), topic_comments.DEFAULT_SORT)
    # Paged in SQL: "total" counts every top-level comment, a page past the end is empty.
    found = topic_queries.comment_page(t, viewer, sort, page, per_page)
    thread = found.thread
    return jsonify({
        "items": [comment_json(v) for v in thread.comments], "total": found.total,
        "page": page, "per_page": per_page, "sort": thread.sort, "count": found.count,
        "can_comment": thread.can_comment,
        "refusal": str(thread.refusal_message) if thread.refusal else None})


# --- halls and meetings --------------------------------------------------------------------------

def meeting_json(m, published: bool) -> dict:
    return {
        "id": m.id, "title": m.title, "community_id": m.community_id,
        "hall": {"id": m.hall.id, "name": m.hall.name, "address": m.hall.address,
                 "capacity": m.hall.capacity, "accessibility": m.hall.accessibility},
        "starts_at": iso(m.starts_at), "ends_at": iso(m.ends_at),
        "cancelled": m.cancelled_at is not None, "cancel_reason": m.cancel_reason or None,
        "minutes_published": published,
    }


@bp.route("/communities/<int:community_id>/meetings")
def community_meetings(community_id: int):
    from consult.halls import queries as hall_queries

    if db.session.get(Community, community_id) is None:
        not_found(_("There is no such community."))
    when = choice_arg("when", ["upcoming", "past"], "upcoming")
    page, per_page = paging()
    finder = hall_queries.upcoming if when == "upcoming" else hall_queries.past
    rows = finder(community_id=community_id, limit=per_page, offset=offset_of(page, per_page))
    total = hall_queries.count_meetings(upcoming_=when == "upcoming", community_id=community_id)
    published = hall_queries.published_meeting_ids(m.id for m in rows)
    return jsonify(paged([meeting_json(m, m.id in published) for m in rows], total, page,
                         per_page))


@bp.route("/meetings/<int:meeting_id>")
def meeting(meeting_id: int):
    from consult.halls import queries as hall_queries

    m = hall_queries.meeting_by_id(meeting_id) or not_found(_("There is no such meeting."))
    published = bool(hall_queries.published_meeting_ids([m.id]))
    seats = hall_queries.seats(m)
    body = meeting_json(m, published)
    body["agenda"] = [{"position": a.position, "topic": topic_summary(a.topic)}
                      for a in m.agenda if a.topic.stage != Stage.DRAFT.value]
    body["seats"] = {"capacity": seats.capacity, "confirmed": seats.confirmed,
                     "waiting": seats.waiting}
    return jsonify(body)


@bp.route("/meetings/<int:meeting_id>/minutes")
def meeting_minutes(meeting_id: int):
    from consult.halls import minutes as hall_minutes
    from consult.halls import queries as hall_queries

    m = hall_queries.meeting_by_id(meeting_id) or not_found(_("There is no such meeting."))
    revision = hall_minutes.current(hall_minutes.minutes_of(m.id))
    if revision is None:
        not_found(_("The minutes of this meeting are not published yet."))
    return jsonify({
        "meeting_id": m.id, "revision": revision.number,
        "published_at": iso(revision.published_at),
        "present_count": revision.present_count, "residents_count": revision.residents_count,
        "officials_present": revision.officials_present,
        "body": revision.body, "body_html": revision.body_html,
        "correction_note": revision.note or None,
        "resolutions": [{
            "topic_id": r.topic_id, "topic_title": r.topic.title, "kind": r.kind or None,
            "summary": r.summary, "question": r.question or None, "options": list(r.options or []),
            "reason": r.reason or None, "comment_days": r.comment_days,
        } for r in sorted(revision.resolutions, key=lambda r: r.position)],
    })


# --- votes --------------------------------------------------------------------------------------

def _vote_or_404(vote_id: int):
    from consult.votes.models import Vote

    vote = db.session.get(Vote, vote_id)
    if vote is None or vote.topic.stage == Stage.DRAFT.value:
        not_found(_("There is no such vote."))
    return vote


def _published_result(vote):
    """The result of a closed vote, as the page shows it (None while it is open)."""
    from consult.votes import service as vote_service

    return vote_service.result_of(vote, utcnow())


@bp.route("/votes/<int:vote_id>")
def vote(vote_id: int):
    from consult.votes import service as vote_service

    viewer = token_user()
    v = _vote_or_404(vote_id)
    now = utcnow()
    result = _published_result(v)
    status = "scheduled" if now < v.opens_at else "open" if v.is_open(now) else "closed"
    body = {
        "id": v.id, "topic_id": v.topic_id, "question": v.question, "options": list(v.options),
        "electorate": v.electorate, "rule": v.rule, "quorum_percent": v.quorum_percent,
        "secret": v.secret, "opens_at": iso(v.opens_at), "closes_at": iso(v.closes_at),
        "status": status, "electorate_size": v.electorate_size,
        "area_total": str(v.area_total), "turnout": vote_service.turnout(v),
        "result": result,
    }
    if viewer is not None:
        body["eligible"] = bool(vote_service.electors_of(v, viewer))
        body["my_ballots"] = [{"tracker": b.tracker, "option": b.option, "cast_at": iso(b.cast_at)}
                              for b in vote_service.my_ballots(v, viewer)]
    return jsonify(body)


@bp.route("/votes/<int:vote_id>/ballots")
def vote_ballots(vote_id: int):
    from consult.votes import service as vote_service

    v = _vote_or_404(vote_id)
    page, per_page = paging()
    if not v.is_closed(utcnow()):  # (no tally needed to know that)
        raise ApiError("conflict", _("The list of ballots is published when the vote closes."))
    rows = [{"tracker": t, "option": o, **({"units": u} if not v.secret else {})}
            for t, o, u in vote_service.ballot_rows(v, limit=per_page,
                                                    offset=offset_of(page, per_page))]
    return jsonify(paged(rows, vote_service.counted_ballots(v), page, per_page))


# --- studios ------------------------------------------------------------------------------------

def studio_json(s, full: bool = False) -> dict:
    from consult.studios.labels import KIND_LABELS

    body = {"id": s.id, "name": s.name, "kind": s.kind, "kind_label": str(KIND_LABELS.get(s.kind, s.kind)),
            "address": s.address, "community_id": s.community_id,
            "representatives": [person(a.user) for a in s.attachments]}
    if full:
        body["rooms"] = [{"id": r.id, "name": r.name} for r in s.rooms]
        body["hours"] = [{"weekday": h.weekday, "opens": h.opens.strftime("%H:%M"),
                          "closes": h.closes.strftime("%H:%M")} for h in s.hours]
    return body


def session_json(view) -> dict:
    s = view.session
    return {
        "id": s.id, "studio_id": s.studio_id, "studio": s.studio.name, "room": s.room.name,
        "representative": person(s.representative), "focus": s.focus,
        "starts_at": iso(s.starts_at), "ends_at": iso(s.ends_at),
        "slot_minutes": s.slot_minutes, "cancelled": s.is_cancelled,
        "cancel_reason": s.cancel_reason or None,
        "free_slots": view.free if not s.is_cancelled else 0,
        "slots": [{"key": slot.key, "start": iso(slot.start), "end": iso(slot.end),
                   "free": not slot.taken} for slot in view.slots],
    }


def _session_range() -> dict:
    start = parse_iso("from", request.args.get("from")) or utcnow()
    end = parse_iso("to", request.args.get("to")) or start + timedelta(days=28)
    if end <= start:
        raise ApiError("validation", _("“to” must come after “from”."), field="to")
    if end - start > timedelta(days=92):
        raise ApiError("validation", _("Ask for at most 92 days at a time."), field="to")
    return {"start": start, "end": end}


def _sessions(**scope):
    from consult.studios import queries as studio_queries

    page, per_page = paging()
    rows = studio_queries.sessions(**_session_range(), **scope)
    views = studio_queries.session_views(rows)
    return jsonify(page_of([session_json(v) for v in views], page, per_page))


@bp.route("/studios")
def studios():
    from consult.studios import queries as studio_queries

    items = [studio_json(s) for _c, group in studio_queries.studios_by_community()
             for s in group]
    return jsonify({"items": items, "total": len(items)})


@bp.route("/studios/<int:studio_id>")
def studio(studio_id: int):
    from consult.studios import queries as studio_queries

    s = studio_queries.studio_by_id(studio_id) or not_found(_("There is no such studio."))
    return jsonify(studio_json(s, full=True))


@bp.route("/studios/<int:studio_id>/sessions")
def studio_sessions(studio_id: int):
    from consult.studios import queries as studio_queries

    if studio_queries.studio_by_id(studio_id) is None:
        not_found(_("There is no such studio."))
    return _sessions(studio_id=studio_id)


@bp.route("/studio-sessions/<int:session_id>")
def studio_session(session_id: int):
    from consult.studios import queries as studio_queries

    s = studio_queries.session_by_id(session_id) or not_found(_("There is no such session."))
    return jsonify(session_json(studio_queries.session_views([s])[0]))


@bp.route("/communities/<int:community_id>/representatives/<int:user_id>")
def representative(community_id: int, user_id: int):
    from consult.studios import queries as studio_queries
    from consult.studios.labels import BODY_LABELS

    found = studio_queries.representative(community_id, user_id)
    if found is None:
        not_found(_("There is no such representative."))
    user, profile = found
    return jsonify({
        **person(user), "community_id": community_id,
        "body": profile.body if profile else None,
        "body_label": str(BODY_LABELS.get(profile.body, profile.body)) if profile else None,
        "area_served": profile.area_served if profile else None,
        "bio": profile.bio if profile else None,
        "studios": [{"id": s.id, "name": s.name}
                    for s in studio_queries.studios_of_representative(community_id, user.id)],
    })


@bp.route("/communities/<int:community_id>/representatives/<int:user_id>/sessions")
def representative_sessions(community_id: int, user_id: int):
    from consult.studios import queries as studio_queries

    if studio_queries.representative(community_id, user_id) is None:
        not_found(_("There is no such representative."))
    return _sessions(representative_id=user_id, community_id=community_id)
