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
    AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema,
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


class CloseAccountRequest(JsonBody):
    password: str = Field(min_length=1, max_length=128,
                          description="the account's password, typed again")


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
    electorate_prepared: int = Field(description="homes (owners, households) or residents gone "
                                                 "through: 0 while not ready (the electorate is "
                                                 "frozen at once, in one transaction), then "
                                                 "electorate_expected")
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



# --- my data (consult/mydata) -----------------------------------------------------------------

class MyDataColumn(Shape):
    key: str = Field(description="the member of each row")
    label: str = Field(description="the column's name in the reader's language")


class MyDataSection(Shape):
    title: str = Field(description="in the reader's language")
    count: int = Field(ge=0)
    columns: list[MyDataColumn]
    rows: list[dict[str, Any]] = Field(description="newest first; each row has every column's "
                                                   "key; times are ISO 8601 UTC")


class MyData(Shape):
    """Everything the site holds about the token's user, by section (the same document as the
    JSON download of the "My data" page)."""

    user_id: int
    generated_at: Time
    sections: dict[str, MyDataSection] = Field(
        description="keyed by section: account, roles, homes, residencies, topics, comments, "
                    "reactions, reports, cosignatures, follows, ballots, proxies, "
                    "paper_ballots, grid_help, registrations, reservations, ratings, "
                    "objections, notifications, message_settings, outbox, tokens, "
                    "account_events, exports (more may be added)")

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


# --- officials: follow-up (issue 15) ------------------------------------------------------------
# The secretary's outcome, objection and implementation actions; the representative's studio
# booking, reception records and matters; the resident's rating of a matter; the desk.

from consult.desk.queries import KINDS as DESK_KINDS  # noqa: E402  (kept with its block)
from consult.outcomes.service import (  # noqa: E402
    DECISION_MAX, RESPONSIBLE_MAX, WINDOW_DAYS_DEFAULT, WINDOW_DAYS_MAX, WINDOW_DAYS_MIN,
)
from consult.studios import booking as _booking  # noqa: E402
from consult.studios import rules as _matter_rules  # noqa: E402
from consult.studios.models import Attendance, MatterStatus  # noqa: E402
from consult.studios.reception import RECORD_MAX  # noqa: E402
from consult.topics.lifecycle import REASON_MAX as TOPIC_REASON_MAX  # noqa: E402

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def iso_date(value) -> date:
    """A ``date`` of the document (RFC 3339's full-date, ``2026-12-31``) and nothing else: not
    a number, not a date-time."""
    if not isinstance(value, str) or _DAY.fullmatch(value) is None:
        raise ValueError("not an RFC 3339 full-date")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("no such day") from None


Day = Annotated[date, BeforeValidator(iso_date), WithJsonSchema(
    {"type": "string", "format": "date", "description": "YYYY-MM-DD"}),
    Says(_l("Enter a date like 2026-12-01."))]
Until = Annotated[datetime, BeforeValidator(rfc3339), WithJsonSchema(
    {"type": "string", "format": "date-time"}),
    Says(_l("Give a date-time in ISO 8601, e.g. 2026-12-01T09:00:00+08:00."))]
ClockTime = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$"),
                      Says(_l("Enter a time like 09:00."))]
Whole = BeforeValidator(_whole)


class ObjectionPath(Input):
    objection_id: Id = Field(description="Objection id")


class ReceptionPath(Input):
    session_id: Id = Field(description="Session id")
    reservation_id: Id = Field(description="Reservation id")


class PublishBody(JsonBody):
    decision: str = Field(max_length=DECISION_MAX, description=(
        "the decision residents read; GET …/outcome/draft gives the text suggested from the "
        "vote"), **documented(pattern=NOT_BLANK))
    act: bool = Field(True, description="false: the decision is to do nothing (the topic "
                                        "closes when the window ends)")
    days: Annotated[int, Field(ge=WINDOW_DAYS_MIN, le=WINDOW_DAYS_MAX), Whole] = Field(
        WINDOW_DAYS_DEFAULT, description="the publicity window in days")


