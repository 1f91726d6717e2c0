"""Getting and giving back a token: ``POST /api/v1/tokens``, ``DELETE /api/v1/tokens/current``,
``GET /api/v1/me``; and the "My devices" web page where a user revokes them."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from consult.accounts.forms import EmptyForm
from consult.accounts.lockout import LoginRefused
from consult.accounts.service import authenticate
from consult.api.core import ApiError, bp, iso, json_body, require_user, text_field
from consult.api.models import TOKEN_LIFETIME, ApiToken, hash_token, new_token
from consult.audit.log import record
from consult.clock import utcnow
from consult.extensions import db, limiter

NAME_MAX = 80


def _token_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def create_token(user, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the token (shown once, stored hashed)."""
    raw = new_token()
    now = utcnow()
    token = ApiToken(user_id=user.id, token_hash=hash_token(raw), name=name, created_at=now,
                     expires_at=now + TOKEN_LIFETIME)
    db.session.add(token)
    db.session.flush()
    record("api.token_create", user, actor=user, details={"token_id": token.id})
    return token, raw


def revoke(token: ApiToken, user) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record("api.token_revoke", user, actor=user, details={"token_id": token.id})


def token_json(token: ApiToken) -> dict:
    return {"id": token.id, "name": token.name, "created_at": iso(token.created_at),
            "last_used_at": iso(token.last_used_at), "expires_at": iso(token.expires_at)}


@bp.route("/tokens", methods=["POST"])
@limiter.limit(_token_limit, scope="api-login")
def tokens_create():
    data = json_body()
    identifier = text_field(data, "identifier").strip()
    password = text_field(data, "password")
    name = " ".join(text_field(data, "name", required=False).split())
    if not identifier:
        raise ApiError("validation", _("Give your e-mail address or phone number."),
                       field="identifier")
    if len(name) > NAME_MAX:
        raise ApiError("validation", _("At most %(max)d characters.", max=NAME_MAX),
                       field="name")
    if not password:
        raise ApiError("unauthenticated", _("The phone/e-mail or the password is not right."))
    try:
        user = authenticate(identifier, password)
    except LoginRefused as refusal:
        db.session.commit()  # the wrong attempt counts towards the lock, as on the web
        raise ApiError("unauthenticated", refusal.message, code=refusal.code) from None
    token, raw = create_token(user, name or _("API client"))
    db.session.commit()
    response = jsonify({"token": raw, "token_type": "Bearer", **token_json(token)})
    response.status_code = 201
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/tokens/current", methods=["DELETE"])
def tokens_delete_current():
    from flask import g

    user = require_user()
    revoke(g.api_token, user)
    db.session.commit()
    return "", 204


@bp.route("/me")
def me():
    from consult.permissions import membership
    from consult.topics.service import scopes_for

    user = require_user()
    m = membership(user)
    return jsonify({
        "id": user.id, "name": user.name,
        "verified": m.verified_anywhere,
        "communities": sorted(m.communities),
        "scopes": [{"key": scope.key, "label": label} for scope, label in scopes_for(user)],
    })


# --- "My devices" (a web page, with the session and CSRF like every page) ---------------------

devices_bp = Blueprint("devices", __name__)


@devices_bp.route("/me/devices")
@login_required
def devices():
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).all()
    return render_template("api/devices.html", tokens=tokens, now=utcnow(), form=EmptyForm())


@devices_bp.route("/me/devices/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_device(token_id: int):
    form = EmptyForm()
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        from flask import abort

        abort(404)
    if form.validate_on_submit():
        revoke(token, current_user)
        db.session.commit()
        flash(_("The device “%(name)s” is logged out of the app.", name=token.name),
              "success")
    return redirect(url_for(".devices"))
