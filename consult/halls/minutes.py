"""Minutes (会议纪要): draft, preview, publish, correct; and what they decide for each topic.

A meeting's minutes are a list of revisions. The secretary edits a draft (revision 1 at first),
previews it and publishes it; a correction after publishing is a new draft revision (a copy of
the last published one, with a public note saying what changed), published in its turn. Every
published revision stays readable, with a diff against the one before.

Each agenda topic gets a resolution: put to a vote (question and options), send back for more
comment, or no further action (with the reason). Publishing applies the last two through the
topic lifecycle (transitions ``send_back`` and ``close_no_action``, registered here); a vote is
opened later by the ``open_vote`` transition, whose guard asks :func:`vote_resolution`.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from consult.audit.log import record
from consult.clock import utcnow
from consult.extensions import db
from consult.refusals import Refused
from consult.halls.models import (
    AgendaResolution, Meeting, Minutes, MinutesRevision, ResolutionKind, RevisionStatus,
)
from consult.halls.service import settle_agenda_topics
from consult.permissions import check
from consult.text import render_markdown
from consult.topics import lifecycle
from consult.topics.lifecycle import Stage
from consult.topics.models import Topic

BODY_MAX = 30_000
TEXT_MAX = 5_000
OFFICIALS_MAX = 1_000
QUESTION_MAX = 300
OPTION_MAX = 80
OPTIONS_MIN, OPTIONS_MAX = 2, 8
NOTE_MAX = 1_000
COUNT_MAX = 100_000
SEND_BACK_DAYS_DEFAULT = 7

KIND_LABELS = {
    ResolutionKind.VOTE.value: _l("Put to a vote"),
    ResolutionKind.SEND_BACK.value: _l("Send back for more comment"),
    ResolutionKind.NO_ACTION.value: _l("No further action"),
}


# --- what the minutes decided --------------------------------------------------------------

def latest_resolution(topic_id: int) -> AgendaResolution | None:
    """The resolution on the topic in its latest published minutes: of the latest meeting
    (by start) whose minutes are published, the latest published revision. One query."""
    return db.session.scalar(
        select(AgendaResolution)
        .join(MinutesRevision, AgendaResolution.revision_id == MinutesRevision.id)
        .join(Minutes, MinutesRevision.minutes_id == Minutes.id)
        .join(Meeting, Minutes.meeting_id == Meeting.id)
        .where(AgendaResolution.topic_id == topic_id,
               MinutesRevision.status == RevisionStatus.PUBLISHED.value)
        .order_by(Meeting.starts_at.desc(), MinutesRevision.number.desc()).limit(1))


def vote_resolution(topic) -> AgendaResolution | None:
    """The "put to a vote" resolution of the topic's latest published minutes, or ``None``.
    ``.question`` is the question, ``.options`` the list of choices (strings, in order),
    ``.revision.minutes.meeting_id`` the meeting. The guard of opening a vote."""
    resolution = latest_resolution(topic.id)
    if resolution is not None and resolution.kind == ResolutionKind.VOTE.value:
        return resolution
    return None


def _resolved(kind: ResolutionKind, message):
    def guard(topic: Topic, context: dict):
        resolution = latest_resolution(topic.id)
        if resolution is None or resolution.kind != kind.value:
            return message
        return None
    return guard


def _reopen_comments(topic: Topic, context: dict) -> None:
    days = context.get("days") or SEND_BACK_DAYS_DEFAULT
    topic.comment_until = utcnow() + timedelta(days=days)


# Guards and the effect of the transitions that published minutes decide (listed in
# consult/topics/lifecycle.py, LIFECYCLE).
minutes_send_back = _resolved(ResolutionKind.SEND_BACK, _l(
    "Only published minutes that send the topic back for more comment can do this."))
minutes_no_action = _resolved(ResolutionKind.NO_ACTION, _l(
    "Only published minutes that resolve “no further action” can close the topic."))
reopen_comments = _reopen_comments


# --- reading -------------------------------------------------------------------------------

def minutes_of(meeting_id: int) -> Minutes | None:
    """The minutes with every revision and its resolutions (and their topics): 4 queries."""
    return db.session.scalar(
        select(Minutes).where(Minutes.meeting_id == meeting_id)
        .options(selectinload(Minutes.revisions).selectinload(MinutesRevision.resolutions)
                 .selectinload(AgendaResolution.topic)))


def draft_of(minutes: Minutes | None) -> MinutesRevision | None:
    if minutes is None:
        return None
    return next((r for r in minutes.revisions if not r.is_published), None)


def published(minutes: Minutes | None) -> list[MinutesRevision]:
    if minutes is None:
        return []
    return [r for r in minutes.revisions if r.is_published]


def current(minutes: Minutes | None) -> MinutesRevision | None:
    """The latest published revision: what the public reads."""
    done = published(minutes)
    return done[-1] if done else None


# --- writing -------------------------------------------------------------------------------

@dataclass
class ResolutionInput:
    topic_id: int
    summary: str = ""
    kind: str = ""
    question: str = ""
    options: str = ""  # one per line, as typed
    reason: str = ""
    comment_days: int | None = None


@dataclass
class DraftInput:
    present_count: int | None = 0
    officials_present: str = ""
    residents_count: int | None = 0
    body: str = ""
    resolutions: list[ResolutionInput] = field(default_factory=list)


def resolution_inputs(meeting: Meeting, value) -> list[ResolutionInput]:
    """The resolutions typed for ``meeting``'s agenda topics, in agenda order, from
    ``value(topic_id, name)``: the raw value of one field (``summary``, ``kind``, ``question``,
    ``options`` one per line, ``reason``, ``comment_days``), or ``None`` when not given. The
    minutes form and the API both build their :class:`DraftInput` with it; the rules are
    :func:`save_draft`'s."""

    def text(topic_id: int, name: str) -> str:
        raw = value(topic_id, name)
        return "" if raw is None else str(raw)

    def days(topic_id: int) -> int | None:
        raw = value(topic_id, "comment_days")
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        try:
            return int(str(raw).strip())
        except (TypeError, ValueError):
            return None

    return [ResolutionInput(
        topic_id=item.topic_id, summary=text(item.topic_id, "summary"),
        kind=text(item.topic_id, "kind"), question=text(item.topic_id, "question"),
        options=text(item.topic_id, "options"), reason=text(item.topic_id, "reason"),
        comment_days=days(item.topic_id)) for item in meeting.agenda]