class PublicityBody(JsonBody):
    until: Until = Field(description=(
        "the new end of the publicity window (RFC 3339): later than the current end, by at "
        "most the extension the rules allow (409 otherwise)"))
    reason: str = Field(max_length=TOPIC_REASON_MAX, description="shown publicly in the "
                                                                  "timeline",
                        **documented(pattern=NOT_BLANK))


class ObjectionAnswerBody(JsonBody):
    # Not blank here (422); answered already or the window over by the service (409).
    answer: Annotated[str, Field(max_length=TEXT_MAX, pattern=NOT_BLANK),
                      Says(_l("Write the answer."), "string_pattern_mismatch")] = Field(
        description="the public answer")
    uphold: bool = Field(False, description=(
        "true: uphold the objection and send the topic back to deliberation, the answer being "
        "the public reason"))


class PlanBody(JsonBody):
    responsible: str = Field(max_length=RESPONSIBLE_MAX, description=(
        "a person, office or company"), **documented(pattern=NOT_BLANK))
    target_date: Day = Field(description="the target date (local calendar)")


class ProgressBody(JsonBody):
    body: str = Field(max_length=TEXT_MAX, description="what has been done; followers are "
                                                       "notified",
                      **documented(pattern=NOT_BLANK))
    percent: Annotated[int, Field(ge=0, le=100), Whole, Says(_l(
        "The percentage done is from 0 to 100."))]


class DoneBody(JsonBody):
    note: str = Field("", max_length=1000, description="shown in the timeline")


class DraftDecision(Shape):
    """What the publish form is pre-filled with: the decision written from the vote's result,
    and whether the outcome may be published now."""

    topic_id: int
    decision: str
    act: bool
    days: int = Field(description="the default publicity window")
    days_min: int
    days_max: int
    may_publish: bool
    refusal: str | None = Field(description="why the outcome cannot be published now")


class BookingBody(JsonBody):
    room_id: Annotated[Id, Whole] = Field(description="one of the studio's `rooms` (409 "
                                                       "otherwise)")
    day: Day = Field(description="the (first) date, local calendar")
    start: ClockTime = Field(description="local time, e.g. 09:00")
    end: ClockTime = Field(description=(
        "local time, after the start and at least one slot later; the studio must be open "
        "the whole time, which must be in the future (409 otherwise)"))
    focus: str = Field("", max_length=_booking.FOCUS_MAX)
    slot_minutes: Annotated[int, Field(ge=_booking.SLOT_MIN, le=_booking.SLOT_MAX), Whole] = \
        Field(_booking.SLOT_DEFAULT, description="length of a reception slot")
    weeks: Annotated[int, Field(ge=1, le=_booking.WEEKS_MAX), Whole] = Field(
        1, description="repeat on the same weekday for this many weeks")


class SkippedDay(Shape):
    day: date
    reason: str


class BookingResult(Shape):
    """The sessions booked; the dates that clashed are skipped (nothing is booked, 409, when
    every date clashes)."""

    sessions: list[StudioSession]
    skipped: list[SkippedDay]


class RecordBody(JsonBody):
    attendance: Attendance = Field(strict=False)
    raised: str = Field("", max_length=RECORD_MAX, description=(
        "what the resident raised: needed (not blank) when they attended, else 422"))
    follow_up: str = Field("", max_length=RECORD_MAX, description="the follow-up promised; "
                                                                  "the resident reads it")


class DueBody(JsonBody):
    due_on: Day = Field(description="the date the answer is promised by: from today to a year "
                                    "ahead (409 otherwise)")


class MatterAnswerBody(JsonBody):
    answer: str = Field(max_length=_matter_rules.ANSWER_MAX,
                        description="the answer the resident reads and rates",
                        **documented(pattern=NOT_BLANK))


