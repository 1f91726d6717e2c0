"""The registry of "my data": one :class:`Section` per kind of record the site holds about a
person. The page, the JSON and CSV downloads and ``GET /api/v1/me/data`` all read this list, so
a new kind of record is one more entry here (or appended from its own package):

    SECTIONS.append(Section("consents", _l("Consents"), [Column("version", _l("Version")), ...],
                            rows=lambda user, limit=None: [...],
                            counting=lambda user_id: select(func.count())...))

``rows(user, limit)`` answers the newest rows first, each a dict keyed by the columns' keys with
plain values (text, numbers, booleans, dates and times in UTC, ``None``), in a fixed number of
queries whatever the person's history; ``counting(user_id)`` is the SELECT of how many there
are (the page counts every section in one statement, :func:`counts_for`). :func:`from_query`
makes both from one SELECT whose labelled columns are the section's keys.

A column of stored codes ("agree", "pending", "sms") has ``labels``, the words for each code in
the reader's language, taken from the package that owns the code: the page and the CSV files
show those words (:meth:`Column.shown`); the JSON download and ``GET /api/v1/me/data`` keep the
codes, which stay the same whatever the language.

What is left out on purpose: secrets (password hashes, token hashes, the codes of messages and
links), and other people's contact details (a proxy's phone is masked).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import Integer, Select, bindparam, case, func, literal, or_, select, union_all

from consult import i18n
from consult.accounts.labels import ACTION_LABELS, ROLE_LABELS
from consult.community.rules import RELATION_LABELS, RESIDENCY_STATUS_LABELS
from consult.extensions import db
from consult.grids import rules as grid_rules
from consult.halls.labels import REGISTRATION_STATUS_LABELS
from consult.messages import rules as message_rules
from consult.mydata import labels as mydata_labels
from consult.privacy.rules import CHANNEL_LABELS as CONSENT_CHANNEL_LABELS
from consult.studios.labels import ATTENDANCE_LABELS, MATTER_STATUS_LABELS
from consult.studios.labels import CATEGORY_LABELS as MATTER_CATEGORY_LABELS
from consult.topics.labels import CATEGORY_LABELS, REACTION_LABELS
from consult.topics.lifecycle import STAGE_LABELS
from consult.votes.labels import CHANNEL_LABELS as BALLOT_CHANNEL_LABELS
from consult.votes.labels import OPTION_LABELS, PAPER_STATUS_LABELS, PROXY_CHANNEL_LABELS


@dataclass(frozen=True)
class Column:
    key: str
    label: object  # a lazy string: the header in the reader's language
    # For a column of stored codes: code -> its words (lazy strings). A code without words,
    # and any value that is not text, is shown as it is.
    labels: Mapping | None = field(default=None, compare=False, hash=False)

    def shown(self, value):
        """``value`` as the reader sees it: the words for a code, anything else unchanged."""
        if self.labels is None or not isinstance(value, str):
            return value
        return self.labels.get(value, value)


@dataclass(frozen=True)
class Section:
    key: str
    title: object  # a lazy string
    columns: list[Column]
    rows: Callable[..., list[dict]]  # rows(user, limit=None), newest first
    # counting(user_id): a SELECT of the one number of rows (what count_for runs), so that a
    # page can count every section in one statement (counts_for)
    counting: Callable[[int], Select]
    description: object = ""
    keys: tuple[str, ...] = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "keys", tuple(c.key for c in self.columns))

    def count_for(self, user) -> int:
        return counts_for(user, [self])[0]


# The person is a bound parameter of the statements built once below, so a request runs them
# without building them again (26 sections' SELECTs cost more to build than to run).
_ME = "mydata_user_id"
_LIMIT = "mydata_limit"
_counting_all: dict[tuple, Select] = {}


def _me():
    return bindparam(_ME, type_=Integer)


def counts_for(user, sections: list[Section]) -> list[int]:
    """How many rows each of ``sections`` holds for ``user``: one statement for them all."""
    if not sections:
        return []
    key = tuple((s.key, id(s.counting)) for s in sections)
    stmt = _counting_all.get(key)
    if stmt is None:
        stmt = _counting_all[key] = select(*(
            s.counting(_me()).scalar_subquery() for s in sections))
    row = db.session.execute(stmt, {_ME: user.id}).one()
    return [n or 0 for n in row]


def from_query(key: str, title, columns: list[Column], statement: Callable[[int], Select],
               description="") -> Section:
    """A section read by one SELECT: ``statement(user_id)`` selects columns labelled with the
    columns' keys, newest first. Its rows and its count are one query each."""

    built: dict[bool, Select] = {}  # with a limit or not: the statement, built once

    def rows(user, limit: int | None = None) -> list[dict]:
        limited = limit is not None
        stmt = built.get(limited)
        if stmt is None:
            stmt = statement(_me())
            if limited:
                stmt = stmt.limit(bindparam(_LIMIT, type_=Integer))
            built[limited] = stmt
        params = {_ME: user.id, _LIMIT: limit} if limited else {_ME: user.id}
        return [dict(row._mapping) for row in db.session.execute(stmt, params)]

    def counting(user_id) -> Select:
        return select(func.count()).select_from(statement(user_id).order_by(None).subquery())

    return Section(key, title, columns, rows, counting, description)


