"""What every API endpoint shares: the blueprint, bearer-token authentication, RFC 9457
problem documents, input errors in plain words, pagination, ETags and rate limits.

The blueprint is flask-openapi3's ``APIBlueprint``: each view declares its path, query and body
models and its answers (consult/api/schemas.py), the blueprint validates the input before the
view runs and records the operation for the OpenAPI document (consult/api/openapi.py). We chose
flask-openapi3 over spectree because it is built on pydantic v2, writes OpenAPI 3.1, lets an
answer be declared with its own media type (our ``application/problem+json``) and leaves the
view's response alone; spectree declares every answer as ``application/json`` and re-makes the
view's response to validate it.

The API never looks at the session cookie: a request is authenticated by its
``Authorization: Bearer <token>`` header alone, so a page in a browser cannot be tricked into
writing through the API (and the blueprint is CSRF-exempt for the same reason).

Refusals: a service's :class:`~consult.refusals.Refused` (and the API's own: invalid input, no
such object) is answered by the one handler below; :class:`ApiError` is left for what is about
the request itself rather than the thing asked for: authentication (401) and a body that is not
JSON (415). Nothing here commits: consult/unit_of_work.py does, and :func:`token_user` asks it
to keep a token's last use on a read.
"""
from __future__ import annotations

import hashlib
import math
import re
import time
from datetime import timedelta
from functools import cache, wraps

from flask import current_app, g, jsonify, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from consult import unit_of_work
from consult.api.schemas import INPUTS, INT_MAX, PROBLEM_BASE, PROBLEM_KINDS, Says
from consult.clock import utcnow
from consult.extensions import csrf, db, limiter
from consult.refusals import Refused


def _operation_id(*, name: str, path: str, method: str) -> str:
    return name  # the view's name, as in url_for("api.<name>")


bp = APIBlueprint("api", __name__, url_prefix="/api/v1", operation_id_callback=_operation_id)
csrf.exempt(bp)

PROBLEM_TYPE = "application/problem+json"
LAST_USED_GRANULARITY = timedelta(minutes=5)
_KIND_OF_STATUS = {status: kind for kind, (status, _t) in PROBLEM_KINDS.items()}


class ApiError(Exception):
    """The request itself is refused (authentication, media type); a problem document."""

    def __init__(self, kind: str, detail, field: str | None = None, code: str | None = None,
                 status: int | None = None):
        super().__init__(str(detail))
        self.kind = kind
        self.detail = str(detail)
        self.field = field
        self.code = code
        self.status = status or PROBLEM_KINDS[kind][0]


def problem(kind: str, detail, *, field: str | None = None, code: str | None = None,
            status: int | None = None, headers: dict | None = None):
    status = status or PROBLEM_KINDS[kind][0]
    body = {"type": PROBLEM_BASE + kind, "title": PROBLEM_KINDS[kind][1], "status": status,
            "detail": str(detail)}
    if field:
        body["field"] = field
    if code:
        body["code"] = code
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_TYPE
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="consult"'
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def http_problem(error: HTTPException):
    """A werkzeug HTTP error (404 route, 405, 413, 429 from the limiter...) as a problem."""
    status = error.code or 500
    kind = _KIND_OF_STATUS.get(status, "bad-request" if status < 500 else "server-error")
    headers = {}
    if status == 429:
        headers["Retry-After"] = str(_retry_after())
        detail = _("Too many requests in a short time. Please wait and try again.")
    elif status == 404:
        detail = _("There is nothing at this address.")
    elif status == 405:
        detail = _("This address does not accept that request.")
    else:
        detail = error.description or PROBLEM_KINDS.get(kind, ("", "Error"))[1]
    response = problem(kind, detail, status=status, headers=headers)
    if status == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def _retry_after() -> int:
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))


# What a service's refusal is as a problem document.
PROBLEM_OF_REFUSAL = {"invalid": "validation", "conflict": "conflict", "forbidden": "forbidden",
                      "login": "unauthenticated", "not_found": "not-found"}


@bp.errorhandler(Refused)
def _refused(error: Refused):
    return problem(PROBLEM_OF_REFUSAL[error.kind], error.message, field=error.field,
                   code=error.code)


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    return problem(error.kind, error.detail, field=error.field, code=error.code,
                   status=error.status)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return http_problem(error)


def not_found(message=None):
    raise Refused(message or _("There is nothing at this address."), kind="not_found")


def refused_as(**kinds: str):
    """A view's decorator: the service's refusal of these fields (``option="conflict"``) is
    answered as that kind of refusal instead of invalid input.

    A 422 says that the request breaks the document, so a client that follows the document
    never meets one. A value the document allows but the server's data does not is another
    matter: not one of this vote's options, a slot of another day, a scope the user does not
    live in, a comment too many this minute. The body model checks the shape of these fields
    first (a blank option is still 422), so what the service refuses in them is the state (409)
    or the permission table (403). The web page keeps the service's own kind."""

    def decorate(view):
        @wraps(view)
        def answering(*args, **kwargs):
            try:
                return view(*args, **kwargs)
            except Refused as error:
                if error.kind == "invalid" and error.field in kinds:
                    error.kind = kinds[error.field]
                    if error.kind == "forbidden":
                        error.code = error.code or "forbidden"
                raise

        return answering

    return decorate


