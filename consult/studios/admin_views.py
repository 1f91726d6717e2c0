"""Administering studios (``studio.manage``): a community's studios, each studio's rooms,
opening hours and representatives, and the representatives' public profiles.

Every id in a URL is looked up within its parent (a room of another studio, a studio of another
community: 404) before the permission on the parent is checked.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from consult import unit_of_work
from consult.accounts.forms import EmptyForm
from consult.community.models import Community
from consult.extensions import db
from consult.studios import queries, service
from consult.refusals import Refused
from consult.studios.forms import AttachForm, HoursForm, ProfileForm, RoomForm, StudioForm
from consult.studios.models import OpeningHours, Room, Studio, StudioRepresentative
from consult.studios.blueprint import _require, bp


def _community(community_id: int) -> Community:
    community = db.session.get(Community, community_id) or abort(404)
    _require("studio.manage", community)
    return community


def _studio(studio_id: int) -> Studio:
    studio = queries.studio_by_id(studio_id) or abort(404)
    _require("studio.manage", studio)
    return studio


def _child(model, child_id: int, studio: Studio):
    child = db.session.get(model, child_id)
    if child is None or child.studio_id != studio.id:
        abort(404)
    return child


def _posted(form) -> bool:
    """A button form validated; its CSRF errors flashed otherwise."""
    if form.validate_on_submit():
        return True
    for errors in form.errors.values():
        for message in errors:
            flash(message, "error")
    return False


# --- a community's studios -----------------------------------------------------------------

@bp.route("/admin/communities/<int:community_id>/studios", methods=["GET", "POST"])
@login_required
def admin_studios(community_id: int):
    """The community's studios and representatives; a POST creates a studio."""
    community = _community(community_id)
    form = StudioForm()
    if form.validate_on_submit():
        try:
            studio = service.create_studio(current_user, community, kind=form.kind.data,
                                           name=form.name.data, address=form.address.data)
        except Refused as error:
            unit_of_work.refused(error, form)
        else:
            flash(_("The studio %(name)s is created. Add its rooms and opening hours now.",
                    name=studio.name), "success")
            return redirect(url_for(".admin_studio", studio_id=studio.id))
    studios = db.session.scalars(select(Studio).where(Studio.community_id == community.id)
                                 .order_by(Studio.name)).all()
    return render_template(
        "studios/admin_studios.html", community=community, studios=studios,
        form=form if form.is_submitted() else StudioForm(formdata=None),
        representatives=service.representatives_of(community.id),
        profiles=queries.profiles(community.id))


# --- one studio ----------------------------------------------------------------------------

def _studio_page(studio: Studio, *, details=None, room_form=None, hours_form=None,
                 attach_form=None):
    people = service.representatives_of(studio.community_id)
    attach_form = attach_form or AttachForm(prefix="attach", formdata=None)
    attach_form.set_people([p for p in people if p.id not in studio.representative_ids])
    return render_template(
        "studios/admin_studio.html", studio=studio,
        details=details or StudioForm(prefix="studio", obj=studio, formdata=None),
        room_form=room_form or RoomForm(prefix="room", formdata=None),
        hours_form=hours_form or HoursForm(prefix="hours", formdata=None),
        attach_form=attach_form)


@bp.route("/admin/studios/<int:studio_id>", methods=["GET", "POST"])
@login_required
def admin_studio(studio_id: int):
    """A studio's management page; a POST saves its details."""
    studio = _studio(studio_id)
    form = StudioForm(prefix="studio")
    if form.validate_on_submit():
        try:
            changes = service.update_studio(current_user, studio, kind=form.kind.data,
                                            name=form.name.data, address=form.address.data)
        except Refused as error:
            unit_of_work.refused(error, form)
        else:
            flash(_("The details are saved.") if changes else _("Nothing was changed."),
                  "success")
            return redirect(url_for(".admin_studio", studio_id=studio.id))
    return _studio_page(studio, details=form if form.is_submitted() else None)


@bp.route("/admin/studios/<int:studio_id>/rooms", methods=["POST"])
@login_required
def admin_add_room(studio_id: int):
    studio = _studio(studio_id)
    form = RoomForm(prefix="room")
    if form.validate_on_submit():
        try:
            room = service.add_room(current_user, studio, form.name.data)
        except Refused as error:
            unit_of_work.refused(error, form)
        else:
            flash(_("The room %(name)s is added.", name=room.name), "success")
            return redirect(url_for(".admin_studio", studio_id=studio.id, _anchor="rooms"))
    return _studio_page(studio, room_form=form)