# --- the sections ---------------------------------------------------------------------------

def _account(user_id: int) -> Select:
    from consult.accounts.models import User

    return select(User.id.label("id"), User.name.label("name"), User.phone.label("phone"),
                  User.email.label("email"), User.created_at.label("created_at"),
                  User.last_login_at.label("last_login_at"),
                  User.is_platform_admin.label("platform_admin")).where(User.id == user_id)


def _roles(user_id: int) -> Select:
    from consult.accounts.models import RoleGrant
    from consult.community.models import Community, Grid

    return (select(Community.name.label("community"), RoleGrant.role.label("role"),
                   Grid.name.label("grid"), RoleGrant.granted_at.label("granted_at"))
            .join(Community, Community.id == RoleGrant.community_id)
            .outerjoin(Grid, Grid.id == RoleGrant.grid_id)
            .where(RoleGrant.user_id == user_id)
            .order_by(RoleGrant.granted_at.desc(), RoleGrant.id.desc()))


def _with_unit(stmt: Select, unit_id_column) -> Select:
    from consult.community.models import Building, Community, Grid, Unit

    return (stmt.join(Unit, Unit.id == unit_id_column)
            .join(Building, Building.id == Unit.building_id)
            .join(Grid, Grid.id == Building.grid_id)
            .join(Community, Community.id == Grid.community_id))


def _homes(user_id: int) -> Select:
    from consult.community.models import Building, Community, Grid, Ownership, Unit

    stmt = select(Community.name.label("community"),
                  (Grid.name + " " + Building.name + " " + Unit.number).label("home"),
                  Unit.area_m2.label("area_m2")).select_from(Ownership)
    return (_with_unit(stmt, Ownership.unit_id).where(Ownership.owner_id == user_id)
            .order_by(Ownership.id.desc()))


def _residencies(user_id: int) -> Select:
    from consult.community.models import Building, Community, Grid, Residency, Unit

    stmt = select(Community.name.label("community"),
                  (Grid.name + " " + Building.name + " " + Unit.number).label("home"),
                  Residency.relation.label("relation"), Residency.status.label("status"),
                  Residency.note.label("note"), Residency.requested_at.label("requested_at"),
                  Residency.decided_at.label("decided_at"),
                  Residency.refusal_reason.label("refusal_reason")).select_from(Residency)
    return (_with_unit(stmt, Residency.unit_id).where(Residency.user_id == user_id)
            .order_by(Residency.requested_at.desc(), Residency.id.desc()))


def _topics(user_id: int) -> Select:
    from consult.topics.models import Topic

    return (select(Topic.id.label("topic_id"), Topic.title.label("title"),
                   Topic.category.label("category"), Topic.stage.label("stage"),
                   Topic.description.label("description"), Topic.created_at.label("created_at"),
                   Topic.submitted_at.label("submitted_at"))
            .where(Topic.proposer_id == user_id)
            .order_by(Topic.created_at.desc(), Topic.id.desc()))


