"""The shapes of the JSON API, declared once as pydantic models: what a request may send (path,
query and body models) and what it is answered (response models). The views validate input with
them and build their answers from them, and consult/api/openapi.py makes the OpenAPI document
from them, so a field, a limit or a list of choices is written here and nowhere else.

Choices come from the domain: stages from the lifecycle, categories and the other codes from
the models' enums, sort orders from the modules that sort. Limits come from the services that
enforce them (the service stays the judge; the model says the same limit up front), and the
document states each rule the server applies to a request's shape, so that what it allows is
never refused as invalid (422) and what it forbids always is: a text the service trims must
not be blank (``NOT_BLANK``, ``at_least``), a date-time is RFC 3339's. A rule on the server's
data (one of this vote's options) is a conflict instead (``refused_as`` in consult/api/core.py).

Conventions: input models forbid nothing extra (unknown members are ignored, as before); body
members are strict (``"5"`` is not a number, ``1`` is not ``true``; but ``5.0`` is the whole
number 5, as in JSON Schema); query parameters are strings converted as usual, an empty one
counts as absent (``allowEmptyValue`` in the document). In answers, a member declared with a
default is left out when the view does not set it (``my_rating`` without a token); times are
naive UTC in the database and ISO 8601 with ``Z`` here.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any, Literal

from flask_babel import lazy_gettext as _l
from pydantic import (
    BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from consult.accounts.passwords import MIN_LENGTH as PASSWORD_MIN
from consult.activation.service import PASSWORD_MAX
from consult.api.models import ApiToken
from consult.halls.models import ResolutionKind
from consult.outcomes.models import OutcomeStatus
from consult.outcomes.service import TEXT_MAX
from consult.privacy import rules as privacy_rules
from consult.studios.models import Body as RepresentativeBody
from consult.studios.models import StudioKind
from consult.studios.reception import MATTER_MAX
from consult.topics import comments
from consult.topics.forms import SORTS as TOPIC_SORTS
from consult.topics.lifecycle import PUBLIC_STAGES_ORDERED, Stage
from consult.topics.models import Category, ReactionValue, ScopeLevel
from consult.topics.service import DESCRIPTION_MAX, TITLE_MAX, TITLE_MIN
from consult.votes.models import Channel, Electorate
from consult.votes.tally import Rule

PROBLEM_BASE = "https://consult.example/problems/"
# kind -> (status, title); the type URI is PROBLEM_BASE + kind and never changes.
PROBLEM_KINDS = {
    "validation": (422, "Invalid input"),
    "unauthenticated": (401, "Authentication required"),
    "forbidden": (403, "Not allowed"),
    "not-found": (404, "Not found"),
    "method-not-allowed": (405, "Method not allowed"),
    "conflict": (409, "Conflict with the current state"),
    "too-large": (413, "Request too large"),
    "unsupported-media-type": (415, "Unsupported media type"),
    "rate-limited": (429, "Too many requests"),
    "bad-request": (400, "Bad request"),
    "server-error": (500, "Server error"),
    "unavailable": (503, "Service unavailable"),
}
INT_MAX = 2_147_483_647  # the largest id the database stores
PER_PAGE_DEFAULT, PER_PAGE_MAX, PAGE_MAX = 20, 100, 100_000
TOKEN_NAME_MAX = ApiToken.__table__.c.name.type.length
SEARCH_MAX = 100

# Choices that are the API's own words (not stored codes), and lists derived from the domain.
PublicStage = Literal[tuple(s.value for s in PUBLIC_STAGES_ORDERED)]  # drafts are never listed
TopicSort = Literal[tuple(TOPIC_SORTS)]
CommentSort = Literal[comments.SORTS]
CommentState = Literal[comments.VISIBLE, comments.HIDDEN, comments.WITHDRAWN]
ReactionChoice = Literal[(*comments.REACTION_VALUES, comments.CLEAR)]
MeetingsWhen = Literal["upcoming", "past"]
VoteStatus = Literal["scheduled", "open", "closed", "cancelled"]
PaperEntryStatus = Literal["entered", "confirmed", "disputed"]


class Says:
    """What to tell a person whose value for this field is refused, whatever the reason
    (``Annotated[str, Field(...), Says(_l("..."))]``), or only for the kinds of pydantic error
    named after it (``Says(_l("..."), "string_pattern_mismatch")``: a blank text in the
    service's words, a text too long in the usual ones); without it, the error's kind decides
    (see consult/api/core.py)."""

    def __init__(self, message, *kinds: str):
        self.message = message
        self.kinds = frozenset(kinds)

    def applies_to(self, kind: str) -> bool:
        return not self.kinds or kind in self.kinds


# Texts as the services read them: Python's ``str.strip()`` and ``str.split()`` drop what
# ``str.isspace()`` calls whitespace. The patterns below say the same in every regex dialect
# that reads them (the document's ECMA 262, pydantic's Rust regex, Python's re): ``\s`` differs
# between them only in U+001C-U+001F and U+0085 (whitespace to Python alone) and U+FEFF
# (whitespace to ECMA alone), so those are named.
_SPACE = r"[\s\x1c-\x1f\x85]"
_INK = r"(?:\ufeff|[^\s\x1c-\x1f\x85])"  # a character that strip() keeps
NOT_BLANK = _INK  # (a pattern matches anywhere in the text): something besides whitespace


def at_least(n: int) -> str:
    """At least ``n`` characters once the text is trimmed and every run of whitespace inside
    counts as one space (``" ".join(text.split())``): a first character, then ``n - 1`` more,
    each a character or (worth two) a run of whitespace and a character. No lookahead: it is
    slow to generate from and pydantic's regex has none."""

    def more(m: int) -> str:
        if m <= 0:
            return ""
        if m == 1:
            return f"{_SPACE}*{_INK}"
        return f"(?:{_INK}{more(m - 1)}|{_SPACE}+{_INK}{more(m - 2)})"

    return f"^{_SPACE}*{_INK}{more(n - 1)}"


def documented(**schema) -> dict:
    """A constraint the document states and the service checks in its own words, pydantic
    not: ``Field(max_length=..., **documented(pattern=NOT_BLANK))``."""
    return {"json_schema_extra": schema}


# --- inputs -----------------------------------------------------------------------------------

INPUTS: dict[str, type[BaseModel]] = {}  # by name: a validation error names its model


def _untitled(schema: dict) -> None:
    """No generated titles ("Topic Id") on members: the name says it."""
    for member in schema.get("properties", {}).values():
        member.pop("title", None)


class Input(BaseModel):
    """A request's path, query or body; a choice of an enum arrives as its plain value."""

    model_config = ConfigDict(use_enum_values=True, json_schema_extra=_untitled)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        INPUTS[cls.__name__] = cls


Id = Annotated[int, Field(ge=1, le=INT_MAX)]


def _no_default(schema: dict) -> None:
    schema.pop("default", None)


def unset(description: str = "", **constraints):
    """A member that may be left out (a query parameter not sent, a member of an answer shown
    only to some callers): ``None`` in Python, absent (not null) in JSON. Pair it with
    ``| Absent`` in the annotation."""
    return Field(None, description=description or None, json_schema_extra=_no_default,
                 **constraints)


Absent = SkipJsonSchema[None]


class Query(Input):
    model_config = ConfigDict(use_enum_values=True, extra="ignore", json_schema_extra=_untitled)

    @model_validator(mode="before")
    @classmethod
    def _empty_is_absent(cls, data):
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v != ""}
        return data


