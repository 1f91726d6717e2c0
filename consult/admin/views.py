"""Administration: communities, their tree (grids, buildings, homes) and role grants.

Views stay thin: check the permission, load ids *within* the community being managed (another
community's id is a 404), parse the form, call :mod:`consult.admin.service`, render; the
request's unit of work commits (:mod:`consult.unit_of_work`). A refused form is rendered again
with what was typed and nothing written.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from consult import unit_of_work
from consult.accounts.forms import EmptyForm
from consult.accounts.identity import mask_phone
from consult.accounts.models import Role
from consult.admin import queries as admin_queries
from consult.admin import service
from consult.admin.forms import (
    ROLE_LABELS, BuildingForm, CommunityForm, GrantForm, NameForm, UnitForm, VoteSettingsForm,
)
from consult.community import queries
from consult.community.models import Community
from consult.extensions import db
from consult.permissions import check, membership
from consult.refusals import Refused

bp = Blueprint("admin", __name__, url_prefix="/admin")


def manageable_communities():
    m = membership(current_user)
    communities = queries.all_communities()
    if m.platform_admin:
        return communities
    return [c for c in communities if m.has_role(c.id, Role.ADMIN)]


@bp.before_request
@login_required
def _require_admin():
    if refusal := check(current_user, "admin.enter"):
        abort(403, refusal.message)


def _require(action: str, obj=None) -> None:
    if refusal := check(current_user, action, obj):
        abort(403, refusal.message)


def _managed(community_id: int, action: str = "community.manage") -> Community:
    community = db.session.get(Community, community_id) or abort(404)
    _require(action, community)
    return community


def _flash_form_errors(form) -> None:
    for errors in form.errors.values():
        for message in errors:
            flash(message, "error")


@bp.route("/")
def index():
    return render_template("admin/index.html", communities=manageable_communities(),
                           stats=queries.community_stats())


# --- communities ---------------------------------------------------------------------------

@bp.route("/communities/new", methods=["GET", "POST"])
def create_community():
    _require("community.create")
    form = CommunityForm()
    if form.validate_on_submit():
        try:
            community = service.create_community(
                current_user, name=form.name.data, district=form.district.data,
                street_office=form.street_office.data,
                cosign_threshold=form.cosign_threshold.data)
        except Refused as error:
            unit_of_work.refused(error, form)
        else:
            flash(_("The community %(name)s is created. Add its grids and buildings now.",
                    name=community.name), "success")
            return redirect(url_for(".community", community_id=community.id))
    return render_template("admin/community_new.html", form=form)


def _community_page(community_id: int, *, details: CommunityForm | None = None,
                    grid_form: NameForm | None = None,
                    building_form: BuildingForm | None = None,
                    vote_form: VoteSettingsForm | None = None):
    tree = queries.community_tree(community_id) or abort(404)
    details = details or CommunityForm(prefix="community", obj=tree, formdata=None)
    vote_form = vote_form or VoteSettingsForm(prefix="votes", obj=tree, formdata=None)
    grid_form = grid_form or NameForm(prefix="grid", formdata=None)
    building_form = building_form or BuildingForm(prefix="building", formdata=None)
    building_form.set_grids(tree.grids)
    return render_template(
        "admin/community.html", community=tree, details=details, grid_form=grid_form,
        building_form=building_form, vote_form=vote_form, unit_counts=queries.unit_counts_by_building(tree.id))


@bp.route("/communities/<int:community_id>", methods=["GET", "POST"])
def community(community_id: int):
    """The management page; a POST saves the community's details."""
    community = _managed(community_id)
    form = CommunityForm(prefix="community")
    if form.validate_on_submit():
        try:
            changes = service.update_community(
                current_user, community, name=form.name.data, district=form.district.data,
                street_office=form.street_office.data,
                cosign_threshold=form.cosign_threshold.data)
        except Refused as error:
            unit_of_work.refused(error, form)
        else:
            flash(_("The details are saved.") if changes else _("Nothing was changed."),
                  "success")
            return redirect(url_for(".community", community_id=community.id))
    if not form.is_submitted():
        form = None
    return _community_page(community.id, details=form)


@bp.route("/communities/<int:community_id>/vote-settings", methods=["POST"])
def vote_settings(community_id: int):
    """Save the notice and length of the community's owners' votes."""
    community = _managed(community_id)
    form = VoteSettingsForm(prefix="votes")
    if form.validate_on_submit():
        try:
            changes = service.update_vote_settings(
                current_user, community, notice_days=form.vote_notice_days.data,
                min_open_days=form.vote_min_open_days.data)
        except Refused as error:
            unit_of_work.refused(error, form)
        else:
            flash(_("The vote settings are saved.") if changes else _("Nothing was changed."),
                  "success")
            return redirect(url_for(".community", community_id=community.id,
                                    _anchor="vote-settings"))
    return _community_page(community.id, vote_form=form), 422