def _comments(user_id: int) -> Select:
    from consult.topics.models import Comment, Topic

    state = case((Comment.withdrawn_at.is_not(None), "withdrawn"),
                 (Comment.hidden_at.is_not(None), "hidden"), else_="visible")
    return (select(Comment.id.label("comment_id"), Topic.id.label("topic_id"),
                   Topic.title.label("topic"), Comment.parent_id.label("reply_to"),
                   Comment.body.label("body"), state.label("state"),
                   Comment.created_at.label("created_at"), Comment.edited_at.label("edited_at"),
                   Comment.assisted_by_id.is_not(None).label("assisted"))
            .join(Topic, Topic.id == Comment.topic_id)
            .where(Comment.author_id == user_id)
            .order_by(Comment.created_at.desc(), Comment.id.desc()))


def _reactions(user_id: int) -> Select:
    from consult.topics.models import Reaction, Topic

    return (select(Reaction.comment_id.label("comment_id"), Topic.title.label("topic"),
                   Reaction.value.label("value"), Reaction.at.label("at"))
            .join(Topic, Topic.id == Reaction.topic_id)
            .where(Reaction.user_id == user_id)
            .order_by(Reaction.at.desc(), Reaction.id.desc()))


def _reports(user_id: int) -> Select:
    from consult.topics.models import CommentReport

    return (select(CommentReport.comment_id.label("comment_id"),
                   CommentReport.reason.label("reason"),
                   CommentReport.created_at.label("created_at"),
                   CommentReport.resolved_at.label("resolved_at"))
            .where(CommentReport.reporter_id == user_id)
            .order_by(CommentReport.created_at.desc(), CommentReport.id.desc()))


def _cosignatures(user_id: int) -> Select:
    from consult.topics.models import Cosignature, Topic

    return (select(Topic.id.label("topic_id"), Topic.title.label("topic"),
                   Cosignature.created_at.label("created_at"))
            .join(Topic, Topic.id == Cosignature.topic_id)
            .where(Cosignature.user_id == user_id)
            .order_by(Cosignature.created_at.desc(), Cosignature.id.desc()))


def _follows(user_id: int) -> Select:
    from consult.topics.models import Follow, Topic

    return (select(Topic.id.label("topic_id"), Topic.title.label("topic"),
                   Follow.created_at.label("created_at"))
            .join(Topic, Topic.id == Follow.topic_id)
            .where(Follow.user_id == user_id)
            .order_by(Follow.created_at.desc(), Follow.id.desc()))


def _my_electors(user_id: int):
    from consult.votes.models import ElectorMember

    return select(ElectorMember.elector_id).where(ElectorMember.user_id == user_id)


def _ballots(user_id: int) -> Select:
    """The ballots cast for an elector I am (or am one of), whoever entered them: online,
    on paper, by my proxy, by a grid worker with my consent. Each with its receipt code."""
    from consult.votes.models import Ballot, Vote

    return (select(Vote.id.label("vote_id"), Vote.question.label("question"),
                   Ballot.option.label("option"), Ballot.tracker.label("receipt"),
                   Ballot.channel.label("channel"), Ballot.counted.label("counted"),
                   (Ballot.cast_by_id == user_id).label("cast_by_me"),
                   Ballot.assisted_by_id.is_not(None).label("assisted"),
                   Ballot.cast_at.label("cast_at"))
            .join(Vote, Vote.id == Ballot.vote_id)
            .where(Ballot.elector_id.in_(_my_electors(user_id)))
            .order_by(Ballot.cast_at.desc(), Ballot.id.desc()))


def _proxies(user_id: int) -> Select:
    """Authorisations I gave (or that were recorded for my home), and those I hold."""
    from consult.votes.models import Vote, VoteProxy

    mine = or_(VoteProxy.granted_by_id == user_id,
               VoteProxy.elector_id.in_(_my_electors(user_id)))
    status = case((VoteProxy.revoked_at.is_not(None), "ended"),
                  (VoteProxy.accepted_at.is_not(None), "active"), else_="waiting")
    return (select(Vote.id.label("vote_id"), Vote.question.label("question"),
                   case((mine, "given"), else_="held").label("direction"),
                   VoteProxy.proxy_name.label("proxy_name"), VoteProxy.channel.label("channel"),
                   VoteProxy.reference.label("reference"), status.label("status"),
                   VoteProxy.created_at.label("created_at"),
                   VoteProxy.accepted_at.label("accepted_at"),
                   VoteProxy.revoked_at.label("ended_at"))
            .join(Vote, Vote.id == VoteProxy.vote_id)
            .where(or_(mine, VoteProxy.proxy_user_id == user_id))
            .order_by(VoteProxy.created_at.desc(), VoteProxy.id.desc()))