class JsonBody(Input):
    model_config = ConfigDict(use_enum_values=True, extra="ignore", strict=True,
                              json_schema_extra=_untitled)


class Paging(Query):
    page: int = Field(1, ge=1, le=PAGE_MAX, description="Page number, from 1")
    per_page: int = Field(PER_PAGE_DEFAULT, ge=1, le=PER_PAGE_MAX,
                          description=f"Items per page, at most {PER_PAGE_MAX}")


Area = Annotated[str, Field(pattern=r"^(community|mine|grid:\d{1,9}|building:\d{1,9})$")]


class TopicQuery(Paging):
    stage: PublicStage | Absent = unset("Only this stage")
    category: Category | Absent = unset("Only this category")
    community: Id | Absent = unset("Only this community")
    area: Annotated[Area | Absent, Says(_l("Give community, mine, grid:<id> or building:<id>."))] \
        = unset("community (whole-community topics), grid:<id>, building:<id>, or mine (topics "
                "whose scope contains the user's home)")
    q: str = Field("", max_length=SEARCH_MAX, description="Words in the title or description")
    sort: TopicSort = Field("newest", description="Order")


class CommentQuery(Paging):
    sort: CommentSort = Field(comments.DEFAULT_SORT, description="consensus: broadest support "
                                                                "across opinion groups first")


