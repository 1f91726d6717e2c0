"""The OpenAPI 3.1 document of ``/api/v1``, kept next to the views it describes.

``tests/test_api.py`` checks that every API route in ``app.url_map`` is here, and schemathesis
checks the answers against it. When you add an endpoint, describe it here in the same change.
"""
from __future__ import annotations

from copy import deepcopy

from consult.api.core import PER_PAGE_DEFAULT, PER_PAGE_MAX, PROBLEM_BASE, PROBLEM_TYPE
from consult.topics.models import Category

INT_MAX = 2_147_483_647
STAGES = ["proposed", "in_review", "commenting", "deliberating", "voting", "publicised",
          "implementing", "closed", "rejected", "withdrawn"]
ALL_STAGES = ["draft", *STAGES]
CATEGORIES = [c.value for c in Category]


# --- small builders ---------------------------------------------------------------------------

def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def null(schema: dict) -> dict:
    """The schema, or null."""
    if "type" in schema and isinstance(schema["type"], str) and "$ref" not in schema:
        return {**schema, "type": [schema["type"], "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def obj(required: dict, optional: dict | None = None, *, description: str = "") -> dict:
    schema = {"type": "object", "properties": {**required, **(optional or {})},
              "required": list(required)}
    if description:
        schema["description"] = description
    return schema


STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
TIME = {"type": "string", "format": "date-time",
        "description": "ISO 8601, UTC with Z"}
ID = {"type": "integer", "minimum": 1}


def page_of(item: dict, extra: dict | None = None) -> dict:
    return obj({"items": {"type": "array", "items": item}, "total": {**INT, "minimum": 0},
                "page": {**INT, "minimum": 1}, "per_page": {**INT, "minimum": 1},
                **(extra or {})})


def list_of(item: dict) -> dict:
    return obj({"items": {"type": "array", "items": item}, "total": {**INT, "minimum": 0}})


# --- schemas ----------------------------------------------------------------------------------

PERSON = obj({"id": INT, "name": STR})
SCHEMAS = {
    "Problem": obj({
        "type": {"type": "string", "format": "uri",
                 "description": f"Stable per kind of error: {PROBLEM_BASE}validation, "
                                "…/unauthenticated, …/forbidden, …/not-found, …/conflict, "
                                "…/rate-limited"},
        "title": STR, "status": INT, "detail": STR,
    }, {"field": {**STR, "description": "The input field that was wrong"},
        "code": {**STR, "description": "Why a permission was refused: login_required, "
                                       "not_verified, forbidden, not_elector"}},
        description="RFC 9457 problem details"),
    "Person": PERSON,
    "Community": obj({"id": INT, "name": STR, "district": STR, "street_office": STR,
                      "cosign_threshold": INT}),
    "TopicSummary": obj({
        "id": INT, "title": STR, "category": {"type": "string", "enum": CATEGORIES},
        "stage": {"type": "string", "enum": ALL_STAGES}, "stage_label": STR,
        "community_id": INT, "grid_id": null(INT), "building_id": null(INT),
        "scope": {"type": "string", "enum": ["community", "grid", "building"]},
        "cosign_count": INT, "comment_count": INT, "submitted_at": null(TIME),
        "stage_changed_at": TIME, "comment_until": null(TIME)}),
    "StageChange": obj({"transition": STR, "from_stage": STR, "to_stage": STR, "at": TIME,
                        "actor": null(ref("Person")), "note": STR}),
    "Comment": obj({
        "id": INT, "parent_id": null(INT),
        "state": {"type": "string", "enum": ["visible", "hidden", "withdrawn"]},
        "author": null(ref("Person")),
        "body": {**null(STR), "description": "null when withdrawn or hidden"},
        "hidden_reason": null(STR), "created_at": TIME, "edited_at": null(TIME),
        "reactions": ref("ReactionCounts"),
        "my_reaction": {"type": ["string", "null"], "enum": ["agree", "disagree", "pass", None]},
        "replies": {"type": "array", "items": ref("Comment")}}),
    "ReactionCounts": obj({"agree": INT, "disagree": INT, "pass": INT}),
    "Hall": obj({"id": INT, "name": STR, "address": STR, "capacity": INT,
                 "accessibility": STR}),
    "Meeting": obj({"id": INT, "title": STR, "community_id": INT, "hall": ref("Hall"),
                    "starts_at": TIME, "ends_at": TIME, "cancelled": BOOL,
                    "cancel_reason": null(STR), "minutes_published": BOOL}),
    "Resolution": obj({"topic_id": INT, "topic_title": STR,
                       "kind": {"type": ["string", "null"]}, "summary": STR,
                       "question": null(STR), "options": {"type": "array", "items": STR},
                       "reason": null(STR), "comment_days": null(INT)}),
    "Minutes": obj({"meeting_id": INT, "revision": INT, "published_at": null(TIME),
                    "present_count": INT, "residents_count": INT, "officials_present": STR,
                    "body": STR, "body_html": STR, "correction_note": null(STR),
                    "resolutions": {"type": "array", "items": ref("Resolution")}}),
    "Receipt": obj({"tracker": STR, "option": STR, "cast_at": TIME}),
    "VoteResult": {"type": "object", "description": "The published tally (see the vote rules)",
                   "required": ["rule", "valid", "passed", "votes"],
                   "properties": {"rule": STR, "valid": BOOL, "passed": null(BOOL),
                                  "headcount_total": INT, "headcount_participating": INT,
                                  "headcount_agree": INT, "area_total": STR,
                                  "area_participating": STR, "area_agree": STR,
                                  "votes": {"type": "object",
                                            "additionalProperties": INT},
                                  "areas": {"type": "object", "additionalProperties": STR},
                                  "winners": {"type": "array", "items": STR},
                                  "sentences": {"type": "array", "items": STR}}},
    "Vote": obj({
        "id": INT, "topic_id": INT, "question": STR, "options": {"type": "array", "items": STR},
        "electorate": {"type": "string", "enum": ["residents", "households", "owners"]},
        "rule": STR, "quorum_percent": null(INT), "secret": BOOL, "opens_at": TIME,
        "closes_at": TIME, "status": {"type": "string", "enum": ["scheduled", "open", "closed"]},
        "electorate_size": INT, "area_total": STR,
        "turnout": {**INT, "description": "electors who have voted (headcount)"},
        "result": {**null(ref("VoteResult")), "description": "null until the vote closes"},
    }, {"eligible": {**BOOL, "description": "with a token: may this user vote"},
        "my_ballots": {"type": "array", "items": ref("Receipt"),
                       "description": "with a token: the user's counted ballots"}}),
    "Ballot": obj({"tracker": STR, "option": STR},
                  {"units": {**STR, "description": "named ballots only; never for secret votes"}}),
    "Slot": obj({"key": {**STR, "description": "send as `slot` to reserve it"},
                 "start": TIME, "end": TIME, "free": BOOL}),
    "StudioSession": obj({
        "id": INT, "studio_id": INT, "studio": STR, "room": STR,
        "representative": ref("Person"), "focus": STR, "starts_at": TIME, "ends_at": TIME,
        "slot_minutes": INT, "cancelled": BOOL, "cancel_reason": null(STR),
        "free_slots": INT, "slots": {"type": "array", "items": ref("Slot")}}),
    "Studio": obj({"id": INT, "name": STR, "kind": STR, "kind_label": STR, "address": STR,
                   "community_id": INT,
                   "representatives": {"type": "array", "items": ref("Person")}},
                  {"rooms": {"type": "array", "items": obj({"id": INT, "name": STR})},
                   "hours": {"type": "array", "items": obj({
                       "weekday": {**INT, "minimum": 0, "maximum": 6,
                                   "description": "0 is Monday"},
                       "opens": STR, "closes": STR})}}),
    "Representative": obj({
        "id": INT, "name": STR, "community_id": INT, "body": null(STR),
        "body_label": null(STR), "area_served": null(STR), "bio": null(STR),
        "studios": {"type": "array", "items": obj({"id": INT, "name": STR})}}),
    "Reservation": obj({"id": INT, "session_id": INT, "slot_start": TIME, "slot_end": TIME,
                        "category": STR, "matter": STR, "cancelled": BOOL,
                        "created_at": TIME}),
    "Token": obj({"token": {**STR, "description": "shown once; store it safely"},
                  "token_type": {"type": "string", "const": "Bearer"}, "id": INT, "name": STR,
                  "created_at": TIME, "last_used_at": null(TIME), "expires_at": TIME}),
    "Me": obj({"id": INT, "name": STR, "verified": BOOL,
               "communities": {"type": "array", "items": INT},
               "scopes": {"type": "array", "items": obj({"key": STR, "label": STR}),
                          "description": "where this user may propose: send `key` as "
                                         "`scope`"}}),
}
SCHEMAS["Topic"] = {"allOf": [ref("TopicSummary"), obj({
    "description": STR, "description_html": STR, "community": STR, "cosign_threshold": INT,
    "proposer": null(ref("Person")), "closing_reason": STR, "vote_id": null(INT),
    "timeline": {"type": "array", "items": ref("StageChange")}})]}


# --- parameters and responses -----------------------------------------------------------------

def path_id(name: str, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "integer", "minimum": 1, "maximum": INT_MAX}}


def query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema}