def option_list(text: str) -> list[str]:
    seen, options = set(), []
    for line in (text or "").replace("\r\n", "\n").split("\n"):
        option = " ".join(line.split())
        if option and option not in seen:
            seen.add(option)
            options.append(option)
    return options


def _count(value, name: str) -> int:
    if not isinstance(value, int) or not 0 <= value <= COUNT_MAX:
        raise Refused(_l("Enter a whole number of people (0 or more)."), name)
    return value


def _at_most(text: str, n: int, name: str) -> str:
    text = (text or "").strip()
    if len(text) > n:
        raise Refused(_l("At most %(max)d characters.", max=n), name)
    return text


def _check_shape(meeting: Meeting, data: DraftInput) -> None:
    _count(data.present_count, "present_count")
    _count(data.residents_count, "residents_count")
    if data.residents_count > data.present_count:
        raise Refused(_l("Residents present cannot be more than everyone present."),
                        "residents_count")
    _at_most(data.officials_present, OFFICIALS_MAX, "officials_present")
    _at_most(data.body, BODY_MAX, "body")
    agenda_ids = {item.topic_id for item in meeting.agenda}
    for r in data.resolutions:
        if r.topic_id not in agenda_ids:
            raise Refused(_l("Resolutions are for the topics on this meeting's agenda."))
        prefix = f"res-{r.topic_id}-"
        _at_most(r.summary, TEXT_MAX, prefix + "summary")
        if r.kind and r.kind not in KIND_LABELS:
            raise Refused(_l("Choose one of the resolutions."), prefix + "kind")
        _at_most(r.question, QUESTION_MAX, prefix + "question")
        _at_most(r.reason, TEXT_MAX, prefix + "reason")
        if any(len(o) > OPTION_MAX for o in option_list(r.options)):
            raise Refused(_l("Each option can be at most %(max)d characters.",
                               max=OPTION_MAX), prefix + "options")
        if r.comment_days is not None and not (
                lifecycle.COMMENT_DAYS_MIN <= r.comment_days <= lifecycle.COMMENT_DAYS_MAX):
            raise Refused(_l("The comment period is from %(min)d to %(max)d days.",
                               min=lifecycle.COMMENT_DAYS_MIN, max=lifecycle.COMMENT_DAYS_MAX),
                            prefix + "comment_days")