class MeetingQuery(Paging):
    when: MeetingsWhen = Field("upcoming", description="upcoming (default) or past")


_RFC3339 = re.compile(r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d+))?"
                      r"(?:[Zz]|([+-])(\d\d):(\d\d))")


def rfc3339(value) -> datetime:
    """A ``date-time`` of the document (RFC 3339: with an offset, ``Z`` for UTC) as a naive
    time in UTC, as the database keeps times; anything else is refused. A time the calendar of
    Python cannot hold (the year 0000, or 9999-12-31 late in a zone west of UTC) is moved to
    the calendar's nearest end, and a leap second to the second before it: what is asked for
    is found the same (nothing is there), never refused."""
    match = _RFC3339.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError("not an RFC 3339 date-time")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    sign, off_hours, off_minutes = match.group(8), match.group(9), match.group(10)
    offset = 0
    if sign is not None:
        if int(off_hours) > 23 or int(off_minutes) > 59:
            raise ValueError("no such offset")
        offset = (1 if sign == "+" else -1) * (int(off_hours) * 60 + int(off_minutes))
    if second == 60:  # a leap second ends a day in UTC
        if (hour * 60 + minute - offset) % 1440 != 23 * 60 + 59:
            raise ValueError("no such leap second")
        second = 59
    microsecond = int((match.group(7) or "")[:6].ljust(6, "0"))
    try:  # the year 0000 is a leap year, as 2000 is
        local = datetime(year or 2000, month, day, hour, minute, second, microsecond)
    except ValueError:
        raise ValueError("no such day or time") from None
    if year == 0:
        return datetime.min
    try:
        return local - timedelta(minutes=offset)
    except OverflowError:
        return datetime.min if offset > 0 else datetime.max


When = Annotated[datetime | Absent, BeforeValidator(rfc3339),
                 Says(_l("Give a date-time in ISO 8601, e.g. 2026-12-01T09:00:00+08:00."))]


class SessionQuery(Paging):
    """``to`` must come after ``from`` and at most 92 days after it: JSON Schema cannot say
    it of two parameters, so the descriptions do (and a 422 names ``to``)."""

    from_: When = Field(None, alias="from", json_schema_extra=_no_default, description=(
        "Sessions starting from (RFC 3339, with an offset: 2026-12-01T09:00:00+08:00; "
        "default now)"))
    to: When = unset("... until (default 28 days later); after `from` and at most 92 days "
                     "after it")


# Path parameters: the URL converters give ints; ids out of range are "not found" before this.
class TopicPath(Input):
    topic_id: Id = Field(description="Topic id")


class CommentPath(Input):
    comment_id: Id = Field(description="Comment id")


class VotePath(Input):
    vote_id: Id = Field(description="Vote id")


class CommunityPath(Input):
    community_id: Id = Field(description="Community id")


class MeetingPath(Input):
    meeting_id: Id = Field(description="Meeting id")


class StudioPath(Input):
    studio_id: Id = Field(description="Studio id")


class SessionPath(Input):
    session_id: Id = Field(description="Session id")


class ReservationPath(Input):
    reservation_id: Id = Field(description="Reservation id")


class RepresentativePath(Input):
    community_id: Id = Field(description="Community id")
    user_id: Id = Field(description="The representative's user id")


class TokenRequest(JsonBody):
    identifier: str = Field(description="e-mail address or phone number",
                            **documented(pattern=NOT_BLANK))
    password: str
    name: str = Field("", max_length=TOKEN_NAME_MAX, description="the device, e.g. “my phone”")


class ActivationBody(JsonBody):
    identifier: str = Field(max_length=254, description=(
        "the phone number or e-mail address the community's roster has for the owner"),
        **documented(pattern=NOT_BLANK))
    code: str = Field(max_length=40, description=(
        "the activation code of the owner's letter or message, e.g. `ABCDE-FGHJK`: any case, "
        "with or without the dash and spaces"), **documented(pattern=NOT_BLANK))
    password: str = Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX,
                          description="the password the owner chooses")
    privacy_version: str = Field(max_length=20, description=(
        "the version of the privacy notice the owner read and agrees to: the one in force, "
        "from `GET /api/v1/privacy`"), **documented(enum=[privacy_rules.current().id]))