# --- what the document says each operation may answer ------------------------------------------

TAGS = {tag.name: tag for tag in (
    Tag(name="Tokens", description="Logging in from an app; one token per device"),
    Tag(name="Communities", description="Communities (社区)"),
    Tag(name="Topics", description="Proposals and co-signing (提议与附议), the life of a topic"),
    Tag(name="Comments", description="Open comment (公开征求意见)"),
    Tag(name="Halls", description="Deliberation hall meetings and minutes (议事厅)"),
    Tag(name="Votes", description="Votes, receipts and results (表决)"),
    Tag(name="Outcomes", description="Outcomes, objections, implementation and satisfaction "
                                     "(结果公示与落实)"),
    Tag(name="Studios", description="Representative studios (代表工作室)"),
    Tag(name="Desk", description="The official's desk (我的工作台)"),
    Tag(name="Documentation", description="This description"),
)}
PUBLIC = [{}, {"bearerAuth": []}]  # a token is optional (and shows the caller's own data)
TOKEN = [{"bearerAuth": []}]
ANSWERED = {
    "304": "Not modified (If-None-Match matched the ETag)",
    "400": "Bad request", "401": "No token, or a token that is unknown, revoked or expired",
    "403": "Refused by the permission table (not verified, outside the topic's scope, …)",
    "404": "No such object (drafts and other people's objects look the same)",
    "409": "The state does not allow it now (wrong stage, period over, slot just taken, …)",
    "413": "Body too large", "415": "The body is not JSON",
    "422": "Invalid input; `field` names the field", "429": "Rate limit exceeded",
}
READ_PROBLEMS = ("400", "401", "422", "429")
WRITE_PROBLEMS = ("400", "401", "403", "404", "409", "413", "415", "422", "429")