PAGING = [
    query("page", {"type": "integer", "minimum": 1, "maximum": 100_000, "default": 1},
          "Page number, from 1"),
    query("per_page", {"type": "integer", "minimum": 1, "maximum": PER_PAGE_MAX,
                       "default": PER_PAGE_DEFAULT}, f"Items per page, at most {PER_PAGE_MAX}"),
]
RANGE = [
    query("from", {"type": "string", "format": "date-time"},
          "Sessions starting from (ISO 8601 with an offset; default now)"),
    query("to", {"type": "string", "format": "date-time"},
          "... until (default 28 days later; at most 92 days after `from`)"),
]

PROBLEM_CONTENT = {PROBLEM_TYPE: {"schema": ref("Problem")}}
ERRORS = {
    "400": "Bad request", "401": "No token, or a token that is unknown, revoked or expired",
    "403": "Refused by the permission table (not verified, outside the topic's scope, …)",
    "404": "No such object (drafts and other people's objects look the same)",
    "409": "The state does not allow it now (wrong stage, period over, slot just taken, …)",
    "413": "Body too large", "415": "The body is not JSON",
    "422": "Invalid input; `field` names the field", "429": "Rate limit exceeded",
}


def ok(schema: dict, description: str = "OK", status: str = "200") -> dict:
    return {status: {"description": description,
                     "content": {"application/json": {"schema": schema}}}}