class ProposalBody(JsonBody):
    title: str = Field(min_length=TITLE_MIN, max_length=TITLE_MAX, description=(
        f"at least {TITLE_MIN} characters once spaces around it are dropped and runs of spaces "
        "count as one"), **documented(pattern=at_least(TITLE_MIN)))
    description: str = Field(max_length=DESCRIPTION_MAX, **documented(pattern=NOT_BLANK))
    category: Category = Field(strict=False)  # strict: only an enum member, not its value
    # Well formed here; one the user may propose in by the service (403 otherwise).
    scope: Annotated[str, Field(pattern=r"^(community|grid|building):[1-9][0-9]{0,9}$"),
                     Says(_l("Choose where the topic applies: your community, grid or "
                             "building."))] = Field(
        description="one of the `scopes` of GET /api/v1/me, e.g. community:3")
    submit: bool = Field(True, description="false keeps it as a draft only the proposer sees")


class CommentBody(JsonBody):
    body: Annotated[str, Field(max_length=comments.BODY_MAX, pattern=NOT_BLANK),
                    Says(_l("Write your comment first: the text is empty."),
                         "string_pattern_mismatch")]
    official: bool = Field(False, description=(
        "true: post the official answer (官方回复) of the community to the topic, or to the "
        "comment replied to; only its secretaries, representatives and administrators may "
        "(403 otherwise)"))


class ReactionBody(JsonBody):
    value: ReactionChoice = Field(description=f"{comments.CLEAR}: take one's reaction back")


class BallotBody(JsonBody):
    # Not blank here; one of this vote's options by the service (409 otherwise).
    option: Annotated[str, Field(pattern=NOT_BLANK),
                      Says(_l("Choose one of the options."), "string_pattern_mismatch")] = \
        Field(description="one of the vote's `options`")
    replace_other: bool = Field(False, description=(
        "true to replace a ballot someone else cast for the same homes (a co-owner, a proxy, on "
        "paper); without it such a ballot is answered 409 with code `replaces_other`"))


class PaperBallotBody(JsonBody):
    # Well formed here; a serial of this vote's papers by the service (404 otherwise).
    serial: str = Field(min_length=1, max_length=40, description=(
        "the serial number printed on the paper (or read from its QR code); capitals, spaces "
        "and dashes do not matter"), **documented(pattern=NOT_BLANK))
    option: str | None = Field(None, max_length=80, description=(
        "what the paper says: one of the vote's `options`; leave it out for a spoilt paper"))
    spoilt: bool = Field(False, description="a spoilt paper (废票): no choice, or more than one")


class CancelVoteBody(JsonBody):
    # At least 10 characters once spaces are collapsed (the service; 422 otherwise).
    reason: Annotated[str, Field(min_length=10, max_length=1000),
                      Says(_l("Give a reason of at least 10 characters; it is shown "
                              "publicly."))] = Field(
        description="why the vote is cancelled, shown publicly (10 to 1000 characters)")


class ReservationBody(JsonBody):
    # A slot key here; one of this session's slots, not begun, by the service (409 otherwise).
    slot: Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$"),
                    Says(_l("Choose one of the free slots."))] = Field(
        description="a slot `key` of the session, e.g. 2026-12-01T01:00")
    category: Category = Field(strict=False)
    matter: str = Field(max_length=MATTER_MAX, **documented(pattern=NOT_BLANK))


class ObjectionBody(JsonBody):
    body: str = Field(max_length=TEXT_MAX, description="the objection and its reasons; shown "
                                                       "publicly with one's name",
                      **documented(pattern=NOT_BLANK))


