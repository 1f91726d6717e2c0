from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from consult import unit_of_work
from consult.accounts.identity import mask_email, mask_phone
from consult.community import queries
from consult.community.forms import RELATION_LABELS, DecisionForm, ResidencyRequestForm
from consult.community.models import Building, Residency
from consult.community.residency import (
    decide, on_the_roster, queue_for, recently_decided, request_residency, residencies_of,
)
from consult.extensions import db
from consult.pagecache import for_visitors
from consult.permissions import check
from consult.refusals import Refused

bp = Blueprint("community", __name__)


@bp.route("/communities/<int:community_id>")
@for_visitors
def community(community_id: int):
    tree = queries.community_tree(community_id) or abort(404)
    return render_template("community/community.html", community=tree,
                           unit_counts=queries.unit_counts_by_building(community_id),
                           stats=queries.community_stats().get(community_id, {}))


@bp.route("/me/residency", methods=["GET", "POST"])
@login_required
def my_residency():
    """Ask to be verified to a home: pick the community, then the building, then the unit.
    Each step is a plain GET form, so it works without JavaScript."""
    communities = queries.all_communities()
    community_id = request.args.get("community", type=int)
    building_id = request.args.get("building", type=int)
    tree = queries.community_tree(community_id) if community_id else None
    building = db.session.get(Building, building_id) if building_id else None
    if building is not None and (tree is None or building.grid.community_id != tree.id):
        building = None
    form = ResidencyRequestForm()
    units = queries.units_of_building(building.id) if building else []
    form.unit.choices = [(u.id, u.number) for u in units]
    if building is not None and form.validate_on_submit():
        unit = next(u for u in units if u.id == form.unit.data)
        try:
            residency = request_residency(current_user, unit, form.relation.data,
                                          form.note.data)
        except Refused as error:
            unit_of_work.refused(error, form)
        else:
            if residency.is_verified:
                flash(_("You are verified: the roster lists you as an owner of this home."),
                      "success")
            else:
                flash(_("Your request has been sent. The community office will check it."),
                      "success")
            return redirect(url_for(".my_residency"))
    residencies = residencies_of(current_user)
    return render_template(
        "community/my_residency.html", form=form, communities=communities, tree=tree,
        building=building, residencies=residencies, on_roster=on_the_roster(residencies),
        relation_labels=RELATION_LABELS,
    )


def _queue_page(failed: Residency | None = None, form: DecisionForm | None = None,
                status: int = 200):
    """The verification queue; ``failed`` is the claim whose decision was just refused, shown
    with what was typed and the reason why next to its field."""
    return render_template(
        "community/verifications.html", queue=queue_for(current_user),
        history=recently_decided(current_user),
        failed_id=failed.id if failed is not None else None, form=form or DecisionForm(),
        relation_labels=RELATION_LABELS, mask_phone=mask_phone, mask_email=mask_email,
    ), status


@bp.route("/verifications")
@login_required
def verifications():
    if refusal := check(current_user, "residency.review_any"):
        abort(403, refusal.message)
    return _queue_page()


@bp.route("/verifications/<int:residency_id>", methods=["POST"])
@login_required
def decide_residency(residency_id: int):
    residency = db.session.get(Residency, residency_id) or abort(404)
    if refusal := check(current_user, "residency.decide", residency):
        abort(403, refusal.message)
    form = DecisionForm()
    verify = request.form.get("decision") == "verify"
    if not form.validate_on_submit():
        unit_of_work.refused()
        return _queue_page(residency, form, 422)
    name = residency.user.name
    try:
        decide(current_user, residency, verify, form.reason.data)
    except Refused as error:
        unit_of_work.refused(error, form)
        if error.field is None:  # decided meanwhile: the queue says what is left
            return redirect(url_for(".verifications"))
        return _queue_page(residency, form, 422)
    flash(_("%(name)s is now verified.", name=name) if verify
          else _("The request of %(name)s is refused.", name=name), "success")
    return redirect(url_for(".verifications"))