def errors(*codes: str) -> dict:
    return {code: {"description": ERRORS[code], "content": PROBLEM_CONTENT}
            for code in codes}


READ_ERRORS = ("400", "401", "422", "429")
WRITE_ERRORS = ("400", "401", "403", "404", "409", "413", "415", "422", "429")
NOT_MODIFIED = {"304": {"description": "Not modified (If-None-Match matched the ETag)"}}
PUBLIC = [{}, {"bearerAuth": []}]
TOKEN = [{"bearerAuth": []}]


def read(summary: str, schema: dict, *, params=(), tags=(), not_found: bool = True,
         extra=(), security=None, description: str = "") -> dict:
    op = {"summary": summary, "tags": list(tags), "parameters": list(params),
          "security": security or PUBLIC,
          "responses": {**ok(schema), **NOT_MODIFIED,
                        **errors(*READ_ERRORS, *(("404",) if not_found else ()), *extra)}}
    if description:
        op["description"] = description
    return op


def write(summary: str, body: dict | None, response: dict | None, *, params=(), tags=(),
          status: str = "201", description: str = "") -> dict:
    op = {"summary": summary, "tags": list(tags), "parameters": list(params),
          "security": TOKEN,
          "responses": {**(ok(response, "Done", status) if response is not None
                           else {status: {"description": "Done"}}),
                        **errors(*WRITE_ERRORS)}}
    if description:
        op["description"] = description
    if body is not None:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": body}}}
    return op


def _body(required: dict, optional: dict | None = None) -> dict:
    return obj(required, optional)