def _whole(value):
    """A JSON number without a fraction is an integer to JSON Schema (``5.0`` is 5)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class RatingBody(JsonBody):
    # The service's words for the same refusal.
    stars: Annotated[int, Field(ge=1, le=5), BeforeValidator(_whole),
                     Says(_l("Choose from 1 to 5 stars."))]
    comment: str = Field("", max_length=TEXT_MAX)


# --- answers ----------------------------------------------------------------------------------

def _iso(value: datetime) -> str:
    return value.replace(tzinfo=timezone.utc).isoformat().replace("+00:00", "Z")


Time = Annotated[datetime, PlainSerializer(_iso, return_type=str), WithJsonSchema(
    {"type": "string", "format": "date-time", "description": "ISO 8601, UTC with Z"})]
Count = Annotated[int, Field(ge=0)]
Percent = Annotated[int, Field(ge=0, le=100)]


class Shape(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra=_untitled)


class Problem(Shape):
    """RFC 9457 problem details: every error of the API."""

    type: Literal[tuple(PROBLEM_BASE + kind for kind in PROBLEM_KINDS)] = Field(
        json_schema_extra={"format": "uri"}, description="Stable per kind of error")
    title: str
    status: int
    detail: str
    field: str | Absent = unset("The input field that was wrong")
    code: str | Absent = unset("Why a permission was refused: login_required, not_verified, "
                               "forbidden, not_elector, …")


class Person(Shape):
    id: int
    name: str


class Community(Shape):
    id: int
    name: str
    district: str
    street_office: str
    cosign_threshold: int


class CommunityList(Shape):
    items: list[Community]
    total: Count


class TopicSummary(Shape):
    id: int
    title: str
    category: Category
    stage: Stage
    stage_label: str
    community_id: int
    grid_id: int | None
    building_id: int | None
    scope: ScopeLevel
    cosign_count: int
    comment_count: int
    answered_at: Time | None = Field(description=(
        "when the community first answered officially (官方回复); null: not answered"))
    submitted_at: Time | None
    stage_changed_at: Time
    comment_until: Time | None


class StageChange(Shape):
    transition: str
    from_stage: str
    to_stage: str
    at: Time
    actor: Person | None
    note: str


class Topic(TopicSummary):
    description: str
    description_html: str
    community: str
    cosign_threshold: int
    proposer: Person | None
    closing_reason: str
    vote_id: int | None
    timeline: list[StageChange]


class Page(Shape):
    total: Count
    page: int = Field(ge=1)
    per_page: int = Field(ge=1)


class TopicPage(Page):
    items: list[TopicSummary]


class ReactionCounts(Shape):
    agree: int
    disagree: int
    pass_: int = Field(alias="pass")

    model_config = ConfigDict(from_attributes=True, json_schema_extra=_untitled,
                              populate_by_name=True)


class Comment(Shape):
    id: int
    parent_id: int | None
    state: CommentState
    author: Person | None
    body: str | None = Field(description="null when withdrawn or hidden")
    hidden_reason: str | None
    created_at: Time
    edited_at: Time | None
    reactions: ReactionCounts
    my_reaction: ReactionValue | None
    official: bool = Field(description="an official answer (官方回复) of the community")
    author_role: str | None = Field(description=(
        "the author's role in the community when they posted (secretary, representative, "
        "admin); null for a resident"))
    replies: list[Comment]


class CommentPage(Page):
    """`items` are top-level comments, each with all its replies (oldest first); `total` counts
    the topic's top-level comments, withdrawn and hidden included."""

    items: list[Comment]
    sort: CommentSort
    count: Count = Field(description="comments and replies of the topic, withdrawn and hidden "
                                     "included")
    can_comment: bool
    refusal: str | None = Field(description="why the caller may not comment now")


class CosignResult(Shape):
    topic_id: int
    cosign_count: int
    stage: Stage
    sent_to_review: bool


class ReactionResult(Shape):
    comment_id: int
    my_reaction: ReactionValue | None
    reactions: ReactionCounts


class Hall(Shape):
    id: int
    name: str
    address: str
    capacity: int
    accessibility: str


class Meeting(Shape):
    id: int
    title: str
    community_id: int
    hall: Hall
    starts_at: Time
    ends_at: Time
    cancelled: bool
    cancel_reason: str | None
    minutes_published: bool


class MeetingPage(Page):
    items: list[Meeting]


class AgendaItem(Shape):
    position: int
    topic: TopicSummary


class Seats(Shape):
    capacity: int
    confirmed: int
    waiting: int


class MeetingDetail(Meeting):
    agenda: list[AgendaItem]
    seats: Seats


