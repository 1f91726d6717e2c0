"""What every page shares: template helpers, error pages, the write transaction for POSTs."""
from __future__ import annotations

from flask import Flask, g, has_request_context, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import DataError, OperationalError

from consult import permissions, unit_of_work
from consult.database import begin_write
from consult.http import is_htmx, large_text
from consult.inputs import request_problem
from consult.urls import public_url

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _unread_notifications() -> int:
    """For the navigation bar; one query, only when the page shows it to a logged-in user."""
    if not current_user.is_authenticated:
        return 0
    if "_unread" not in g:
        from consult.notifications.service import unread_count

        g._unread = unread_count(current_user.id)
    return g._unread


def _desk_count() -> int:
    """For the navigation bar's "Desk" link (shown to office holders): the count usually came
    with the user's own query (consult/security.py); otherwise one query for an office
    holder, none for anyone else."""
    if not current_user.is_authenticated:
        return 0
    if "_desk" not in g:
        from consult.desk.queries import total_for

        g._desk = total_for(current_user)
    return g._desk


def _kept_url_for(app: Flask):
    """Templates' ``url_for``, keeping the addresses that take no values (the navigation's
    links) and the static files' per worker: every page's header and tab bar build some forty
    of them. Anything else (ids, query arguments, external or anchored addresses) is built
    each time by Flask."""
    build = app.url_for
    kept: dict[tuple, str] = {}

    def url_for(endpoint: str, **values) -> str:
        if not has_request_context() or (values and (len(values) > 1 or "filename" not in values)):
            return build(endpoint, **values)
        key = (endpoint, values.get("filename"), request.script_root,
               request.blueprint if endpoint.startswith(".") else None)
        address = kept.get(key)
        if address is None:
            address = kept[key] = build(endpoint, **values)
        return address

    return url_for