def _paper_ballots(user_id: int) -> Select:
    from consult.votes.models import Vote
    from consult.votes.paper_models import PaperBallot

    return (select(Vote.id.label("vote_id"), Vote.question.label("question"),
                   PaperBallot.serial.label("serial"), PaperBallot.status.label("status"),
                   PaperBallot.printed_at.label("printed_at"),
                   PaperBallot.decided_at.label("decided_at"))
            .join(Vote, Vote.id == PaperBallot.vote_id)
            .where(PaperBallot.elector_id.in_(_my_electors(user_id)))
            .order_by(PaperBallot.printed_at.desc(), PaperBallot.id.desc()))


def _grid_help(user_id: int) -> Select:
    from consult.community.models import Grid
    from consult.grids.models import AssistedAct, Consent

    consents = (select(literal("consent").label("kind"), Grid.name.label("grid"),
                       Consent.scope.label("scope"), Consent.source.label("source"),
                       Consent.starts_at.label("starts_at"), Consent.ends_at.label("ends_at"),
                       Consent.revoked_at.label("revoked_at"), literal("").label("summary"),
                       Consent.created_at.label("at"))
                .join(Grid, Grid.id == Consent.grid_id)
                .where(Consent.resident_id == user_id))
    acts = (select(AssistedAct.kind.label("kind"), Grid.name.label("grid"),
                   Consent.scope.label("scope"), Consent.source.label("source"),
                   Consent.starts_at.label("starts_at"), Consent.ends_at.label("ends_at"),
                   Consent.revoked_at.label("revoked_at"), AssistedAct.summary.label("summary"),
                   AssistedAct.at.label("at"))
            .join(Consent, Consent.id == AssistedAct.consent_id)
            .join(Grid, Grid.id == Consent.grid_id)
            .where(AssistedAct.resident_id == user_id))
    both = union_all(consents, acts).subquery()
    return select(*both.c).order_by(both.c.at.desc())


def _registrations(user_id: int) -> Select:
    from consult.halls.models import Meeting, Registration

    return (select(Meeting.id.label("meeting_id"), Meeting.title.label("meeting"),
                   Meeting.starts_at.label("starts_at"), Registration.status.label("status"),
                   Registration.created_at.label("created_at"))
            .join(Meeting, Meeting.id == Registration.meeting_id)
            .where(Registration.user_id == user_id)
            .order_by(Registration.created_at.desc(), Registration.id.desc()))


def _reservations(user_id: int) -> Select:
    from consult.studios.models import ReceptionRecord, Reservation, Studio, StudioSession

    return (select(Reservation.id.label("reservation_id"), Studio.name.label("studio"),
                   Reservation.slot_start.label("slot_start"),
                   Reservation.category.label("category"), Reservation.matter.label("matter"),
                   Reservation.created_at.label("created_at"),
                   Reservation.cancelled_at.label("cancelled_at"),
                   ReceptionRecord.attendance.label("attendance"),
                   ReceptionRecord.raised.label("raised"),
                   ReceptionRecord.follow_up.label("follow_up"),
                   ReceptionRecord.matter_status.label("matter_status"),
                   ReceptionRecord.due_on.label("due_on"),
                   ReceptionRecord.answer.label("answer"),
                   ReceptionRecord.answered_at.label("answered_at"),
                   ReceptionRecord.rating.label("rating"),
                   ReceptionRecord.rating_reason.label("rating_reason"))
            .join(StudioSession, StudioSession.id == Reservation.session_id)
            .join(Studio, Studio.id == StudioSession.studio_id)
            .outerjoin(ReceptionRecord, ReceptionRecord.reservation_id == Reservation.id)
            .where(Reservation.resident_id == user_id)
            .order_by(Reservation.created_at.desc(), Reservation.id.desc()))