TOPIC_ID = path_id("topic_id", "Topic id")
COMMENT_ID = path_id("comment_id", "Comment id")
VOTE_ID = path_id("vote_id", "Vote id")
COMMUNITY_ID = path_id("community_id", "Community id")

PATHS = {
    "/api/v1/tokens": {"post": {
        "summary": "Log in: get a bearer token", "tags": ["Tokens"], "security": [],
        "description": "Send the e-mail address or phone number and the password of the "
                       "account. The token is shown once; it expires after 90 days and can "
                       "be revoked on the “My devices” page. Rate-limited per address. "
                       "After 5 wrong passwords in a row (LOGIN_LOCKOUT_ATTEMPTS) the account "
                       "is locked for 15 minutes (401 with code `account_locked`).",
        "requestBody": {"required": True, "content": {"application/json": {"schema": _body(
            {"identifier": {**STR, "description": "e-mail address or phone number"},
             "password": STR},
            {"name": {**STR, "maxLength": 80, "description": "the device, e.g. “my phone”"}})}}},
        "responses": {**ok(ref("Token"), "Created", "201"),
                      **errors("400", "401", "413", "415", "422", "429")}}},
    "/api/v1/tokens/current": {"delete": {
        "summary": "Log out: revoke the token of this request", "tags": ["Tokens"],
        "security": TOKEN,
        "responses": {"204": {"description": "Revoked"}, **errors("401", "429")}}},
    "/api/v1/me": {"get": read("Who the token belongs to, and where they may propose",
                               ref("Me"), tags=["Tokens"], not_found=False, security=TOKEN)},
    "/api/v1/me/reservations": {"get": read(
        "The user's studio reservations", obj({"items": {"type": "array",
                                                         "items": ref("Reservation")}}),
        tags=["Studios"], not_found=False, security=TOKEN)},
    "/api/v1/communities": {"get": read("Communities", list_of(ref("Community")),
                                        tags=["Communities"], not_found=False)},
    "/api/v1/topics": {
        "get": read("Public topics, newest first", page_of(ref("TopicSummary")),
                    tags=["Topics"], not_found=False, params=[
                        query("stage", {"type": "string", "enum": STAGES}, "Only this stage"),
                        query("category", {"type": "string", "enum": CATEGORIES},
                              "Only this category"),
                        query("community", {"type": "integer", "minimum": 1,
                                            "maximum": INT_MAX}, "Only this community"),
                        query("area", {"type": "string",
                                       "pattern": r"^(community|mine|grid:\d{1,9}|building:\d{1,9})$"},
                              "community (whole-community topics), grid:<id>, building:<id>, "
                              "or mine (topics whose scope contains the user's home)"),
                        query("q", {"type": "string", "maxLength": 100},
                              "Words in the title or description"),
                        query("sort", {"type": "string", "enum": ["newest", "cosigned",
                                                                  "closing"]}, "Order"),
                        *PAGING]),
        "post": write("Propose a topic (and submit it for co-signing)", _body(
            {"title": {**STR, "minLength": 5, "maxLength": 80}, "description": STR,
             "category": {"type": "string", "enum": CATEGORIES},
             "scope": {**STR, "description": "one of the `scopes` of GET /api/v1/me, e.g. "
                                             "community:3"}},
            {"submit": {**BOOL, "default": True,
                        "description": "false keeps it as a draft only the proposer sees"}}),
            ref("Topic"), tags=["Topics"]),
    },
    "/api/v1/topics/{topic_id}": {"get": read("A topic with its timeline", ref("Topic"),
                                              params=[TOPIC_ID], tags=["Topics"])},
    "/api/v1/topics/{topic_id}/comments": {
        "get": read("Comments with replies and reaction counts (top-level comments paged)",
                    page_of(ref("Comment"), {
                        "sort": {"type": "string", "enum": ["newest", "oldest", "consensus"]},
                        "count": {**INT, "minimum": 0,
                                  "description": "comments and replies of the topic, "
                                                 "withdrawn and hidden included"},
                        "can_comment": BOOL,
                        "refusal": {**null(STR), "description": "why the caller may not "
                                                                "comment now"}}),
                    description="`items` are top-level comments, each with all its replies "
                                "(oldest first); `total` counts the topic's top-level "
                                "comments, withdrawn and hidden included. A page past the "
                                "end has no items.",
                    params=[TOPIC_ID, query("sort", {"type": "string", "enum": [
                        "newest", "oldest", "consensus"]},
                        "consensus: broadest support across opinion groups first"), *PAGING],
                    tags=["Comments"]),
        "post": write("Comment on a topic in its open comment period",
                      _body({"body": {**STR, "maxLength": 2000}}), ref("Comment"),
                      params=[TOPIC_ID], tags=["Comments"]),
    },
    "/api/v1/topics/{topic_id}/cosignatures": {"post": write(
        "Co-sign a proposal", None, obj({"topic_id": INT, "cosign_count": INT, "stage": STR,
                                         "sent_to_review": BOOL}),
        params=[TOPIC_ID], tags=["Topics"])},
    "/api/v1/topics/{topic_id}/cosignatures/mine": {"delete": write(
        "Withdraw one's co-signature", None, None, params=[TOPIC_ID], tags=["Topics"],
        status="204")},
    "/api/v1/comments/{comment_id}/replies": {"post": write(
        "Reply to a comment (replies are one level deep)",
        _body({"body": {**STR, "maxLength": 2000}}), ref("Comment"), params=[COMMENT_ID],
        tags=["Comments"])},
    "/api/v1/comments/{comment_id}/reaction": {"put": write(
        "Agree, disagree, pass, or take one's reaction back (none)",
        _body({"value": {"type": "string", "enum": ["agree", "disagree", "pass", "none"]}}),
        obj({"comment_id": INT, "my_reaction": {"type": ["string", "null"]},
             "reactions": ref("ReactionCounts")}),
        params=[COMMENT_ID], tags=["Comments"], status="200")},
    "/api/v1/communities/{community_id}/meetings": {"get": read(
        "Deliberation hall meetings of a community", page_of(ref("Meeting")),
        params=[COMMUNITY_ID, query("when", {"type": "string", "enum": ["upcoming", "past"]},
                                    "upcoming (default) or past"), *PAGING],
        tags=["Halls"])},
    "/api/v1/meetings/{meeting_id}": {"get": read(
        "A meeting with its agenda and seats",
        {"allOf": [ref("Meeting"), obj({
            "agenda": {"type": "array", "items": obj({"position": INT,
                                                      "topic": ref("TopicSummary")})},
            "seats": obj({"capacity": INT, "confirmed": INT, "waiting": INT})})]},
        params=[path_id("meeting_id", "Meeting id")], tags=["Halls"])},
    "/api/v1/meetings/{meeting_id}/minutes": {"get": read(
        "The published minutes (latest revision)", ref("Minutes"),
        params=[path_id("meeting_id", "Meeting id")], tags=["Halls"])},
    "/api/v1/votes/{vote_id}": {"get": read(
        "A vote: turnout while open, the result after closing", ref("Vote"),
        params=[VOTE_ID], tags=["Votes"])},
    "/api/v1/votes/{vote_id}/ballots": {
        "get": read("The public list of ballots (receipts and choices) after closing",
                    page_of(ref("Ballot")), params=[VOTE_ID, *PAGING], tags=["Votes"],
                    extra=("409",)),
        "post": write("Cast or change one's ballot; the answer holds the receipt(s)",
                      _body({"option": STR}),
                      obj({"vote_id": INT, "option": STR,
                           "receipts": {"type": "array", "items": ref("Receipt")}}),
                      params=[VOTE_ID], tags=["Votes"],
                      description="One receipt per elector the user belongs to (e.g. an "
                                  "owner of several units votes once; a household once). "
                                  "Casting again replaces the counted ballot."),
    },
    "/api/v1/studios": {"get": read("Representative studios", list_of(ref("Studio")),
                                    tags=["Studios"], not_found=False)},
    "/api/v1/studios/{studio_id}": {"get": read(
        "A studio with rooms, opening hours and representatives", ref("Studio"),
        params=[path_id("studio_id", "Studio id")], tags=["Studios"])},
    "/api/v1/studios/{studio_id}/sessions": {"get": read(
        "A studio's sessions with their slots, free or taken", page_of(ref("StudioSession")),
        params=[path_id("studio_id", "Studio id"), *RANGE, *PAGING], tags=["Studios"])},
    "/api/v1/studio-sessions/{session_id}": {"get": read(
        "A session with its slots", ref("StudioSession"),
        params=[path_id("session_id", "Session id")], tags=["Studios"])},
    "/api/v1/studio-sessions/{session_id}/reservations": {"post": write(
        "Reserve a free slot and say what the matter is",
        _body({"slot": {**STR, "description": "a slot `key`, e.g. 2026-12-01T01:00"},
               "category": {"type": "string", "enum": CATEGORIES},
               "matter": {**STR, "maxLength": 500}}),
        ref("Reservation"), params=[path_id("session_id", "Session id")], tags=["Studios"])},
    "/api/v1/reservations/{reservation_id}": {"delete": write(
        "Cancel one's reservation (until two hours before the slot)", None, None,
        params=[path_id("reservation_id", "Reservation id")], tags=["Studios"],
        status="204")},
    "/api/v1/communities/{community_id}/representatives/{user_id}": {"get": read(
        "A representative's profile and studios", ref("Representative"),
        params=[COMMUNITY_ID, path_id("user_id", "The representative's user id")],
        tags=["Studios"])},
    "/api/v1/communities/{community_id}/representatives/{user_id}/sessions": {"get": read(
        "A representative's sessions with their slots", page_of(ref("StudioSession")),
        params=[COMMUNITY_ID, path_id("user_id", "The representative's user id"), *RANGE,
                *PAGING], tags=["Studios"])},
    "/api/v1/openapi.json": {"get": {
        "summary": "This document", "tags": ["Documentation"], "security": [],
        "responses": {**ok({"type": "object"}), **NOT_MODIFIED, **errors("429")}}},
    "/api/v1/docs": {"get": {
        "summary": "This document as a page to read", "tags": ["Documentation"],
        "security": [],
        "responses": {"200": {"description": "HTML",
                              "content": {"text/html": {"schema": {"type": "string"}}}},
                      **errors("429")}}},
}