class MatterRatingBody(JsonBody):
    rating: Annotated[int, Field(ge=1, le=5), Whole, Says(_l("Choose from 1 to 5."))]
    reason: str = Field("", max_length=_matter_rules.REASON_MAX, description=(
        "needed (not blank) for a rating of 1 or 2, else 422: such a rating sends the matter "
        "back to the representative, once"))


class ReceptionMatter(Shape):
    """A reception and the matter raised at it, followed to the end."""

    reservation_id: int
    session_id: int
    studio: str
    representative: Person
    resident: Person
    slot_start: Time
    category: Category
    matter: str = Field(description="what the resident said when reserving")
    attendance: Attendance | None = Field(description="null until the reception is recorded")
    raised: str | None
    follow_up: str | None
    recorded_at: Time | None
    status: MatterStatus | None = Field(description="null when there is nothing to follow: not "
                                                    "recorded yet, or the resident did not come")
    due_on: date | None
    overdue: bool
    answer: str | None
    answered_at: Time | None
    rating: int | None = Field(ge=1, le=5)
    rating_reason: str | None
    rated_at: Time | None
    reopened: bool = Field(description="a low rating sent it back once")


class ReceptionMatterList(Shape):
    items: list[ReceptionMatter]


DeskKind = Literal[DESK_KINDS]


class DeskItem(Shape):
    kind: DeskKind
    what: str
    since: Time | None
    age_days: Count
    deadline: Time | None = Field(description="when it is due (a moment)")
    deadline_day: date | None = Field(description="when it is due (a local date)")
    overdue: bool
    url: str = Field(description="the web page where it is done")
    api: str | None = Field(description="the API operation's path that does it, where one "
                                        "exists")


class DeskSection(Shape):
    kind: DeskKind
    title: str
    count: Count


class Desk(Shape):
    """The official's desk (我的工作台): the same work as the /me/desk page."""

    total: Count
    sections: list[DeskSection]
    items: list[DeskItem]


# --- officials: agenda (issue 15) ---------------------------------------------------------------
# The secretary's agenda in the API (consult/api/agenda.py): review a proposal, close or extend
# its comment period, schedule a meeting, write and publish its minutes, open a vote and store
# its result. The services judge; these say the same limits up front.

from consult.halls import minutes as _minutes  # noqa: E402
from consult.halls import service as _halls  # noqa: E402
from consult.topics import lifecycle as _lifecycle  # noqa: E402
from consult.votes import service as _votes  # noqa: E402

ResolutionChoice = Literal[tuple(k.value for k in ResolutionKind)]
CommentPeriodAction = Literal["close", "extend"]
Reason = Annotated[str, Field(max_length=_lifecycle.REASON_MAX, pattern=NOT_BLANK),
                   Says(_l("Give a reason. It will be shown on the topic page."),
                        "string_pattern_mismatch", "missing")]
Clock = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$"),
                  Says(_l("Enter a time like 19:00."))]
Moment = Annotated[datetime, BeforeValidator(rfc3339),
                   Says(_l("Give a date-time in ISO 8601, e.g. 2026-12-01T09:00:00+08:00."))]
# Integers as JSON Schema reads them (5.0 is the whole number 5), in these strict bodies.
WholeId = Annotated[int, Field(ge=1, le=INT_MAX), BeforeValidator(_whole)]
WholeCount = Annotated[int, Field(ge=0, le=_minutes.COUNT_MAX), BeforeValidator(_whole)]
CommentDays = Annotated[int, Field(ge=_lifecycle.COMMENT_DAYS_MIN,
                                   le=_lifecycle.COMMENT_DAYS_MAX), BeforeValidator(_whole)]
# One line of text as a service keeps it: no space around it, single spaces inside.
_LINE = rf"^{_INK}+(?: {_INK}+)*$"


def _distinct(values: list[str] | None):
    if values is not None and len(set(values)) != len(values):
        raise ValueError("the same option twice")
    return values