def _ratings(user_id: int) -> Select:
    from consult.outcomes.models import Outcome, Rating
    from consult.topics.models import Topic

    return (select(Topic.id.label("topic_id"), Topic.title.label("topic"),
                   Rating.stars.label("stars"), Rating.comment.label("comment"),
                   Rating.created_at.label("created_at"), Rating.updated_at.label("updated_at"))
            .join(Outcome, Outcome.id == Rating.outcome_id)
            .join(Topic, Topic.id == Outcome.topic_id)
            .where(Rating.user_id == user_id)
            .order_by(Rating.updated_at.desc(), Rating.id.desc()))


def _objections(user_id: int) -> Select:
    from consult.outcomes.models import Objection, Outcome
    from consult.topics.models import Topic

    return (select(Topic.id.label("topic_id"), Topic.title.label("topic"),
                   Objection.body.label("body"), Objection.created_at.label("created_at"),
                   Objection.answer.label("answer"), Objection.answered_at.label("answered_at"),
                   Objection.upheld.label("upheld"))
            .join(Outcome, Outcome.id == Objection.outcome_id)
            .join(Topic, Topic.id == Outcome.topic_id)
            .where(Objection.author_id == user_id)
            .order_by(Objection.created_at.desc(), Objection.id.desc()))


def _notifications(user_id: int) -> Select:
    from consult.notifications.models import Notification

    return (select(Notification.kind.label("kind"), Notification.params.label("params"),
                   Notification.url.label("url"), Notification.created_at.label("created_at"),
                   Notification.read_at.label("read_at"))
            .where(Notification.user_id == user_id)
            .order_by(Notification.created_at.desc(), Notification.id.desc()))


def _notification_rows(user, limit: int | None = None) -> list[dict]:
    """Notifications in words (the reader's language), with their kind and link."""
    from consult.notifications.kinds import render

    stmt = _notifications(user.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = []
    for row in db.session.execute(stmt):
        values = dict(row._mapping)
        values["text"] = render(values["kind"], values.pop("params") or {})
        rows.append(values)
    return rows


def _message_settings(user_id: int) -> Select:
    """Settings (one row when the person changed one) and the choice per kind of message."""
    from consult.messages.models import MessagePreference, MessageSettings

    settings = select(literal("settings").label("setting"),
                      func.coalesce(MessageSettings.channel, "").label("value"),
                      MessageSettings.quiet_start.label("quiet_start"),
                      MessageSettings.quiet_end.label("quiet_end"),
                      MessageSettings.language.label("language"),
                      MessageSettings.updated_at.label("updated_at"),
                      ).where(MessageSettings.user_id == user_id)
    prefs = select(MessagePreference.category.label("setting"),
                   MessagePreference.mode.label("value"), literal(None).label("quiet_start"),
                   literal(None).label("quiet_end"), literal(None).label("language"),
                   literal(None).label("updated_at"),
                   ).where(MessagePreference.user_id == user_id)
    both = union_all(settings, prefs).subquery()
    return select(*both.c).order_by(both.c.setting)


def _outbox(user_id: int) -> Select:
    """Messages sent or waiting, without their bodies (codes and links are not kept here)."""
    from consult.messages.models import OutboxMessage

    return (select(OutboxMessage.channel.label("channel"),
                   OutboxMessage.to_address.label("to"),
                   OutboxMessage.purpose.label("purpose"),
                   OutboxMessage.subject.label("subject"), OutboxMessage.status.label("status"),
                   OutboxMessage.created_at.label("created_at"),
                   OutboxMessage.sent_at.label("sent_at"))
            .where(OutboxMessage.user_id == user_id)
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()))


def _tokens(user_id: int) -> Select:
    from consult.api.models import ApiToken

    return (select(ApiToken.name.label("device"), ApiToken.created_at.label("created_at"),
                   ApiToken.last_used_at.label("last_used_at"),
                   ApiToken.expires_at.label("expires_at"),
                   ApiToken.revoked_at.label("revoked_at"))
            .where(ApiToken.user_id == user_id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))


ACCOUNT_ACTIONS = ("account.%", "api.token_%")