# --- outcomes (consult/api/outcomes.py) -------------------------------------------------------

OUTCOME_STATUS = {"type": "string", "enum": ["publicised", "sent_back", "effective"],
                  "description": "publicised: in its publicity window; sent_back: an objection "
                                 "was upheld; effective: the window ended"}
SCHEMAS.update({
    "RatingSummary": obj({
        "count": {**INT, "minimum": 0},
        "average": {**null(STR), "description": "one decimal, e.g. 4.3; null without ratings"},
        "distribution": {"type": "object", "additionalProperties": {**INT, "minimum": 0},
                         "description": "number of ratings per stars, \"5\" to \"1\""}}),
    "Objection": obj({
        "id": INT, "author": null(ref("Person")), "body": STR, "created_at": TIME,
        "upheld": BOOL, "answer": {**null(STR), "description": "the community office's "
                                                               "public answer"},
        "answered_at": null(TIME)}),
    "ProgressUpdate": obj({"percent": {**INT, "minimum": 0, "maximum": 100}, "body": STR,
                           "at": TIME, "author": null(ref("Person"))}),
    "MyRating": obj({"stars": {**INT, "minimum": 1, "maximum": 5}, "comment": STR,
                     "created_at": TIME, "updated_at": TIME}),
    "Outcome": obj({
        "id": INT, "topic_id": INT, "topic_stage": {"type": "string", "enum": ALL_STAGES},
        "vote_id": null(INT), "decision": STR,
        "act": {**BOOL, "description": "false: the decision is to do nothing"},
        "status": OUTCOME_STATUS, "published_at": TIME, "window_ends_at": TIME,
        "window_open": BOOL, "settled_at": null(TIME),
        "objections": {"type": "array", "items": ref("Objection")},
        "implementation": {**null(obj({
            "responsible": null(STR), "target_date": null({"type": "string", "format": "date"}),
            "percent": {**INT, "minimum": 0, "maximum": 100}, "done_at": null(TIME),
            "overdue": BOOL, "progress": {"type": "array", "items": ref("ProgressUpdate")}})),
            "description": "null unless the outcome is in effect and something is to be done"},
        "ratings": {**null(ref("RatingSummary")),
                    "description": "null until the implementation is done"},
        "ratings_open": BOOL, "ratings_until": null(TIME),
        "can_object": {**BOOL, "description": "may the caller lodge an objection now"},
        "can_rate": {**BOOL, "description": "may the caller rate now"},
    }, {"my_rating": {**null(ref("MyRating")), "description": "with a token"}}),
    "OutcomeEntry": obj({
        "id": INT, "topic": obj({"id": INT, "title": STR,
                                 "stage": {"type": "string", "enum": ALL_STAGES},
                                 "stage_label": STR}),
        "decision": STR, "act": BOOL, "status": OUTCOME_STATUS, "status_text": STR,
        "published_at": TIME, "window_ends_at": TIME, "window_open": BOOL,
        "percent": {**null(INT), "description": "the latest progress report"},
        "done_at": null(TIME), "overdue": BOOL, "ratings": ref("RatingSummary")}),
})
PATHS.update({
    "/api/v1/topics/{topic_id}/outcome": {"get": read(
        "A topic's publicised outcome with objections and answers, implementation progress "
        "and the ratings summary (404 before an outcome is published)", ref("Outcome"),
        params=[TOPIC_ID], tags=["Outcomes"])},
    "/api/v1/topics/{topic_id}/objections": {"post": write(
        "Lodge an objection to the outcome during its publicity window",
        _body({"body": {**STR, "maxLength": 2000,
                        "description": "the objection and its reasons; shown publicly with "
                                       "one's name"}}),
        ref("Objection"), params=[TOPIC_ID], tags=["Outcomes"])},
    "/api/v1/topics/{topic_id}/rating": {"put": write(
        "Rate the implementation (1-5 stars) while ratings are open; again to change it",
        _body({"stars": {**INT, "minimum": 1, "maximum": 5}},
              {"comment": {**STR, "maxLength": 2000}}),
        {"allOf": [ref("MyRating"), obj({"topic_id": INT, "ratings": ref("RatingSummary")})]},
        params=[TOPIC_ID], tags=["Outcomes"], status="200",
        description="Ratings open for 14 days once the implementation is marked done.")},
    "/api/v1/communities/{community_id}/outcomes": {"get": read(
        "A community's outcomes board, newest first", page_of(ref("OutcomeEntry")),
        params=[COMMUNITY_ID, *PAGING], tags=["Outcomes"])},
})