class Resolution(Shape):
    topic_id: int
    topic_title: str
    kind: ResolutionKind | None
    summary: str
    question: str | None
    options: list[str]
    reason: str | None
    comment_days: int | None


class Minutes(Shape):
    meeting_id: int
    revision: int
    published_at: Time | None
    present_count: int
    residents_count: int
    officials_present: str
    body: str
    body_html: str
    correction_note: str | None
    resolutions: list[Resolution]


class Receipt(Shape):
    tracker: str
    option: str
    cast_at: Time


class CastForMe(Shape):
    """A ballot of the user's homes that someone else cast: who, how and when; its choice for
    named votes only."""

    cast_by: str = Field(description="their name; empty for a paper ballot")
    channel: Literal["online", "paper", "proxy"]
    cast_at: Time
    option: str | Absent = unset("named votes only")


class VoteResult(Shape):
    """The published tally (see the vote rules)."""

    rule: Rule
    valid: bool
    passed: bool | None
    headcount_total: int = 0
    headcount_participating: int = 0
    headcount_agree: int = 0
    area_total: str = ""
    area_participating: str = ""
    area_agree: str = ""
    votes: dict[str, int]
    areas: dict[str, str] = {}
    winners: list[str] = []
    sentences: list[str] = []


class Vote(Shape):
    id: int
    topic_id: int
    question: str
    options: list[str]
    electorate: Electorate
    rule: Rule
    quorum_percent: int | None
    secret: bool
    announced_at: Time = Field(description="the announcement (公告): when the vote was made "
                                           "public; nothing of it changes afterwards")
    opens_at: Time
    closes_at: Time
    notice_days: int | None = Field(description="Civil Code votes: the community's notice (days "
                                                "between announcement and opening) that applied")
    min_open_days: int | None = Field(description="Civil Code votes: the shortest voting time "
                                                  "(days) that applied")
    status: VoteStatus = Field(description="scheduled: announced, not yet open")
    cancelled_at: Time | None = Field(description="set when the vote was cancelled: it takes "
                                                  "no ballots and has no result")
    cancel_reason: str | None
    ready: bool = Field(description="false while the electorate is being frozen after the "
                                    "vote was opened: it takes no ballots until then")
    electorate_prepared: int = Field(description="while not ready: homes (owners, households) "
                                                 "or residents gone through so far")
    electorate_expected: int = Field(description="while not ready: homes or residents to go "
                                                 "through")
    electorate_size: int = Field(description="headcount of the electorate; 0 until ready")
    area_total: str
    turnout: int = Field(description="electors who have voted (headcount)")
    result: VoteResult | None = Field(description="null until the vote closes")
    eligible: bool | Absent = unset("with a token: may this user vote")
    my_ballots: list[Receipt] | Absent = unset("with a token: the counted ballots the user "
                                               "cast themself")
    cast_for_me: list[CastForMe] | Absent = unset(
        "with a token: the counted ballots of the user's homes that someone else cast (a "
        "co-owner, their proxy, on paper); casting replaces them only with `replace_other`")


class Ballot(Shape):
    tracker: str
    option: str
    units: str | Absent = unset("named ballots only; never for secret votes")
    channel: Channel = Field(
        description="how the ballot reached the count: online, a paper ballot, or a proxy")


class PaperEntryResult(Shape):
    """One entry of a paper ballot. ``entered``: the first entry, waiting for a second person;
    ``confirmed``: both entries agree and the paper is recorded (a spoilt one counts as no
    ballot); ``disputed``: the entries differ and a secretary resolves it on the web."""

    vote_id: int
    serial: str
    status: PaperEntryStatus


class BallotPage(Page):
    items: list[Ballot]


class BallotResult(Shape):
    """One receipt per elector the user belongs to (e.g. an owner of several units votes once;
    a household once). Casting again replaces the counted ballot."""

    vote_id: int
    option: str
    receipts: list[Receipt]


class Slot(Shape):
    key: str = Field(description="send as `slot` to reserve it")
    start: Time
    end: Time
    free: bool


class StudioSession(Shape):
    id: int
    studio_id: int
    studio: str
    room: str
    representative: Person
    focus: str
    starts_at: Time
    ends_at: Time
    slot_minutes: int
    cancelled: bool
    cancel_reason: str | None
    free_slots: int
    slots: list[Slot]