def _account_events(user_id: int) -> Select:
    """What happened to the account: registered, activated, password changed or reset, phone
    changed, logged out everywhere, apps logged in (from the audit log)."""
    from consult.audit.models import AuditEntry
    from consult.accounts.models import User

    return (select(AuditEntry.action.label("action"), AuditEntry.at.label("at"),
                   (AuditEntry.actor_id == user_id).label("by_me"))
            .where(AuditEntry.object_type == User.__tablename__,
                   AuditEntry.object_id == user_id,
                   or_(*(AuditEntry.action.like(a) for a in ACCOUNT_ACTIONS)))
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()))


def _exports(user_id: int) -> Select:
    from consult.mydata.models import DataExport

    return (select(DataExport.format.label("format"), DataExport.status.label("status"),
                   DataExport.size.label("size"), DataExport.created_at.label("created_at"),
                   DataExport.expires_at.label("expires_at"))
            .where(DataExport.user_id == user_id)
            .order_by(DataExport.created_at.desc(), DataExport.id.desc()))


def _consents(user_id: int) -> Select:
    """Each agreement to a version of the privacy notice (consult/privacy)."""
    from consult.privacy.models import PrivacyConsent

    return (select(PrivacyConsent.version.label("version"),
                   PrivacyConsent.agreed_at.label("agreed_at"),
                   PrivacyConsent.channel.label("channel"))
            .where(PrivacyConsent.user_id == user_id)
            .order_by(PrivacyConsent.agreed_at.desc(), PrivacyConsent.id.desc()))

def _views_of_me(user_id: int) -> Select:
    """Who among the officials saw my phone, e-mail or my name on a non-voters list
    (consult/disclosures): the page, the fields, when."""
    from consult.community.models import Community
    from consult.disclosures.models import DataView

    return (select(DataView.at.label("at"), DataView.viewer_name.label("viewer"),
                   DataView.viewer_role.label("role"), DataView.page.label("page"),
                   DataView.object_name.label("object"), DataView.fields.label("fields"),
                   Community.name.label("community"))
            .outerjoin(Community, Community.id == DataView.community_id)
            .where(DataView.subject_id == user_id)
            .order_by(DataView.at.desc(), DataView.id.desc()))