@bp.route("/communities/<int:community_id>/grids", methods=["POST"])
def add_grid(community_id: int):
    community = _managed(community_id)
    form = NameForm(prefix="grid")
    if form.validate_on_submit():
        try:
            grid = service.add_grid(current_user, community, form.name.data)
        except Refused as error:
            unit_of_work.refused(error, form)
        else:
            flash(_("The grid %(name)s is added.", name=grid.name), "success")
            return redirect(url_for(".community", community_id=community.id,
                                    _anchor=f"grid-{grid.id}"))
    return _community_page(community.id, grid_form=form)


@bp.route("/communities/<int:community_id>/grids/<int:grid_id>", methods=["GET", "POST"])
def grid(community_id: int, grid_id: int):
    """A grid's page; a POST renames it."""
    community = _managed(community_id)
    grid = admin_queries.grid_in(community.id, grid_id) or abort(404)
    form = NameForm(obj=grid)
    if form.validate_on_submit():
        try:
            changed = service.rename_grid(current_user, grid, form.name.data)
        except Refused as error:
            unit_of_work.refused(error, form)
        else:
            flash(_("The grid is renamed.") if changed else _("Nothing was changed."),
                  "success")
            return redirect(url_for(".grid", community_id=community.id, grid_id=grid.id))
    return render_template("admin/grid.html", community=community, grid=grid, form=form,
                           buildings=admin_queries.buildings_of_grid(grid.id),
                           unit_counts=queries.unit_counts_by_building(community.id))


@bp.route("/communities/<int:community_id>/grids/<int:grid_id>/delete", methods=["POST"])
def delete_grid(community_id: int, grid_id: int):
    community = _managed(community_id)
    grid = admin_queries.grid_in(community.id, grid_id) or abort(404)
    form = EmptyForm()
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return redirect(url_for(".grid", community_id=community.id, grid_id=grid.id))
    name = grid.name
    try:
        service.delete_grid(current_user, grid)
    except Refused as error:
        unit_of_work.refused(error, form)
        return redirect(url_for(".grid", community_id=community.id, grid_id=grid_id))
    flash(_("The grid %(name)s is deleted.", name=name), "success")
    return redirect(url_for(".community", community_id=community.id))


# --- buildings -----------------------------------------------------------------------------

@bp.route("/communities/<int:community_id>/buildings", methods=["POST"])
def add_building(community_id: int):
    community = _managed(community_id)
    form = BuildingForm(prefix="building")
    form.set_grids(community.grids)
    if form.validate_on_submit():
        # The choice list already holds only this community's grids; look it up scoped anyway.
        grid = admin_queries.grid_in(community.id, form.grid.data) or abort(404)
        try:
            building = service.add_building(current_user, grid, form.name.data)
        except Refused as error:
            unit_of_work.refused(error, form)
        else:
            flash(_("The building %(name)s is added. Add its homes now.", name=building.name),
                  "success")
            return redirect(url_for(".building", community_id=community.id,
                                    building_id=building.id))
    return _community_page(community.id, building_form=form)


def _building_page(community: Community, building, *, form: NameForm | None = None,
                   unit_form: UnitForm | None = None):
    units = queries.units_of_building(building.id)
    owners, verified = admin_queries.people_counts_by_unit(building.id)
    return render_template(
        "admin/building.html", community=community, building=building, units=units,
        owners=owners, verified=verified,
        form=form or NameForm(prefix="building", obj=building, formdata=None),
        unit_form=unit_form or UnitForm(prefix="unit", formdata=None))


@bp.route("/communities/<int:community_id>/buildings/<int:building_id>",
          methods=["GET", "POST"])
def building(community_id: int, building_id: int):
    """A building's page with its homes; a POST renames it."""
    community = _managed(community_id)
    building = admin_queries.building_in(community.id, building_id) or abort(404)
    form = NameForm(prefix="building")
    if form.validate_on_submit():
        try:
            changed = service.rename_building(current_user, building, form.name.data)
        except Refused as error:
            unit_of_work.refused(error, form)
        else:
            flash(_("The building is renamed.") if changed else _("Nothing was changed."),
                  "success")
            return redirect(url_for(".building", community_id=community.id,
                                    building_id=building.id))
    return _building_page(community, building, form=form if form.is_submitted() else None)


@bp.route("/communities/<int:community_id>/buildings/<int:building_id>/delete",
          methods=["POST"])
def delete_building(community_id: int, building_id: int):
    community = _managed(community_id)
    building = admin_queries.building_in(community.id, building_id) or abort(404)
    form = EmptyForm()
    back = url_for(".building", community_id=community.id, building_id=building_id)
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return redirect(back)
    name = f"{building.grid.name} {building.name}"
    try:
        service.delete_building(current_user, building)
    except Refused as error:
        unit_of_work.refused(error, form)
        return redirect(back)
    flash(_("The building %(name)s is deleted.", name=name), "success")
    return redirect(url_for(".community", community_id=community.id))