class SessionPage(Page):
    items: list[StudioSession]


class Room(Shape):
    id: int
    name: str


class Hours(Shape):
    weekday: int = Field(ge=0, le=6, description="0 is Monday")
    opens: str
    closes: str


class Studio(Shape):
    id: int
    name: str
    kind: StudioKind
    kind_label: str
    address: str
    community_id: int
    representatives: list[Person]
    rooms: list[Room] | Absent = unset("a single studio only")
    hours: list[Hours] | Absent = unset("a single studio only")


class StudioList(Shape):
    items: list[Studio]
    total: Count


class StudioName(Shape):
    id: int
    name: str


class Representative(Shape):
    id: int
    name: str
    community_id: int
    body: Literal[tuple(b.value for b in RepresentativeBody)] | None
    body_label: str | None
    area_served: str | None
    bio: str | None
    studios: list[StudioName]


class Reservation(Shape):
    id: int
    session_id: int
    slot_start: Time
    slot_end: Time
    category: Category
    matter: str
    cancelled: bool
    created_at: Time


class ReservationList(Shape):
    items: list[Reservation]


class Token(Shape):
    token: str = Field(description="shown once; store it safely")
    token_type: Literal["Bearer"]
    id: int
    name: str
    created_at: Time
    last_used_at: Time | None
    expires_at: Time


class ProposalScope(Shape):
    key: str
    label: str


class Activated(Shape):
    id: int = Field(description="the account's id")
    name: str
    homes: list[str] = Field(description="the homes the account is now verified to (grid, "
                                         "building, unit), from the roster")


class Me(Shape):
    id: int
    name: str
    verified: bool
    communities: list[int]
    scopes: list[ProposalScope] = Field(description="where this user may propose: send `key` "
                                                    "as `scope`")


# --- outcomes ---------------------------------------------------------------------------------

class RatingSummary(Shape):
    count: Count
    average: str | None = Field(description="one decimal, e.g. 4.3; null without ratings")
    distribution: dict[str, Count] = Field(description="number of ratings per stars, \"5\" to "
                                                       "\"1\"")


class Objection(Shape):
    id: int
    author: Person | None
    body: str
    created_at: Time
    upheld: bool
    answer: str | None = Field(description="the community office's public answer")
    answered_at: Time | None


class ProgressUpdate(Shape):
    percent: Percent
    body: str
    at: Time
    author: Person | None


class MyRating(Shape):
    stars: int = Field(ge=1, le=5)
    comment: str
    created_at: Time
    updated_at: Time


class Implementation(Shape):
    responsible: str | None
    target_date: date | None
    percent: Percent
    done_at: Time | None
    overdue: bool
    progress: list[ProgressUpdate]


class Outcome(Shape):
    id: int
    topic_id: int
    topic_stage: Stage
    vote_id: int | None
    decision: str
    act: bool = Field(description="false: the decision is to do nothing")
    status: OutcomeStatus = Field(description="publicised: in its publicity window; sent_back: "
                                              "an objection was upheld; effective: the window "
                                              "ended")
    published_at: Time
    window_ends_at: Time
    window_open: bool
    settled_at: Time | None
    objections: list[Objection]
    implementation: Implementation | None = Field(
        description="null unless the outcome is in effect and something is to be done")
    ratings: RatingSummary | None = Field(description="null until the implementation is done")
    ratings_open: bool
    ratings_until: Time | None
    can_object: bool = Field(description="may the caller lodge an objection now")
    can_rate: bool = Field(description="may the caller rate now")
    my_rating: MyRating | None = unset("with a token (null: not rated yet)")


class OutcomeTopic(Shape):
    id: int
    title: str
    stage: Stage
    stage_label: str


class OutcomeEntry(Shape):
    id: int
    topic: OutcomeTopic
    decision: str
    act: bool
    status: OutcomeStatus
    status_text: str
    published_at: Time
    window_ends_at: Time
    window_open: bool
    percent: int | None = Field(description="the latest progress report")
    done_at: Time | None
    overdue: bool
    ratings: RatingSummary


class OutcomePage(Page):
    items: list[OutcomeEntry]


class RatingResult(MyRating):
    topic_id: int
    ratings: RatingSummary