def problems(*statuses: str) -> dict:
    """Answers that are problem documents (a new dict each time: flask-openapi3 fills it in)."""
    return {status: {"description": ANSWERED[status], "content": {
        PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        for status in statuses}


def read(answer: type[BaseModel] | None, tag: str, summary: str, *, not_found: bool = True,
         extra: tuple[str, ...] = (), security=None, description: str | None = None) -> dict:
    """The options of a ``bp.get`` route: a public read with an ETag."""
    return {"summary": summary, "description": description, "tags": [TAGS[tag]],
            "security": security or PUBLIC,
            "responses": {"200": answer, "304": {"description": ANSWERED["304"]},
                          **problems(*sorted({*READ_PROBLEMS, *extra,
                                              *(("404",) if not_found else ())}))}}


def write(answer: type[BaseModel] | None, tag: str, summary: str, *, status: str = "201",
          description: str | None = None) -> dict:
    """The options of a writing route: a token needed."""
    done = answer if answer is not None else {"description": "Done"}
    return {"summary": summary, "description": description, "tags": [TAGS[tag]],
            "security": TOKEN, "responses": {status: done, **problems(*WRITE_PROBLEMS)}}


def answer(shape: BaseModel, status: int = 200):
    """A response model as JSON; members the view did not set are left out."""
    response = jsonify(shape.model_dump(mode="json", by_alias=True, exclude_unset=True))
    response.status_code = status
    return response


# --- authentication ---------------------------------------------------------------------------

def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sp, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def token_user():
    """The user of the request's bearer token, or ``None`` when there is no token. A token
    that is unknown, revoked or expired is refused (401), never ignored."""
    if "api_token" in g:
        return g.api_token.user if g.api_token is not None else None
    from consult.api.models import ApiToken, hash_token

    raw = _bearer()
    g.api_token = None
    if raw is None:
        if request.headers.get("Authorization"):
            raise ApiError("unauthenticated", _("Send the token as “Authorization: Bearer "
                                                "<token>”."))
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    now = utcnow()
    if token is None:
        raise ApiError("unauthenticated", _("This token is not valid."))
    if token.revoked_at is not None:
        raise ApiError("unauthenticated", _("This token was revoked. Log in again."))
    if now >= token.expires_at:
        raise ApiError("unauthenticated", _("This token has expired. Log in again."))
    if not token.user.can_log_in:
        raise ApiError("unauthenticated", _("This account cannot log in."))
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_GRANULARITY:
        token.last_used_at = now
        if request.method in ("GET", "HEAD"):
            unit_of_work.keep()  # the one write a read makes; a write keeps it if it succeeds
    g.api_token = token
    return token.user


def require_user():
    user = token_user()
    if user is None:
        raise ApiError("unauthenticated", _("This needs a token: create one with POST "
                                            "/api/v1/tokens and send it as “Authorization: "
                                            "Bearer <token>”."))
    return user


PUBLIC_WRITES = {"api.tokens_create", "api.activations_create"}


@bp.before_request
def _writes_need_a_token():
    """Every write but logging in needs a token; checked before the input is."""
    g.pop("api_token", None)  # g outlives the request when a caller keeps an app context open
    if request.method in unit_of_work.WRITING_METHODS and request.endpoint not in PUBLIC_WRITES:
        require_user()


# --- input ------------------------------------------------------------------------------------

def _invalid(error: ValidationError):
    """flask-openapi3 calls this when a path, query or body model refuses the input: the first
    error, as a refusal of its field in the reader's language."""
    first = error.errors(include_url=False)[0]
    if not first["loc"]:  # the body as a whole
        if not request.is_json:
            raise ApiError("unsupported-media-type", _("Send a JSON body (Content-Type: "
                                                       "application/json)."))
        raise Refused(_("The body must be a JSON object."), kind="invalid")
    name = str(first["loc"][0])
    raise Refused(message_for(first, INPUTS.get(error.title), name), name, kind="invalid")


def _answer_invalid_input(state):
    state.app.validation_error_callback = _invalid  # where flask-openapi3 looks for it


bp.record_once(_answer_invalid_input)


@cache
def _properties(model: type[BaseModel]) -> dict:
    return model.model_json_schema().get("properties", {})


def message_for(error: dict, model: type[BaseModel] | None, name: str) -> str:
    """A pydantic error in our words (pydantic's own are English only)."""
    kind, ctx = error["type"], error.get("ctx") or {}
    fields = model.model_fields if model is not None else {}
    info = next((f for key, f in fields.items() if (f.alias or key) == name), None)
    says = next((m for m in info.metadata if isinstance(m, Says) and m.applies_to(kind)),
                None) if info else None
    if says is not None:
        return str(says.message)
    if kind == "missing":
        return _("This field is required.")
    if kind == "string_too_short":
        return _("At least %(n)d characters.", n=ctx["min_length"])
    if kind == "string_too_long":
        return _("At most %(n)d characters.", n=ctx["max_length"])
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("Give a whole number.")
    schema = _properties(model).get(name, {}) if model is not None else {}
    if kind in ("greater_than_equal", "less_than_equal") and "minimum" in schema \
            and "maximum" in schema:
        return _("Give a number from %(a)d to %(b)d.", a=schema["minimum"], b=schema["maximum"])
    if kind in ("enum", "literal_error"):
        return _("Choose one of: %(c)s.", c=", ".join(re.findall(r"'([^']*)'",
                                                                 ctx.get("expected", ""))))
    if kind == "string_type":
        return _("This field must be a string.")
    if kind in ("bool_type", "bool_parsing"):
        return _("Give true or false.")
    return _("This value is not valid.")


# --- pagination -------------------------------------------------------------------------------

def offset_of(query) -> int:
    return (query.page - 1) * query.per_page


def paged(items: list, total: int, query) -> dict:
    """One page of a list the database paged (``offset_of`` gives its offset)."""
    return {"items": items, "total": total, "page": query.page, "per_page": query.per_page}


def page_of(items: list, query) -> dict:
    """Pagination of a short list loaded whole (a week's schedule, a board)."""
    start = offset_of(query)
    return paged(items[start:start + query.per_page], len(items), query)


# --- caching and limits -----------------------------------------------------------------------

@bp.after_request
def _etag(response):
    if request.method == "GET" and response.status_code == 200 and response.is_json:
        response.headers["ETag"] = '"' + hashlib.sha256(response.get_data()).hexdigest()[:32] \
            + '"'
        response.vary.add("Authorization")
        # Answers for a token may hold the user's own data: no shared cache keeps them.
        private = g.get("api_token") is not None
        response.headers.setdefault("Cache-Control", "private, no-cache" if private
                                    else "no-cache")
        response = response.make_conditional(request)
    return response


def _address_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", "300 per minute")


def _token_limit() -> str:
    return current_app.config.get("API_TOKEN_RATE_LIMIT", "120 per minute")


def _token_key() -> str:
    from consult.api.models import hash_token

    raw = _bearer() or ""
    return "api-token:" + hash_token(raw)[:32]


# Per address for everyone, and per token for clients that send one (a token shared by many
# addresses still gets one budget).
# Shared: one budget across all the API's endpoints, not one per endpoint.
limiter.shared_limit(_address_limit, scope="api-address", key_func=get_remote_address)(bp)
limiter.shared_limit(_token_limit, scope="api-token", key_func=_token_key,
                     exempt_when=lambda: _bearer() is None)(bp)


@bp.url_value_preprocessor
def _ids_in_range(_endpoint, values):
    """Ids the database cannot store are simply not there (and must not reach it)."""
    for value in (values or {}).values():
        if isinstance(value, int) and not 1 <= value <= INT_MAX:
            not_found()