class AcceptBody(JsonBody):
    days: CommentDays = Field(
        _lifecycle.COMMENT_DAYS_DEFAULT, description=(
            f"how many days residents may comment, from {_lifecycle.COMMENT_DAYS_MIN} to "
            f"{_lifecycle.COMMENT_DAYS_MAX} (default {_lifecycle.COMMENT_DAYS_DEFAULT}), as on "
            "the topic page"))


class RejectBody(JsonBody):
    reason: Reason = Field(description="why the proposal is not accepted; shown publicly on the "
                                       "topic and sent to its followers")


class CommentPeriodBody(JsonBody):
    """``close``: end the comment period now, no sooner than three days after it opened.
    ``extend``: a later end (``until``), by at most 30 days, and not past the start of a
    meeting the topic is on the agenda of. Both with a public reason, shown in the timeline and
    sent to the topic's followers."""

    model_config = ConfigDict(use_enum_values=True, extra="ignore", strict=True,
                              json_schema_extra=lambda schema: (_untitled(schema), schema.update(
                                  {"if": {"properties": {"action": {"const": "extend"}},
                                          "required": ["action"]},
                                   "then": {"required": ["until"]}})))

    action: CommentPeriodAction
    until: Moment | Absent = unset("with extend (required): the new end (RFC 3339)")
    reason: Reason = Field(description="why; shown publicly")


class MeetingTimes(JsonBody):
    hall: WholeId = Field(description="one of the community's halls (GET "
                                 "/communities/{community_id}/halls)")
    title: str = Field(min_length=_halls.TITLE_MIN, max_length=_halls.TITLE_MAX, description=(
        f"{_halls.TITLE_MIN} to {_halls.TITLE_MAX} characters; runs of spaces count as one"),
        **documented(pattern=at_least(_halls.TITLE_MIN)))
    day: date = Field(strict=False, description=(
        "the meeting's day in the platform's local time (Asia/Shanghai), e.g. 2026-12-01; in the "
        "future"))
    start: Clock = Field(description="local start time, e.g. 19:00")
    end: Clock = Field(description="local end time, after `start`, e.g. 21:00")


class ScheduleBody(MeetingTimes):
    """A meeting in one of the community's halls, with its agenda. A topic still open for
    comment may go on it when its comment period ends before the meeting starts (it moves to
    deliberation then); a topic whose period is over moves to deliberation now."""

    topics: list[WholeId] = Field(min_length=1, max_length=_halls.AGENDA_MAX, description=(
        "the agenda, in order: ids of the community's topics open for comment or in "
        "deliberation (GET /communities/{community_id}/agenda-candidates)"))


class RescheduleBody(MeetingTimes):
    """The meeting's new time, hall and title; registered residents are told when the time or
    hall changes. It may not start before the comment period of an agenda topic ends."""


class CancelMeetingBody(JsonBody):
    reason: Annotated[str, Field(max_length=_halls.REASON_MAX, pattern=NOT_BLANK),
                      Says(_l("Say why the meeting is cancelled; residents will see it."),
                           "string_pattern_mismatch")] = Field(
        description="shown on the meeting's page and sent to the registered residents")


class ResolutionBody(JsonBody):
    """What the meeting resolved on one agenda topic. ``kind`` (may be left out while
    drafting, but publishing needs one for every agenda topic):

    * ``vote``: put to a vote: ``question`` and ``options`` (2 to 8, the vote's options
      offered when the vote is opened) are needed to publish;
    * ``send_back``: back to comment for ``comment_days`` (3 to 30; default 7);
    * ``no_action``: the topic is closed; ``reason`` is needed to publish and is shown
      publicly.

    Fields of another kind are ignored."""

    topic_id: WholeId = Field(description="an agenda topic of the meeting")
    kind: ResolutionChoice | None = Field(None, description="vote, send_back or no_action")
    summary: str = Field("", max_length=_minutes.TEXT_MAX, description="what was said and "
                                                                       "decided")
    question: str = Field("", max_length=_minutes.QUESTION_MAX)
    options: list[Annotated[str, Field(max_length=_minutes.OPTION_MAX, pattern=_LINE)]] = \
        Field([], max_length=_minutes.OPTIONS_MAX, description="the vote's options, one line "
                                                               "each")
    reason: str = Field("", max_length=_minutes.TEXT_MAX)
    comment_days: CommentDays | None = Field(None, description="with send_back (default 7)")