@bp.route("/admin/studios/<int:studio_id>/rooms/<int:room_id>/delete", methods=["POST"])
@login_required
def admin_delete_room(studio_id: int, room_id: int):
    studio = _studio(studio_id)
    room = _child(Room, room_id, studio)
    if _posted(EmptyForm()):
        name = room.name
        try:
            service.delete_room(current_user, studio, room)
        except Refused as error:
            unit_of_work.refused(error)
        else:
            flash(_("The room %(name)s is deleted.", name=name), "success")
    return redirect(url_for(".admin_studio", studio_id=studio_id, _anchor="rooms"))


@bp.route("/admin/studios/<int:studio_id>/hours", methods=["POST"])
@login_required
def admin_add_hours(studio_id: int):
    studio = _studio(studio_id)
    form = HoursForm(prefix="hours")
    if form.validate_on_submit():
        try:
            service.add_hours(current_user, studio, form.weekday.data, form.opens.data,
                              form.closes.data)
        except Refused as error:
            unit_of_work.refused(error, form)
        else:
            flash(_("The opening hours are added."), "success")
            return redirect(url_for(".admin_studio", studio_id=studio.id, _anchor="hours"))
    return _studio_page(studio, hours_form=form)


@bp.route("/admin/studios/<int:studio_id>/hours/<int:hours_id>/delete", methods=["POST"])
@login_required
def admin_delete_hours(studio_id: int, hours_id: int):
    studio = _studio(studio_id)
    hours = _child(OpeningHours, hours_id, studio)
    if _posted(EmptyForm()):
        service.delete_hours(current_user, studio, hours)
        flash(_("The opening hours are removed."), "success")
    return redirect(url_for(".admin_studio", studio_id=studio_id, _anchor="hours"))


@bp.route("/admin/studios/<int:studio_id>/representatives", methods=["POST"])
@login_required
def admin_attach(studio_id: int):
    studio = _studio(studio_id)
    form = AttachForm(prefix="attach")
    form.set_people(service.representatives_of(studio.community_id))
    if form.validate_on_submit():
        try:
            attachment = service.attach(current_user, studio, form.user.data)
        except Refused as error:
            unit_of_work.refused(error, form)
        else:
            flash(_("%(name)s can now book this studio.", name=attachment.user.name),
                  "success")
            return redirect(url_for(".admin_studio", studio_id=studio.id,
                                    _anchor="representatives"))
    return _studio_page(studio, attach_form=form)


@bp.route("/admin/studios/<int:studio_id>/representatives/<int:attachment_id>/detach",
          methods=["POST"])
@login_required
def admin_detach(studio_id: int, attachment_id: int):
    studio = _studio(studio_id)
    attachment = _child(StudioRepresentative, attachment_id, studio)
    if _posted(EmptyForm()):
        name = attachment.user.name
        service.detach(current_user, studio, attachment)
        flash(_("%(name)s can no longer book this studio; sessions already booked stay.",
                name=name), "success")
    return redirect(url_for(".admin_studio", studio_id=studio_id, _anchor="representatives"))


# --- profiles ------------------------------------------------------------------------------

@bp.route("/admin/communities/<int:community_id>/representatives/<int:user_id>/profile",
          methods=["GET", "POST"])
@login_required
def admin_profile(community_id: int, user_id: int):
    community = _community(community_id)
    found = queries.representative(community.id, user_id) or abort(404)
    person, profile = found
    form = ProfileForm(obj=profile)
    if form.validate_on_submit():
        try:
            service.save_profile(current_user, community, person, body=form.body.data,
                                 area_served=form.area_served.data, bio=form.bio.data)
        except Refused as error:
            unit_of_work.refused(error, form)
        else:
            flash(_("The profile of %(name)s is saved.", name=person.name), "success")
            return redirect(url_for(".admin_studios", community_id=community.id,
                                    _anchor="representatives"))
    return render_template("studios/admin_profile.html", community=community, person=person,
                           form=form)

