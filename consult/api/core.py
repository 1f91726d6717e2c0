"""What every API endpoint shares: the blueprint, bearer-token authentication, RFC 9457
problem documents, pagination, ETags and rate limits.

The API never looks at the session cookie: a request is authenticated by its
``Authorization: Bearer <token>`` header alone, so a page in a browser cannot be tricked into
writing through the API (and the blueprint is CSRF-exempt for the same reason).
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from consult.clock import utcnow
from consult.extensions import csrf, db, limiter
from consult.refusals import Refused

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

PROBLEM_BASE = "https://consult.example/problems/"
PROBLEM_TYPE = "application/problem+json"
PER_PAGE_DEFAULT, PER_PAGE_MAX = 20, 100
LAST_USED_GRANULARITY = timedelta(minutes=5)

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
_KIND_OF_STATUS = {status: kind for kind, (status, _t) in PROBLEM_KINDS.items()}


class ApiError(Exception):
    """Raised by API views; answered as a problem document."""

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
    import math
    import time

    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))


# What a service's refusal is as a problem document.
PROBLEM_OF_REFUSAL = {"invalid": "validation", "conflict": "conflict", "forbidden": "forbidden",
                      "login": "unauthenticated", "not_found": "not-found"}


@bp.errorhandler(Refused)
def _refused(error: Refused):
    db.session.rollback()
    return problem(PROBLEM_OF_REFUSAL[error.kind], error.message, field=error.field,
                   code=error.code)


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    db.session.rollback()
    return problem(error.kind, error.detail, field=error.field, code=error.code,
                   status=error.status)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    db.session.rollback()
    return http_problem(error)


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
            db.session.commit()  # writes keep it in their own transaction
    g.api_token = token
    return token.user


def require_user():
    user = token_user()
    if user is None:
        raise ApiError("unauthenticated", _("This needs a token: create one with POST "
                                            "/api/v1/tokens and send it as “Authorization: "
                                            "Bearer <token>”."))
    return user


def refuse(refusal) -> None:
    """Raise a permission refusal (consult.permissions.Refusal) as a problem."""
    if refusal is None:
        return
    kind = "unauthenticated" if refusal.code == "login_required" else "forbidden"
    raise ApiError(kind, refusal.message, code=refusal.code)


# --- input ------------------------------------------------------------------------------------

def json_body() -> dict:
    if not request.is_json:
        raise ApiError("unsupported-media-type", _("Send a JSON body (Content-Type: "
                                                   "application/json)."))
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError("validation", _("The body must be a JSON object."))
    return data


def text_field(data: dict, name: str, *, required: bool = True, default: str = "") -> str:
    value = data.get(name, None)
    if value is None:
        if required:
            raise ApiError("validation", _("This field is required."), field=name)
        return default
    if not isinstance(value, str):
        raise ApiError("validation", _("This field must be a string."), field=name)
    return value


def int_arg(name: str, default: int | None = None, *, minimum: int = 1,
            maximum: int = 2_147_483_647) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError("validation", _("Give a whole number."), field=name) from None
    if value < minimum or value > maximum:
        raise ApiError("validation", _("Give a number from %(a)d to %(b)d.", a=minimum,
                                       b=maximum), field=name)
    return value


def choice_arg(name: str, choices, default: str = "") -> str:
    value = request.args.get(name, default)
    if value and value not in choices:
        raise ApiError("validation", _("Choose one of: %(c)s.", c=", ".join(choices)),
                       field=name)
    return value


def paging() -> tuple[int, int]:
    return (int_arg("page", 1, maximum=100_000),
            int_arg("per_page", PER_PAGE_DEFAULT, maximum=PER_PAGE_MAX))


def page_of(items: list, page: int, per_page: int) -> dict:
    """Pagination of a short list loaded whole (a week's schedule, a board)."""
    start = (page - 1) * per_page
    return paged(items[start:start + per_page], len(items), page, per_page)


def paged(items: list, total: int, page: int, per_page: int) -> dict:
    """One page of a list the database paged (``offset_of`` gives its offset)."""
    return {"items": items, "total": total, "page": page, "per_page": per_page}


def offset_of(page: int, per_page: int) -> int:
    return (page - 1) * per_page


def iso(value: datetime | None) -> str | None:
    """Naive UTC from the database as ISO 8601 with ``Z``."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc).isoformat().replace("+00:00", "Z")


def parse_iso(name: str, raw: str | None) -> datetime | None:
    """An ISO 8601 date-time with an offset (or a date) to naive UTC."""
    if raw in (None, ""):
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError("validation", _("Give a date-time in ISO 8601, e.g. "
                                       "2026-12-01T09:00:00+08:00."), field=name) from None
    if value.tzinfo is None:
        from consult.clock import local_to_utc

        return local_to_utc(value)
    return value.astimezone(timezone.utc).replace(tzinfo=None)


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
    """Ids beyond what the database stores are simply not there (and must not reach it)."""
    for value in (values or {}).values():
        if isinstance(value, int) and value > 2_147_483_647:
            raise ApiError("not-found", _("There is nothing at this address."))


@bp.before_request
def _fresh_token_state():
    # g outlives the request when a caller keeps an app context open (the tests do).
    g.pop("api_token", None)