# --- units ---------------------------------------------------------------------------------

@bp.route("/communities/<int:community_id>/buildings/<int:building_id>/units",
          methods=["POST"])
def add_unit(community_id: int, building_id: int):
    community = _managed(community_id)
    building = admin_queries.building_in(community.id, building_id) or abort(404)
    form = UnitForm(prefix="unit")
    if form.validate_on_submit():
        try:
            unit = service.add_unit(current_user, building, form.number.data,
                                    form.area_m2.data)
        except Refused as error:
            unit_of_work.refused(error, form)
        else:
            flash(_("The home %(number)s is added.", number=unit.number), "success")
            return redirect(url_for(".building", community_id=community.id,
                                    building_id=building.id, _anchor="add-unit"))
    return _building_page(community, building, unit_form=form)


@bp.route("/communities/<int:community_id>/units/<int:unit_id>", methods=["GET", "POST"])
def unit(community_id: int, unit_id: int):
    """Edit a home's number and area."""
    community = _managed(community_id)
    unit = admin_queries.unit_in(community.id, unit_id) or abort(404)
    form = UnitForm(obj=unit)
    if form.validate_on_submit():
        try:
            changes = service.update_unit(current_user, unit, form.number.data,
                                          form.area_m2.data)
        except Refused as error:
            unit_of_work.refused(error, form)
        else:
            flash(_("The home is saved.") if changes else _("Nothing was changed."), "success")
            return redirect(url_for(".building", community_id=community.id,
                                    building_id=unit.building_id))
    return render_template("admin/unit.html", community=community, unit=unit, form=form)


@bp.route("/communities/<int:community_id>/units/<int:unit_id>/delete", methods=["POST"])
def delete_unit(community_id: int, unit_id: int):
    community = _managed(community_id)
    unit = admin_queries.unit_in(community.id, unit_id) or abort(404)
    building_id = unit.building_id
    back = url_for(".building", community_id=community.id, building_id=building_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return redirect(back)
    number = unit.number
    try:
        service.delete_unit(current_user, unit)
    except Refused as error:
        unit_of_work.refused(error, form)
        return redirect(back)
    flash(_("The home %(number)s is deleted.", number=number), "success")
    return redirect(back)


# --- role grants ---------------------------------------------------------------------------

def _grant_form(community: Community, **kwargs) -> GrantForm:
    form = GrantForm(**kwargs)
    form.set_grids(queries.community_tree(community.id).grids)
    return form


def _roles_page(community: Community, form: GrantForm | None = None):
    form = form or _grant_form(community, formdata=None)
    grants = admin_queries.grants_of(community.id)
    by_role = {role: [g for g in grants if g.role == role] for role in ROLE_LABELS}
    return render_template(
        "admin/roles.html", community=community, by_role=by_role, role_labels=ROLE_LABELS,
        form=form, mask_phone=mask_phone,
        grid_names={c.value: c.label for c in form.grid.choices if c.value is not None},
        may_revoke=lambda g: service.may_revoke(current_user, g))


@bp.route("/communities/<int:community_id>/roles", methods=["GET", "POST"])
def roles(community_id: int):
    """Who holds which role; a POST grants one."""
    community = _managed(community_id, "roles.manage")
    form = _grant_form(community)
    if form.validate_on_submit():
        try:
            grant = service.grant_role(current_user, community, form.identifier.data,
                                       form.role.data,
                                       admin_queries.grid_in(community.id, form.grid.data))
        except Refused as error:
            unit_of_work.refused(error, form)
        else:
            flash(_("%(name)s now holds the role “%(role)s” in this community.",
                    name=grant.user.name, role=ROLE_LABELS[grant.role]), "success")
            return redirect(url_for(".roles", community_id=community.id))
    return _roles_page(community, form if form.is_submitted() else None)


@bp.route("/communities/<int:community_id>/roles/<int:grant_id>/revoke", methods=["POST"])
def revoke(community_id: int, grant_id: int):
    community = _managed(community_id, "roles.manage")
    grant = admin_queries.grant_in(community.id, grant_id) or abort(404)
    back = url_for(".roles", community_id=community.id)
    form = EmptyForm()
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return redirect(back)
    name, role = grant.user.name, grant.role
    try:
        service.revoke_grant(current_user, grant)
    except Refused as error:
        unit_of_work.refused(error, form)
        return redirect(back)
    flash(_("%(name)s no longer holds the role “%(role)s” in this community.",
            name=name, role=ROLE_LABELS[role]), "success")
    return redirect(back)