def _fill(revision: MinutesRevision, meeting: Meeting, data: DraftInput) -> None:
    revision.present_count = data.present_count
    revision.residents_count = data.residents_count
    revision.officials_present = (data.officials_present or "").strip()
    revision.body = (data.body or "").strip()
    revision.body_html = render_markdown(revision.body)
    revision.updated_at = utcnow()
    given = {r.topic_id: r for r in data.resolutions}
    existing = {r.topic_id: r for r in revision.resolutions}
    for position, item in enumerate(meeting.agenda):
        r = given.get(item.topic_id) or ResolutionInput(item.topic_id)
        row = existing.get(item.topic_id)
        if row is None:
            row = AgendaResolution(topic_id=item.topic_id)
            revision.resolutions.append(row)
        row.position = position
        row.summary = (r.summary or "").strip()
        row.kind = r.kind or ""
        vote = row.kind == ResolutionKind.VOTE.value
        row.question = (r.question or "").strip() if vote else ""
        row.options = option_list(r.options) if vote else []
        row.reason = (r.reason or "").strip() if row.kind == ResolutionKind.NO_ACTION.value \
            else ""
        row.comment_days = (r.comment_days or SEND_BACK_DAYS_DEFAULT) \
            if row.kind == ResolutionKind.SEND_BACK.value else None


def _manageable(actor, meeting: Meeting) -> None:
    if refusal := check(actor, "meeting.manage", meeting):
        raise Refused.forbidden(refusal.message, refusal.code)
    if meeting.is_cancelled:
        raise Refused(_l("This meeting was cancelled; it has no minutes."))
    # Agenda topics whose comment period has ended since are in deliberation now.
    settle_agenda_topics(meeting)


def save_draft(actor, meeting: Meeting, data: DraftInput) -> MinutesRevision:
    """Create or update the draft. Before the first publication that is revision 1; after it,
    only a correction (see :func:`start_correction`) opens a draft."""
    _manageable(actor, meeting)
    _check_shape(meeting, data)
    minutes = minutes_of(meeting.id)
    draft = draft_of(minutes)
    if draft is None:
        if published(minutes):
            raise Refused(_l("These minutes are published. To change them, start a "
                               "correction with a note saying what changes."))
        if minutes is None:
            minutes = Minutes(meeting_id=meeting.id, created_at=utcnow())
            db.session.add(minutes)
            db.session.flush()
        draft = MinutesRevision(minutes_id=minutes.id, number=1, author_id=actor.id,
                                status=RevisionStatus.DRAFT.value, created_at=utcnow())
        minutes.revisions.append(draft)
    _fill(draft, meeting, data)
    db.session.flush()
    record("minutes.save_draft", minutes, actor=actor, community_id=meeting.community_id,
           details={"meeting_id": meeting.id, "revision": draft.number})
    return draft


def start_correction(actor, meeting: Meeting, note) -> MinutesRevision:
    """A new draft revision copied from the last published one, with a public note."""
    _manageable(actor, meeting)
    minutes = minutes_of(meeting.id)
    last = current(minutes)
    if last is None:
        raise Refused(_l("Nothing is published yet: edit the draft instead."))
    if draft_of(minutes) is not None:
        raise Refused(_l("A correction is already being drafted."), conflict=True)
    note = (note or "").strip()
    if not note:
        raise Refused(_l("Say what the correction changes; the note is published with it."),
                        "note")
    if len(note) > NOTE_MAX:
        raise Refused(_l("At most %(max)d characters.", max=NOTE_MAX), "note")
    draft = MinutesRevision(
        number=last.number + 1, status=RevisionStatus.DRAFT.value, note=note,
        present_count=last.present_count, officials_present=last.officials_present,
        residents_count=last.residents_count, body=last.body, body_html=last.body_html,
        author_id=actor.id, created_at=utcnow(), updated_at=utcnow())
    for r in last.resolutions:
        draft.resolutions.append(AgendaResolution(
            topic_id=r.topic_id, position=r.position, summary=r.summary, kind=r.kind,
            question=r.question, options=list(r.options or []), reason=r.reason,
            comment_days=r.comment_days))
    minutes.revisions.append(draft)
    db.session.flush()
    record("minutes.start_correction", minutes, actor=actor, community_id=meeting.community_id,
           details={"meeting_id": meeting.id, "revision": draft.number, "note": note})
    return draft


def problems(meeting: Meeting, draft: MinutesRevision) -> list[tuple[str, str]]:
    """What keeps the draft from being published, as ``(field, message)``."""
    found = []
    by_topic = {r.topic_id: r for r in draft.resolutions}
    for item in meeting.agenda:
        r = by_topic.get(item.topic_id)
        prefix = f"res-{item.topic_id}-"
        title = item.topic.title
        if r is None or not r.kind:
            found.append((prefix + "kind", str(_l("Choose the resolution on “%(title)s”.",
                                                  title=title))))
            continue
        if r.kind == ResolutionKind.VOTE.value:
            if not r.question:
                found.append((prefix + "question", str(_l(
                    "Write the question to be put to the vote on “%(title)s”.", title=title))))
            if not OPTIONS_MIN <= len(r.options or []) <= OPTIONS_MAX:
                found.append((prefix + "options", str(_l(
                    "Give from %(min)d to %(max)d options for the vote on “%(title)s”, one per "
                    "line.", min=OPTIONS_MIN, max=OPTIONS_MAX, title=title))))
        elif r.kind == ResolutionKind.NO_ACTION.value and not r.reason:
            found.append((prefix + "reason", str(_l(
                "Give the reason for no further action on “%(title)s”; it is shown publicly.",
                title=title))))
    return found