def _views_of_me_rows(user, limit: int | None = None) -> list[dict]:
    """The access record in the reader's words (role, page and field names translated)."""
    from consult.disclosures import rules as disclosure_rules

    stmt = _views_of_me(user.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [{**row._mapping,
             "role": str(disclosure_rules.ROLE_LABELS.get(row.role, row.role)),
             "page": str(disclosure_rules.PAGE_LABELS.get(row.page, row.page)),
             "fields": ", ".join(str(disclosure_rules.FIELD_LABELS.get(f, f))
                                 for f in disclosure_rules.split_fields(row.fields))}
            for row in db.session.execute(stmt)]


T = {  # shared column labels
    "created_at": _l("When"), "topic": _l("Topic"), "topic_id": _l("Topic number"),
    "vote_id": _l("Vote number"), "question": _l("Question"), "status": _l("Status"),
    "community": _l("Community"), "home": lazy_pgettext("a flat or house", "Home"),
}


def _c(*keys_or_pairs) -> list[Column]:
    """Columns from keys of :data:`T` or from (key, header) and (key, header, labels)."""
    return [Column(k, T[k]) if isinstance(k, str) else Column(*k) for k in keys_or_pairs]


# Words for the codes of columns that take them from more than one place.
_STAGES = {stage.value: label for stage, label in STAGE_LABELS.items()}
_GRID_HELP_KINDS = {**mydata_labels.CONSENT, **grid_rules.ACT_LABELS}
_SETTINGS = {**mydata_labels.SETTINGS, **{c.key: c.label for c in message_rules.CATEGORIES}}
_SETTING_VALUES = {**message_rules.MODE_LABELS, **message_rules.CHANNEL_LABELS}


SECTIONS: list[Section] = [
    from_query("account", _l("Account"), _c(
        ("id", _l("Account number")), ("name", lazy_pgettext("a person's name", "Name")),
        ("phone", _l("Phone")),
        ("email", _l("E-mail")), ("created_at", _l("Registered")),
        ("last_login_at", _l("Last login")), ("platform_admin", _l("Platform administrator"))),
        _account),
    from_query("roles", _l("Roles"), _c(
        "community", ("role", _l("Role"), ROLE_LABELS), ("grid", _l("Grid")),
        ("granted_at", _l("Granted"))), _roles),
    from_query("homes", _l("Homes on the owners' roster"), _c(
        "community", "home", ("area_m2", _l("Floor area (m²)"))), _homes),
    from_query("residencies", _l("Residency"), _c(
        "community", "home", ("relation", _l("Relation"), RELATION_LABELS),
        ("status", T["status"], RESIDENCY_STATUS_LABELS), ("note", _l("Note")),
        ("requested_at", _l("Asked")), ("decided_at", _l("Decided")),
        ("refusal_reason", _l("Reason for refusal"))), _residencies),
    from_query("topics", _l("Topics I proposed"), _c(
        "topic_id", ("title", _l("Title")), ("category", _l("Category"), CATEGORY_LABELS),
        ("stage", _l("Stage"), _STAGES),
        ("description", _l("Description")), "created_at", ("submitted_at", _l("Submitted"))),
        _topics),
    from_query("comments", _l("Comments and replies"), _c(
        ("comment_id", _l("Comment number")), "topic_id", "topic",
        ("reply_to", _l("Reply to comment")), ("body", _l("Text")),
        ("state", _l("State"), mydata_labels.COMMENT_STATE_LABELS),
        "created_at", ("edited_at", _l("Edited")),
        ("assisted", _l("Written by a grid worker for me"))), _comments),
    from_query("reactions", _l("Agree / disagree on comments"), _c(
        ("comment_id", _l("Comment number")), "topic", ("value", _l("Reaction"), REACTION_LABELS),
        ("at", _l("When"))), _reactions),
    from_query("reports", _l("Comments I reported"), _c(
        ("comment_id", _l("Comment number")), ("reason", _l("Reason")), "created_at",
        ("resolved_at", _l("Resolved"))), _reports),
    from_query("cosignatures", _l("Co-signatures"), _c("topic_id", "topic", "created_at"),
               _cosignatures),
    from_query("follows", _l("Topics I follow"), _c("topic_id", "topic", "created_at"),
               _follows),
    from_query("ballots", _l("Ballots and receipts"), _c(
        "vote_id", "question", ("option", _l("Choice"), OPTION_LABELS),
        ("receipt", _l("Receipt code")),
        ("channel", _l("How it was cast"), BALLOT_CHANNEL_LABELS), ("counted", _l("Counts")),
        ("cast_by_me", _l("Cast by me")), ("assisted", _l("Cast by a grid worker for me")),
        ("cast_at", _l("Cast"))), _ballots),
    from_query("proxies", _l("Proxy authorisations"), _c(
        "vote_id", "question",
        ("direction", _l("Given or held"), mydata_labels.PROXY_DIRECTION_LABELS),
        ("proxy_name", _l("Proxy")), ("channel", _l("How"), PROXY_CHANNEL_LABELS),
        ("reference", _l("Form number")),
        ("status", T["status"], mydata_labels.PROXY_STATUS_LABELS), "created_at",
        ("accepted_at", _l("Accepted")), ("ended_at", _l("Ended"))), _proxies),
    from_query("paper_ballots", _l("Paper ballots for my home"), _c(
        "vote_id", "question", ("serial", _l("Serial")),
        ("status", T["status"], PAPER_STATUS_LABELS), ("printed_at", _l("Printed")),
        ("decided_at", _l("Recorded"))), _paper_ballots),
    from_query("grid_help", _l("Help from grid workers"), _c(
        ("kind", _l("What"), _GRID_HELP_KINDS), ("grid", _l("Grid")),
        ("scope", lazy_pgettext("what a consent covers", "For"), grid_rules.SCOPE_LABELS),
        ("source", _l("Given"), grid_rules.SOURCE_LABELS), ("starts_at", _l("From")),
        ("ends_at", _l("Until")),
        ("revoked_at", _l("Revoked")), ("summary", _l("Summary")), ("at", _l("When"))),
        _grid_help),
    from_query("registrations", _l("Meeting registrations"), _c(
        ("meeting_id", _l("Meeting number")), ("meeting", _l("Meeting")),
        ("starts_at", _l("Starts")), ("status", T["status"], REGISTRATION_STATUS_LABELS),
        "created_at"), _registrations),
    from_query("reservations", _l("Reservations and reception records"), _c(
        ("reservation_id", _l("Reservation number")), ("studio", _l("Studio")),
        ("slot_start", _l("Time")), ("category", _l("Category"), MATTER_CATEGORY_LABELS),
        ("matter", _l("Matter")), "created_at", ("cancelled_at", _l("Cancelled")),
        ("attendance", _l("Attendance"), ATTENDANCE_LABELS), ("raised", _l("Raised")),
        ("follow_up", _l("Follow-up")),
        ("matter_status", _l("Matter status"), MATTER_STATUS_LABELS),
        ("due_on", _l("Answer due")), ("answer", _l("Answer")), ("answered_at", _l("Answered")),
        ("rating", _l("My rating")), ("rating_reason", _l("Why"))), _reservations),
    from_query("ratings", _l("Ratings of outcomes"), _c(
        "topic_id", "topic", ("stars", _l("Stars")), ("comment", _l("Comment")), "created_at",
        ("updated_at", _l("Changed"))), _ratings),
    from_query("objections", _l("Objections"), _c(
        "topic_id", "topic", ("body", _l("Objection")), "created_at", ("answer", _l("Answer")),
        ("answered_at", _l("Answered")), ("upheld", _l("Upheld"))), _objections),
    Section("notifications", _l("Notifications"), _c(
        ("text", _l("Text")), ("kind", _l("Kind"), message_rules.KIND_LABELS),
        ("url", _l("Link")), "created_at", ("read_at", _l("Read"))), _notification_rows,
        from_query("notifications", "", [], _notifications).counting),
    from_query("message_settings", _l("Message settings"), _c(
        ("setting", _l("Setting"), _SETTINGS), ("value", _l("Choice"), _SETTING_VALUES),
        ("quiet_start", _l("Quiet from")), ("quiet_end", _l("Quiet until")),
        ("language", _l("Language"), i18n.LANGUAGES), ("updated_at", _l("Changed"))),
        _message_settings),
    from_query("outbox", _l("SMS and e-mail sent to me"), _c(
        ("channel", lazy_pgettext("how a message was sent", "Channel"),
         message_rules.CHANNEL_LABELS), ("to", _l("To")),
        ("purpose", _l("Purpose"), message_rules.PURPOSE_LABELS), ("subject", _l("Subject")),
        ("status", T["status"], message_rules.STATUS_LABELS), "created_at",
        ("sent_at", _l("Sent"))),
        _outbox, _l("Without the messages' text: codes and links are not shown again.")),
    from_query("tokens", _l("Apps and devices"), _c(
        ("device", _l("Device")), ("created_at", _l("Logged in")),
        ("last_used_at", _l("Last used")), ("expires_at", _l("Expires")),
        ("revoked_at", _l("Logged out"))), _tokens),
    from_query("account_events", _l("Account history"), _c(
        ("action", _l("What"), ACTION_LABELS), ("at", _l("When")), ("by_me", _l("By me"))),
        _account_events,
        _l("Registration, activation, password and phone changes, app logins.")),
    from_query("consents", _l("Agreements to the privacy notice"), _c(
        ("version", _l("Version")), ("agreed_at", _l("Agreed")),
        ("channel", lazy_pgettext("where an agreement was given", "Where"),
         CONSENT_CHANNEL_LABELS)),
        _consents),
    Section("views_of_me", _l("Officials who saw my personal data"), _c(
        ("at", _l("When")), ("viewer", _l("Who")), ("role", _l("Role")), ("page", _l("Page")),
        ("object", _l("About")), ("fields", _l("What they saw")), "community"),
        _views_of_me_rows, from_query("views_of_me", "", [], _views_of_me).counting,
        _l("Each time an official's page showed your whole phone number or e-mail address, or "
           "your name on a list of owners who have not voted.")),
    from_query("exports", _l("My downloads of this data"), _c(
        ("format", _l("Format"), mydata_labels.FORMAT_LABELS),
        ("status", T["status"], mydata_labels.EXPORT_STATUS_LABELS), ("size", _l("Size (bytes)")),
        "created_at", ("expires_at", _l("Expires"))), _exports),
]


def section(key: str) -> Section | None:
    return next((s for s in SECTIONS if s.key == key), None)
