"""Asking again when a new version of the privacy notice is published: a logged-in user who has
not agreed to the version in force may read everything, but a write of theirs (POST and the
like) is sent to the agree page first; what it sent is not kept, and the page says so. Every
page shows such users a banner (templates/base.html). Logging out, agreeing, and closing the
account stay possible without agreeing. The API's writes are refused with 403
``privacy-consent`` (consult/privacy/api.py). The check reads ``users.privacy_version``, loaded
with the user: no query of its own."""
from __future__ import annotations

from flask import Flask, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consult.privacy import rules, service
from consult.urls import safe_next_url

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Writes that need no agreement: leaving, agreeing, closing the account.
# Logging out, agreeing, and the person's rights over their data (downloading it, closing the
# account) never wait for an agreement: those rights do not depend on consent.
ALLOWED_ENDPOINTS = {"accounts.logout", "privacy.agree_post", "mydata.ask_export"}
ALLOWED_PATHS = {"/account/close"}


def allowed_without_agreement() -> bool:
    return (request.endpoint in ALLOWED_ENDPOINTS or request.path in ALLOWED_PATHS
            or request.path.startswith("/account/close/"))


def _back_to() -> str | None:
    """Where the agree page sends back: the page the write came from, when it is ours."""
    referrer = request.referrer or ""
    root = request.host_url.rstrip("/")
    if referrer.startswith(root + "/"):
        return safe_next_url(referrer[len(root):])
    return None


def init_app(app: Flask) -> None:
    @app.before_request
    def _privacy_agreement():
        if (request.method not in UNSAFE_METHODS or request.path.startswith("/api/")
                or allowed_without_agreement()):
            return None
        if not service.needs_agreement(current_user):
            return None
        flash(_("The privacy notice has changed (version %(version)s). Please read what changed "
                "and agree before you continue; what you just sent was not saved.",
                version=rules.current().id), "info")
        target = url_for("privacy.agree", next=_back_to())
        if request.headers.get("HX-Request"):
            response = app.response_class("", 200)
            response.headers["HX-Redirect"] = target
            return response
        return redirect(target, 303)

    @app.context_processor
    def _privacy_helpers():
        return {"privacy_needs_agreement": lambda: service.needs_agreement(current_user),
                "privacy_version": lambda: rules.current().id}