def init_app(app: Flask) -> None:
    app.jinja_env.globals["url_for"] = _kept_url_for(app)

    @app.before_request
    def _fresh_request_state():
        # g lives as long as the app context; when a test keeps one context open across many
        # requests, the logged-in user and memberships cached on g must not leak between them.
        g.pop("_login_user", None)
        g.pop("_memberships", None)
        g.pop("_unread", None)
        g.pop("_desk", None)
        g.pop("csrf_token", None)  # Flask-WTF's token: made anew from each request's session
        g.pop("_comment_kit", None)  # holds that token (consult/topics/comment_kit.py)
        g.pop("_flask_babel", None)  # the language, chosen afresh from this request's cookie

    @app.before_request
    def _storable_input():
        # Before any view or the writer's lock: NUL characters, lone surrogates, JSON nested
        # beyond reason (consult/inputs.py).
        if (field := request_problem()) is not None:
            return _bad_request(_("The request holds a character that cannot be stored (in "
                                  "“%(field)s”). Remove it and send it again.", field=field),
                                field)

    @app.before_request
    def _writer_transaction():
        # A state-changing request reads and then writes: on SQLite take the write lock first.
        if request.method in UNSAFE_METHODS:
            begin_write()

    @app.context_processor
    def _template_helpers():
        return {
            "may": lambda action, obj=None: permissions.may(current_user, action, obj),
            "large_text": large_text(),
            "is_htmx": is_htmx(),
            "unread_notifications": _unread_notifications,
            "desk_count": _desk_count,
            "public_url": public_url,
        }

    def _error(status: int, title: str, message: str, error=None):
        """The site's error page, or a problem document under /api/. ``error`` is the HTTP
        exception answered, whose details (the methods a 405 allows) the answer keeps."""
        if request.path.startswith("/api/"):  # the JSON API answers problem documents
            from consult.api.core import http_problem

            return http_problem(error if error is not None else _STATUS_ERRORS[status]())
        headers = {}
        if status == 405 and getattr(error, "valid_methods", None):
            headers["Allow"] = ", ".join(sorted(error.valid_methods))
        return render_template("errors/error.html", status=status, title=title,
                               message=message), status, headers

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def _out_of_range(error):
        """A number or a date in the request beyond what can be stored or counted (a 20-digit
        id, the year 1 or 9999 moved by a week): a 400 that says so, never a server error."""
        app.logger.info("out-of-range input on %s: %s", request.path, error)
        unit_of_work.discard()
        return _bad_request(_("A number or a date in the request is out of range. Check it "
                              "and try again."))

    @app.errorhandler(OperationalError)
    def _database_unavailable(error):
        """The database cannot be reached (down, restarting, out of connections, locked too
        long): the site's own page in the reader's language, drawn without the database, with
        a 503 and a hint to retry, instead of a bare server error."""
        app.logger.error("database unavailable: %s", error.orig if error.orig else error)
        unit_of_work.discard()
        retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        if request.path.startswith("/api/"):
            from consult.api.core import problem

            return problem("unavailable", _("The service is briefly unavailable. Please try "
                                            "again in a minute."), headers=retry)
        return render_template(
            "errors/standalone.html", title=_("Briefly unavailable"),
            message=_("The site cannot reach its records just now.")), 503, retry

    @app.errorhandler(500)
    def _server_error(error):
        """An unexpected error: the site's own page, drawn without the database (which may be
        the cause)."""
        unit_of_work.discard()
        if request.path.startswith("/api/"):
            from consult.api.core import problem

            return problem("server-error", _("Something went wrong on our side."))
        return render_template(
            "errors/standalone.html", title=_("Something went wrong"),
            message=_("Something went wrong on our side. It has been recorded.")), 500

    @app.errorhandler(403)
    def _forbidden(error):
        message = getattr(error, "description", None)
        if not message or message.startswith("You don't have"):
            message = _("You are not allowed to do this.")
        return _error(403, _("Not allowed"), message)

    @app.errorhandler(404)
    def _not_found(error):
        return _error(404, _("Page not found"),
                      _("There is nothing at this address. It may have been moved or removed."))

    @app.errorhandler(405)
    def _method(error):
        return _error(405, _("Not allowed"), _("This address does not accept that request."),
                      error)

    @app.errorhandler(413)
    def _too_large(error):
        return _error(413, _("File too large"), _("The file is larger than 8 MB."))

    @app.errorhandler(429)
    def _too_many(error):
        minutes = _minutes_until_reset()
        message = _("You have made too many attempts in a short time. Please wait "
                    "%(minutes)d minutes and try again.", minutes=minutes)
        if request.endpoint == "accounts.login":
            # Say why on the login page itself, keeping what was typed.
            from consult.accounts.forms import LoginForm

            form = LoginForm()
            form.password.data = ""
            message = _("Too many login attempts from this address. For your safety, logging "
                        "in is paused: please wait %(minutes)d minutes and try again.",
                        minutes=minutes)
            response = render_template("accounts/login.html", form=form,
                                       blocked_message=message)
            return response, 429, {"Retry-After": str(minutes * 60)}
        if not request.path.startswith("/api/"):
            from consult.ratelimits import too_many_page

            return too_many_page()
        return _error(429, _("Too many attempts"), message)


RETRY_AFTER_SECONDS = 60


def _bad_request(message: str, field: str | None = None):
    if request.path.startswith("/api/"):
        from consult.api.core import problem

        return problem("bad-request", message, field=field)
    return render_template("errors/error.html", status=400, title=_("Cannot be accepted"),
                           message=message), 400



def _status_errors() -> dict:
    from werkzeug.exceptions import default_exceptions

    return default_exceptions


_STATUS_ERRORS = _status_errors()


def _minutes_until_reset() -> int:
    import math
    import time

    from consult.extensions import limiter

    current = limiter.current_limit
    if current is None:
        return 1
    return max(1, math.ceil((current.reset_at - time.time()) / 60))
