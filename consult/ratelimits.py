"""Rate limits on the writes a person makes by hand, and the page that says when to try again.

Registering and asking for a password reset are limited per address (nobody is logged in yet);
comments, ballots, studio reservations and objections per user, with one budget shared by the
web page and the JSON API (a resident cannot double it by switching). Each limit comes from the
configuration (``*_RATE_LIMIT``, see consult/config.py). The login limit lives with the login
view, the API's own limits in consult/api/core.py.
"""
from __future__ import annotations

import math
import time

from flask import current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter.util import get_remote_address
from flask_login import current_user

from consult.extensions import limiter
from consult.http import is_htmx, typed_fields


def user_or_address() -> str:
    """The logged-in user (by session, or by bearer token in the API), else the address."""
    user = None
    if request.blueprint == "api":
        from consult.api.core import ApiError, token_user

        try:
            user = token_user()
        except ApiError:
            user = None  # the view refuses the token itself
    elif current_user.is_authenticated:
        user = current_user
    return f"user:{user.id}" if user is not None else f"address:{get_remote_address()}"


def _setting(name: str):
    return lambda: current_app.config[name]


def _per_user(setting: str, scope: str):
    # override_defaults=False: the API blueprint's own limits still apply as well.
    return limiter.shared_limit(_setting(setting), scope=scope, key_func=user_or_address,
                                override_defaults=False)


comment_limit = _per_user("COMMENT_RATE_LIMIT", "comment")
ballot_limit = _per_user("BALLOT_RATE_LIMIT", "ballot")
reservation_limit = _per_user("RESERVATION_RATE_LIMIT", "reservation")
objection_limit = _per_user("OBJECTION_RATE_LIMIT", "objection")
# One budget of password attempts per address, whether they come through the login page or
# through POST /api/v1/tokens (the per-account lock in accounts/lockout.py is shared as well).
login_limit = limiter.shared_limit(_setting("LOGIN_RATE_LIMIT"), scope="login",
                                   key_func=get_remote_address,
                                   exempt_when=lambda: request.method != "POST")
register_limit = limiter.limit(_setting("REGISTER_RATE_LIMIT"), methods=["POST"],
                               key_func=get_remote_address)
reset_request_limit = limiter.limit(_setting("PASSWORD_RESET_RATE_LIMIT"), methods=["POST"],
                                    key_func=get_remote_address)
# Changing the phone number: tries per user (each checks the password and may send a code).
phone_change_limit = limiter.limit(_setting("PHONE_CHANGE_RATE_LIMIT"), methods=["POST"],
                                   key_func=user_or_address)
# Activation codes tried per address: one budget for the activation page and the API (the
# count of wrong codes per phone or e-mail is consult/activation/service.py's).
activation_limit = limiter.shared_limit(_setting("ACTIVATION_RATE_LIMIT"), scope="activation",
                                        key_func=get_remote_address,
                                        exempt_when=lambda: request.method != "POST")


# Texts a person wrote in the limited forms, shown again on the page so they are not lost.
_TYPED_TEXT = {"body", "matter", "objection"}


def seconds_until_reset() -> int:
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))


def wait_text(seconds: int) -> str:
    if seconds < 120:
        return ngettext("%(num)d second", "%(num)d seconds", seconds)
    minutes = math.ceil((seconds - 1) / 60)  # the storage rounds the window's end up a second
    return ngettext("%(num)d minute", "%(num)d minutes", minutes)


def _why() -> str:
    reasons = {
        "comments.create": _("You have posted several comments in a short time."),
        "votes.cast": _("You have sent several ballots in a short time."),
        "studios.reserve": _("You have made several reservations in a short time."),
        "outcomes.object_": _("You have lodged several objections in a short time."),
        "accounts.register_view": _("Several accounts were registered from this address in "
                                    "a short time."),
        "accounts.forgot_password": _("Several password reset links were asked for from this "
                                      "address in a short time."),
        "accounts.change_phone": _("You have asked several times to change your phone number "
                                   "in a short time."),
        "activation.activate_post": _("Several activation codes were tried from this address in a "
                                 "short time."),
    }
    return reasons.get(request.endpoint, _("You have made too many attempts in a short time."))


def too_many_page():
    """The answer to a page request over its limit: why, and how long to wait. A form keeps
    what was typed (never a password), ready to send again; htmx gets a short fragment, which
    static/js/app.js shows while the form keeps its text."""
    seconds = seconds_until_reset()
    message = _("%(why)s For a while this is paused: please wait %(wait)s, then try again.",
                why=_why(), wait=wait_text(seconds))
    headers = {"Retry-After": str(seconds)}
    if is_htmx():
        return render_template("errors/_too_many.html", message=message), 429, headers
    fields = typed_fields()
    query = request.query_string.decode("utf-8", "replace")
    action = request.path + ("?" + query if query else "")
    shown = [v for k, v in fields if k in _TYPED_TEXT and v.strip()]
    page = render_template("errors/too_many.html", message=message, fields=fields, shown=shown,
                           action=action)
    return page, 429, headers
