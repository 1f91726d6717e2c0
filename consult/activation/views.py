"""Pages: the secretary's activation page and its letters (入户通知书); the owner's
"Activate your account" page."""
from __future__ import annotations

import segno
from flask import (
    Blueprint, abort, flash, make_response, redirect, render_template, session, url_for,
)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user
from markupsafe import Markup

from consult import delivery, unit_of_work
from consult.activation import queries, rules, service
from consult.activation.forms import ActivateForm, IssueForm
from consult.community.models import Community
from consult.extensions import db
from consult.permissions import check, may
from consult.privacy import forms as privacy_forms
from consult.privacy.rules import current as current_privacy
from consult.ratelimits import activation_limit
from consult.refusals import Refused

bp = Blueprint("activation", __name__)


def _community(community_id: int) -> Community:
    """The community, for its secretaries and administrators and its grid workers (who see
    and issue for their grids only)."""
    community = db.session.get(Community, community_id) or abort(404)
    if refusal := check(current_user, "grid.work_any", community):
        abort(403, refusal.message)
    return community


def _scope_choices(community: Community) -> list[tuple[str, str]]:
    choices = ([("community", _("The whole community (%(name)s)", name=community.name))]
               if may(current_user, "activation.issue", community) else [])
    for grid in queries.grids_of(current_user, community):
        choices.append((f"grid:{grid.id}", _("Grid %(grid)s", grid=grid.name)))
        choices.extend((f"building:{b.id}", f"{grid.name} {b.name}") for b in grid.buildings)
    return choices


def _overview(community: Community, form: IssueForm, status: int = 200):
    form.scope.choices = _scope_choices(community)
    channels = service.channels()
    form.channel.choices = [c for c in form.channel.choices if c[0] in channels]
    rows = queries.counts(current_user, community)
    total = {key: sum(getattr(r, key) for r in rows)
             for key in ("owners", "activated", "outstanding", "never")}
    return render_template("activation/overview.html", community=community, form=form,
                           rows=rows, total=total, days=service.lifetime().days,
                           sms=delivery.sms_configured()), status


@bp.route("/communities/<int:community_id>/activation")
@login_required
def overview(community_id: int):
    community = _community(community_id)
    return _overview(community, IssueForm(formdata=None))


@bp.route("/communities/<int:community_id>/activation", methods=["POST"])
@login_required
def issue(community_id: int):
    """Issue codes; the answer is the letters themselves (only their hashes are kept)."""
    community = _community(community_id)
    form = IssueForm()
    form.scope.choices = _scope_choices(community)
    if not form.validate_on_submit():
        return _overview(community, form)
    try:
        scope = service.scope_of(community, form.scope.data)
        issued = service.issue(current_user, scope, form.channel.data)
    except Refused as error:
        unit_of_work.refused(error, form)
        return _overview(community, form)
    response = make_response(render_template(
        "activation/letters.html", community=community, issued=issued,
        qr=qr_svg, days=service.lifetime().days))
    # The codes exist in clear only in this answer: no cache, no history, no referrer.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def qr_svg(link: str, label: str) -> Markup:
    """The link as a QR code: an inline SVG drawn here, no style attribute (the strict CSP);
    colours and size come from static/css/site.css."""
    svg = segno.make(link, error="m").svg_inline(scale=4, svgclass="qr", lineclass="qr-line",
                                                   title=label, omitsize=False)
    # segno writes the markup itself and escapes the title (a fixed text of ours anyway).
    return Markup(svg)  # nosec B704


# --- the owner's side ---------------------------------------------------------------------------

def _activate_page(form: ActivateForm, *, by_link: bool, status: int = 200):
    privacy_forms.show_version(form, current_privacy().id)
    response = make_response(render_template("activation/activate.html", form=form,
                                             by_link=by_link, notice=current_privacy()), status)
    # The page may hold a code (in its address or its form): keep it out of caches and
    # out of Referer headers.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/activate")
def activate():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    return _activate_page(ActivateForm(formdata=None), by_link=False)


@bp.route("/activate/<code>")
def activate_code(code: str):
    """The letter's link: the form with the code filled in. Reading it checks nothing and
    writes nothing; the code is tried when the form is sent."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = ActivateForm(formdata=None)
    normal = rules.normalise(code)
    form.code.data = rules.grouped(normal) if normal else ""
    return _activate_page(form, by_link=normal is not None)


@bp.route("/activate", methods=["POST"])
@activation_limit
def activate_post():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = ActivateForm()
    if form.validate_on_submit():
        try:
            user = service.activate(form.identifier.data or "", form.code.data,
                                    form.password.data,
                                    privacy_version=privacy_forms.agreed_version(form),
                                    address=get_remote_address())
        except Refused as error:
            privacy_forms.place_refusal(error)
            unit_of_work.refused(error, form)
        else:
            session.clear()  # a fresh session on login
            session.permanent = True
            login_user(user)
            flash(_("Welcome, %(name)s. Your account is active and you are verified to your "
                    "home. From now on, log in with your phone or e-mail and this password.",
                    name=user.name), "success")
            return redirect(url_for("community.my_residency"))
    by_link = not (form.identifier.data or "").strip()
    return _activate_page(form, by_link=by_link)
