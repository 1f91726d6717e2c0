"""Sessions, security headers and the CSRF failure page."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, g, has_request_context, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import bindparam, select
from werkzeug.middleware.proxy_fix import ProxyFix

from consult.extensions import db, login_manager
from consult.http import is_htmx, typed_fields

# No inline scripts or styles anywhere: htmx runs with eval and script tags disabled.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
])

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

@login_manager.user_loader
def load_user(cookie_id: str):
    """The session holds ``"<id>:<token>"``; a rotated token (logout elsewhere, password change)
    makes every older cookie worthless."""
    user_id, _, token = cookie_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    # The unread count for the navigation bar comes in the same query: every logged-in page
    # shows it (consult/web.py reads it from g). So does, for a page (a GET that is neither
    # the API nor an htmx fragment), the count of the official's desk: 0 at once for whoever
    # holds no office.
    row = db.session.execute(_user_query(_whole_page()), {"user_id": int(user_id)}).first()
    if row is None:
        return None
    user, g._unread, *desk = row
    if desk:
        g._desk = desk[0] or 0
    if user.session_token != token or not user.can_log_in:
        g.pop("_unread", None)
        g.pop("_desk", None)
        return None
    return user


# The user's query, built once a minute: the desk's count is a large statement that took
# longer to build than to run. Its "now" is the minute, so the count in the navigation bar
# may trail a deadline by up to a minute (the desk itself counts to the second).
_USER_QUERIES: dict[bool, tuple] = {}


def _user_query(whole_page: bool):
    from consult.accounts.models import User
    from consult.clock import utcnow
    from consult.desk.queries import total_of_user_row
    from consult.notifications.service import unread_count_query

    minute = utcnow().replace(second=0, microsecond=0) if whole_page else None
    kept = _USER_QUERIES.get(whole_page)
    if kept is not None and kept[0] == minute:
        return kept[1]
    columns = [User, unread_count_query(User.id).scalar_subquery()]
    if whole_page:
        columns.append(total_of_user_row(minute))
    statement = select(*columns).where(User.id == bindparam("user_id"))
    _USER_QUERIES[whole_page] = (minute, statement)
    return statement


def _whole_page() -> bool:
    """Whether this request answers a whole page, with its navigation bar."""
    return (has_request_context() and request.method == "GET" and not is_htmx()
            and not request.path.startswith("/api/"))


def _same_origin() -> bool:
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin:
        return False
    return urlsplit(origin).netloc == request.host


def init_app(app: Flask) -> None:
    if app.config.get("PROXY_FIX"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"

    @app.after_request
    def _headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.headers.get("HX-Request"):
            response.vary.add("HX-Request")
        return response

    @app.errorhandler(CSRFError)
    def _csrf_failed(error):
        """A same-site form whose token expired keeps what was typed: the page offers to send
        it again. A cross-site post is refused outright."""
        fields = typed_fields() if _same_origin() else []
        return render_template("errors/csrf.html", fields=fields,
                               action=request.path), 400