TAGS = [
    {"name": "Tokens", "description": "Logging in from an app; one token per device"},
    {"name": "Communities", "description": "Communities (社区)"},
    {"name": "Topics", "description": "Proposals and co-signing (提议与附议), the life of a topic"},
    {"name": "Comments", "description": "Open comment (公开征求意见)"},
    {"name": "Halls", "description": "Deliberation hall meetings and minutes (议事厅)"},
    {"name": "Votes", "description": "Votes, receipts and results (表决)"},
    {"name": "Outcomes", "description": "Outcomes, objections, implementation and "
                                        "satisfaction (结果公示与落实)"},
    {"name": "Studios", "description": "Representative studios (代表工作室)"},
    {"name": "Documentation", "description": "This description"},
]

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "Consult API", "version": "1.0.0",
        "description": (
            "The JSON API of Consult (有事好商量) for mini-program clients and open-data "
            "users. Public reads need no token. Writes need a bearer token from "
            "POST /api/v1/tokens, sent as `Authorization: Bearer <token>`; the session "
            "cookie of the web pages is not accepted. Errors are RFC 9457 problem documents "
            "(`application/problem+json`) with a stable `type` per kind of error and the "
            "`field` that was wrong. Lists are paged (`page`, `per_page` ≤ 100) with a "
            "`total`; public reads carry an ETag (send If-None-Match to get 304). Rate "
            "limits apply per address and per token. Times are ISO 8601 in UTC (Z)."),
    },
    "servers": [{"url": "/"}],
    "tags": TAGS,
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                           "description": "A token from POST /api/v1/tokens"}},
    },
}


def document() -> dict:
    return deepcopy(DOCUMENT)
