from __future__ import annotations

import json

from flask import (Blueprint, current_app, jsonify, make_response, redirect, render_template,
                   request, url_for)
from flask_login import current_user

from consult.accounts.forms import EmptyForm
from consult.community import queries
from consult.community.residency import residencies_of
from consult.i18n import LANG_COOKIE, LANGUAGES
from consult.messages.service import remember_language
from consult.main import readiness, tabs
from consult.topics import queries as topic_queries
from consult.votes.service import votes_to_cast
from consult.pagecache import for_visitors
from consult.urls import safe_next_url
from consult.http import TEXT_SIZE_COOKIE

bp = Blueprint("main", __name__)

ONE_YEAR = 365 * 24 * 3600
# The header's red (static/css/site.css --brand): the phone's status bar and the splash screen
# of the app added to the home screen.
THEME_COLOUR = "#9b1c1c"


@bp.app_context_processor
def _shell_helpers():
    return {"current_tab": lambda: tabs.current_tab(request.endpoint, request.blueprint,
                                                    request.path, request.args),
            "theme_colour": THEME_COLOUR}


@bp.route("/")
@for_visitors
def home():
    communities = queries.all_communities()
    residencies = residencies_of(current_user) if current_user.is_authenticated else []
    return render_template("main/home.html", communities=communities,
                           to_do=votes_to_cast(current_user),
                           stats=queries.community_stats(), residencies=residencies,
                           stage_counts=topic_queries.counts_by_stage(),
                           closing=topic_queries.closing_soon(),
                           newest=topic_queries.newest_proposals())


@bp.route("/me")
def me():
    """我的: the account menu the phone's tab bar opens (the links the desktop header lists),
    or, for a visitor, logging in and registering. Read-only; the counts come with the page."""
    return render_template("main/me.html")


@bp.route("/manifest.webmanifest")
def manifest():
    """The web app manifest, so that "add to home screen" shows the mark and the name."""
    icons = [{"src": url_for("static", filename=f"icons/{name}"), "sizes": sizes, "type": kind}
             for name, sizes, kind in (("icon-192.png", "192x192", "image/png"),
                                       ("icon-512.png", "512x512", "image/png"),
                                       ("mark.svg", "any", "image/svg+xml"))]
    body = {
        "name": "有事好商量·Consult",
        "short_name": "有事好商量",
        "lang": "zh-Hans",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": "#ffffff",
        "icons": icons,
    }
    response = current_app.response_class(json.dumps(body, ensure_ascii=False),
                                          mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def _back():
    return redirect(safe_next_url(request.form.get("next")) or url_for(".home"))


@bp.route("/preferences/language", methods=["POST"])
def set_language():
    form = EmptyForm()
    response = make_response(_back())
    lang = request.form.get("lang")
    if form.validate_on_submit() and lang in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=ONE_YEAR, samesite="Lax", httponly=True,
                            secure=request.is_secure)
        if current_user.is_authenticated:  # SMS and e-mail are written in it too
            remember_language(current_user.id, lang)
    return response


@bp.route("/preferences/text-size", methods=["POST"])
def set_text_size():
    form = EmptyForm()
    response = make_response(_back())
    size = request.form.get("size")
    if form.validate_on_submit() and size in {"large", "normal"}:
        response.set_cookie(TEXT_SIZE_COOKIE, size, max_age=ONE_YEAR, samesite="Lax",
                            httponly=True, secure=request.is_secure)
    return response


@bp.route("/healthz")
def healthz():
    """Liveness for the proxy, and the trivial endpoint the benchmark compares pages with."""
    return {"status": "ok"}


@bp.route("/readyz")
def readyz():
    """Readiness: can this worker reach the database and, when one is configured, Redis?
    200 when both answer, 503 (with what failed) when either does not. Never cached."""
    checks = {"database": readiness.database(), "redis": readiness.redis_storage()}
    ready = all(state in ("ok", "not configured") for state in checks.values())
    response = jsonify({"status": "ready" if ready else "unavailable", **checks})
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response