class MinutesDraftBody(JsonBody):
    """The draft of the minutes, as a whole: attendance, the body (Markdown) and the
    resolutions. An agenda topic left out of ``resolutions`` has none yet. Only the office sees
    the draft until it is published."""

    present_count: WholeCount = Field(0, description="everyone present")
    residents_count: WholeCount = Field(0, description=(
        "residents present; not more than `present_count`"))
    officials_present: str = Field("", max_length=_minutes.OFFICIALS_MAX, description=(
        "representatives and committee members present, separated by commas"))
    body: str = Field("", max_length=_minutes.BODY_MAX, description="Markdown")
    resolutions: list[ResolutionBody] = Field([], max_length=_halls.AGENDA_MAX)


class OpenVoteBody(JsonBody):
    """A vote on a topic the published minutes resolved to put to a vote (or a new run of a
    vote that was invalid or cancelled). The rules the server applies beyond the fields' own
    limits are answered 409 (they depend on one another, on the clock and on the community's
    settings): the Civil Code rules are for ``owners`` with the agree/oppose/abstain options
    and no quorum; ``closes_at`` after ``opens_at`` and in the future; the community's notice
    and shortest voting time for Civil Code votes; ``scope`` within the topic's scope."""

    question: Annotated[str, Field(max_length=_votes.QUESTION_MAX, pattern=NOT_BLANK),
                        Says(_l("Write the question residents will answer."),
                             "string_pattern_mismatch")] = Field(
        description="the question residents answer")
    options: Annotated[list[Annotated[str, Field(max_length=_votes.OPTION_MAX, pattern=_LINE)]]
                       | None, AfterValidator(_distinct)] = Field(
        None, min_length=2, max_length=_votes.MAX_OPTIONS,
        json_schema_extra={"uniqueItems": True}, description=(
            "a choice vote's options (2 to 8, all different); left out: agree, oppose, "
            "abstain"))
    electorate: Electorate = Field(strict=False, description=(
        "owners (headcount and area), households (one per home) or residents"))
    rule: Rule = Field(strict=False)
    scope: Annotated[str, Field(pattern=r"^(community|grid|building):[1-9][0-9]{0,9}$"),
                     Says(_l("Choose an area within the topic's scope."))] = Field(
        description="the area that votes: community:<id>, grid:<id> or building:<id>, within "
                    "the topic's")
    opens_at: Moment = Field(description="when voting opens (RFC 3339); now or later")
    closes_at: Moment = Field(description="when voting closes (RFC 3339)")
    quorum_percent: Annotated[int, Field(ge=1, le=100), BeforeValidator(_whole)] | None = Field(
        None, description=(
        "participation quorum for simple majority and two-thirds votes"))
    secret: bool = Field(False, description="a secret ballot: the ballot list shows no homes")


class HallList(Shape):
    items: list[Hall]
    total: Count


class AgendaCandidate(TopicSummary):
    """A topic that may go on a new agenda."""

    comments_open: bool = Field(description="its comment period still runs (it must end before "
                                            "the meeting starts)")


class AgendaCandidateList(Shape):
    items: list[AgendaCandidate]
    total: Count


class MinutesDraft(Shape):
    """The draft revision of a meeting's minutes, as the office sees it."""

    meeting_id: int
    revision: int
    correction_note: str | None
    present_count: int
    residents_count: int
    officials_present: str
    body: str
    body_html: str
    updated_at: Time | None
    resolutions: list[Resolution]
    problems: list[str] = Field(description="what keeps it from being published; empty: ready")