def publish(actor, meeting: Meeting) -> MinutesRevision:
    """Publish the draft, then move each topic still in deliberation as resolved: send back
    for more comment, or close with the reason. A correction may not change the resolution on
    a topic that has already moved on."""
    _manageable(actor, meeting)
    if meeting.starts_at > utcnow():
        raise Refused(_l("Minutes can be published once the meeting has begun."))
    minutes = minutes_of(meeting.id)
    draft = draft_of(minutes)
    if draft is None:
        raise Refused(_l("There is no draft to publish."))
    if found := problems(meeting, draft):
        raise Refused(found[0][1], found[0][0])
    previous = current(minutes)
    if previous is not None:
        before = {r.topic_id: r.kind for r in previous.resolutions}
        for r in draft.resolutions:
            if (before.get(r.topic_id) != r.kind
                    and r.topic.stage != Stage.DELIBERATING.value):
                raise Refused(_l(
                    "The resolution on “%(title)s” can no longer change: the topic has moved on "
                    "to “%(stage)s”.", title=r.topic.title,
                    stage=lifecycle.stage_label(r.topic.stage)), f"res-{r.topic_id}-kind")
    now = utcnow()
    draft.status = RevisionStatus.PUBLISHED.value
    draft.published_at = now
    draft.published_by_id = actor.id
    if minutes.first_published_at is None:
        minutes.first_published_at = now
    db.session.flush()
    record("minutes.publish", minutes, actor=actor, community_id=meeting.community_id,
           details={"meeting_id": meeting.id, "revision": draft.number,
                    "note": draft.note, "resolutions": {
                        str(r.topic_id): r.kind for r in draft.resolutions}})
    for r in draft.resolutions:
        topic = r.topic
        if topic.stage != Stage.DELIBERATING.value:
            continue
        if r.kind == ResolutionKind.SEND_BACK.value:
            lifecycle.apply(actor, topic, "send_back", days=r.comment_days)
        elif r.kind == ResolutionKind.NO_ACTION.value:
            lifecycle.apply(actor, topic, "close_no_action", reason=r.reason)
    return draft


# --- comparing revisions -------------------------------------------------------------------

@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "added", "removed"
    text: str


def as_lines(revision: MinutesRevision) -> list[str]:
    """The revision as plain text lines, the unit the diff compares."""
    lines = [str(_l("Present: %(n)d", n=revision.present_count)),
             str(_l("Representatives and committee members present: %(names)s",
                    names=revision.officials_present or "—")),
             str(_l("Residents present: %(n)d", n=revision.residents_count)), ""]
    lines += (revision.body or "").replace("\r\n", "\n").split("\n")
    for r in revision.resolutions:
        lines += ["", str(_l("Topic: %(title)s", title=r.topic.title))]
        lines += [str(_l("Discussion: %(text)s", text=line)) if i == 0 else line
                  for i, line in enumerate((r.summary or "—").split("\n"))]
        lines.append(str(_l("Resolution: %(kind)s", kind=KIND_LABELS.get(r.kind, "—"))))
        if r.kind == ResolutionKind.VOTE.value:
            lines.append(str(_l("Question: %(q)s", q=r.question)))
            lines.append(str(_l("Options: %(options)s", options=" / ".join(r.options or []))))
        if r.kind == ResolutionKind.NO_ACTION.value:
            lines.append(str(_l("Reason: %(reason)s", reason=r.reason)))
        if r.kind == ResolutionKind.SEND_BACK.value and r.comment_days:
            lines.append(str(_l("New comment period: %(n)d days", n=r.comment_days)))
    return lines


def diff(previous: MinutesRevision | None, revision: MinutesRevision) -> list[DiffLine]:
    old = as_lines(previous) if previous is not None else []
    new = as_lines(revision)
    out: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            out += [DiffLine("same", line) for line in old[a1:a2]]
            continue
        out += [DiffLine("removed", line) for line in old[a1:a2]]
        out += [DiffLine("added", line) for line in new[b1:b2]]
    return out
