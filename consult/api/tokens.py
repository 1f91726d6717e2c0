"""Getting and giving back a token: ``POST /api/v1/tokens``, ``DELETE /api/v1/tokens/current``,
``GET /api/v1/me``, ``DELETE /api/v1/me`` (closing the account); and the "My devices" web page
where a user revokes them."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from consult import unit_of_work
from consult.accounts.forms import EmptyForm
from consult.accounts.lockout import LoginRefused
from consult.accounts.service import authenticate
from consult.accounts.sessions import log_out_everywhere
from consult.api import schemas as s
from consult.api.core import TAGS, TOKEN, ApiError, answer, bp, problems, read, require_user
from consult.api.models import TOKEN_LIFETIME, ApiToken, hash_token, new_token
from consult.api.schemas import CloseAccountRequest, TokenRequest
from consult.audit.log import record
from consult.clock import utcnow
from consult.extensions import db
from consult.ratelimits import login_limit
from consult.refusals import Refused


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


def revoke(actor, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record("api.token_revoke", actor, actor=actor, details={"token_id": token.id})


def token_fields(token: ApiToken) -> dict:
    return {"id": token.id, "name": token.name, "created_at": token.created_at,
            "last_used_at": token.last_used_at, "expires_at": token.expires_at}


@bp.post("/tokens", summary="Log in: get a bearer token", tags=[TAGS["Tokens"]], security=[],
         description=(
             "Send the e-mail address or phone number and the password of the account. The "
             "token is shown once; it expires after 90 days and can be revoked on the “My "
             "devices” page. Rate-limited per address. After 5 wrong passwords in a row "
             "(LOGIN_LOCKOUT_ATTEMPTS) the account is locked for 15 minutes (401 with code "
             "`account_locked`)."),
         responses={"201": s.Token, **problems("400", "401", "413", "415", "422", "429")})
@login_limit  # one budget with the login page
def tokens_create(body: TokenRequest):
    identifier = body.identifier.strip()
    name = " ".join(body.name.split())
    if not identifier:
        raise Refused(_("Give your e-mail address or phone number."), "identifier")
    if not body.password:
        raise ApiError("unauthenticated", _("The phone/e-mail or the password is not right."))
    try:
        user = authenticate(identifier, body.password)
    except LoginRefused as refusal:
        unit_of_work.keep()  # the wrong attempt counts towards the lock, as on the web
        raise ApiError("unauthenticated", refusal.message, code=refusal.code) from None
    token, raw = create_token(user, name or _("API client"))
    response = answer(s.Token(token=raw, token_type="Bearer", **token_fields(token)), 201)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.delete("/tokens/current", summary="Log out: revoke the token of this request",
           tags=[TAGS["Tokens"]], security=TOKEN,
           responses={"204": {"description": "Revoked"}, **problems("401", "429")})
def tokens_delete_current():
    revoke(require_user(), g.api_token)
    return "", 204


@bp.get("/me", **read(s.Me, "Tokens", "Who the token belongs to, and where they may propose",
                      not_found=False, security=TOKEN))
def me():
    from consult.permissions import membership
    from consult.topics.service import scopes_for

    user = require_user()
    m = membership(user)
    return answer(s.Me(
        id=user.id, name=user.name, verified=m.verified_anywhere,
        communities=sorted(m.communities),
        scopes=[s.ProposalScope(key=scope.key, label=label)
                for scope, label in scopes_for(user)]))


@bp.delete("/me", summary="Close the account (注销账号)", tags=[TAGS["Tokens"]], security=TOKEN,
           description=(
               "Closes the account of the token, as the web page /account/close does: the "
               "password typed again, then the account can no longer log in, every token of "
               "it is revoked (they answer 401 from now on), its phone, e-mail and name are "
               "erased (the name becomes a pseudonym such as “居民 7F3K”). A wrong password "
               "is a problem document with status 403 and code `wrong_password` (it counts "
               "towards the lock of LOGIN_LOCKOUT_ATTEMPTS wrong passwords, code "
               "`account_locked`); a missing or empty password is 422."),
           responses={"204": {"description": "Closed"},
                      **problems("400", "401", "403", "409", "413", "415", "422", "429")})
def me_delete(body: CloseAccountRequest):
    from consult.accounts.closing import close_account

    user = require_user()
    try:
        close_account(user, body.password)
    except Refused:
        unit_of_work.keep()  # a wrong password counts towards the lock, as on the web
        raise
    return "", 204


# --- "My devices" (a web page, with the session and CSRF like every page) ---------------------

devices_bp = Blueprint("devices", __name__)


@devices_bp.route("/me/devices")
@login_required
def devices():
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).all()
    return render_template("api/devices.html", tokens=tokens, now=utcnow(), form=EmptyForm())


@devices_bp.route("/me/devices/log-out-everywhere", methods=["POST"])
@login_required
def log_out_every_device():
    """Every app and every browser (this one included) is logged out; the home page says so
    and offers to log in again."""
    form = EmptyForm()
    if form.validate_on_submit():
        revoked = log_out_everywhere(current_user, why="account.log_out_everywhere")
        flash(_("Every device is logged out: %(n)d apps and every browser. Log in again "
                "with your password.", n=revoked), "success")
        return redirect(url_for("main.home"))
    return redirect(url_for(".devices"))


@devices_bp.route("/me/devices/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_device(token_id: int):
    form = EmptyForm()
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        from flask import abort

        abort(404)
    if form.validate_on_submit():
        revoke(current_user, token)  # committed by the unit of work (a POST answered 302)
        flash(_("The device “%(name)s” is logged out of the app.", name=token.name),
              "success")
    return redirect(url_for(".devices"))
