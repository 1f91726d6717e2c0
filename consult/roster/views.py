"""Uploading a roster (花名册) in the administration section. The rules live in
:mod:`consult.roster.parsing` and :mod:`consult.roster.importer`; this only checks who may
import where, and shows the outcome."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from consult import unit_of_work
from consult.community import queries
from consult.community.models import Community
from consult.extensions import db
from consult.permissions import check, may
from consult.roster.forms import RosterUploadForm
from consult.roster.importer import import_roster
from consult.roster.parsing import COLUMNS, RosterError, parse_roster

bp = Blueprint("roster", __name__, url_prefix="/admin/roster")

# The last import's counts, shown once on the page the browser is redirected to.
REPORT_SESSION_KEY = "roster_report"

REPORT_LABELS = {
    "grids_created": _l("Grids created"),
    "buildings_created": _l("Buildings created"),
    "units_created": _l("Units created"),
    "units_updated": _l("Units updated"),
    "units_unchanged": _l("Units unchanged"),
    "owners_created": _l("Owner accounts created (not yet activated)"),
    "owners_linked": _l("Existing accounts given a unit"),
    "ownerships_added": _l("Ownerships added"),
    "ownerships_removed": _l("Ownerships removed"),
}


@bp.before_request
@login_required
def _require_admin():
    if refusal := check(current_user, "admin.enter"):
        abort(403, refusal.message)


@bp.route("/", methods=["GET", "POST"])
def upload():
    communities = [c for c in queries.all_communities()
                   if may(current_user, "community.manage", c)]
    form = RosterUploadForm.for_user(communities, may(current_user, "community.create"))
    problems = None
    if form.validate_on_submit():
        community_name = _target_community(form)
        try:
            report = import_roster(community_name, parse_roster(form.file.data.read()),
                                   actor=current_user)
        except RosterError as error:
            unit_of_work.refused()  # the page answers 200 with the file's problems
            problems = error
        except IntegrityError:
            # Another import (or a registration) wrote the same rows meanwhile.
            unit_of_work.refused()
            flash(_("The data changed while the file was imported, so nothing was imported. "
                    "Please upload it again."), "error")
            return _page(form, communities), 409
        else:
            session[REPORT_SESSION_KEY] = {"community": community_name,
                                           "community_id": report.community_id,
                                           "counts": report.counts()}
            if report.changed:
                flash(_("The roster of %(community)s is imported.", community=community_name),
                      "success")
            else:
                flash(_("The roster of %(community)s matches what is recorded: nothing "
                        "changed.", community=community_name), "success")
            return redirect(url_for(".upload"))
    return _page(form, communities, problems=problems,
                 report=session.pop(REPORT_SESSION_KEY, None) if not form.is_submitted()
                 else None)


def _target_community(form: RosterUploadForm) -> str:
    """The name of the community to import into, once the user may: 404 for an unknown id,
    403 for one they do not manage."""
    if form.new_community_name:
        if refusal := check(current_user, "community.create"):
            abort(403, refusal.message)
        return form.new_community_name
    value = form.community.data or ""
    community = db.session.get(Community, int(value)) if value.isdigit() else None
    if community is None:
        abort(404)
    if refusal := check(current_user, "community.manage", community):
        abort(403, refusal.message)
    return community.name


def _page(form, communities, *, problems=None, report=None):
    return render_template("roster/upload.html", form=form, communities=communities,
                           problems=problems, report=report, report_labels=REPORT_LABELS,
                           columns=COLUMNS)
