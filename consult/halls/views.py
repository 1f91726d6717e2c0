"""Hall pages: halls of a community, a hall's month calendar, meetings, registration, minutes,
and the iCalendar feeds.

Thin views: check the permission, load ids within their parent (a meeting is found by its own
id and judged on its community), call the service, render; the request's unit of work commits
(:mod:`consult.unit_of_work`). A refused form is rendered again with what was typed; a clash
answers 409.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from consult import ical, unit_of_work
from consult.urls import public_url
from consult.accounts.forms import EmptyForm
from consult.clock import to_local, utcnow
from consult.community.models import Community
from consult.extensions import db
from consult.halls import minutes as minutes_rules
from consult.halls import queries, service
from consult.halls.forms import (
    CancelForm, CorrectionForm, HallForm, MeetingForm, MinutesForm, RescheduleForm,
)
from consult.halls.minutes import KIND_LABELS, DraftInput, ResolutionInput
from consult.pagecache import for_visitors
from consult.permissions import check, may
from consult.refusals import Refused
from consult.studios.slots import hhmm
from consult.topics.lifecycle import stage_label

bp = Blueprint("halls", __name__)


@bp.context_processor
def _hall_helpers():
    return {"hhmm": hhmm, "resolution_labels": KIND_LABELS, "weekday_names": [
        _("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"),
        _("Sunday")]}


def _require(action: str, obj=None) -> None:
    if refusal := check(current_user, action, obj):
        abort(403, refusal.message)


def _community_or_404(community_id: int) -> Community:
    return db.session.get(Community, community_id) or abort(404)


def _hall_or_404(hall_id: int):
    return queries.hall_by_id(hall_id) or abort(404)


def _meeting_or_404(meeting_id: int):
    return queries.meeting_by_id(meeting_id) or abort(404)


def _to_meeting(meeting, anchor: str | None = None):
    return redirect(url_for(".meeting", meeting_id=meeting.id, _anchor=anchor))


# --- halls ---------------------------------------------------------------------------------


def _status(error: Refused) -> int:
    """A refused form answers 400, as when the form itself does not validate; a clash or a
    moment that has passed 409, the permission table 403."""
    return 400 if error.kind == "invalid" else error.status

@bp.route("/communities/<int:community_id>/halls")
@for_visitors
def community_halls(community_id: int):
    community = _community_or_404(community_id)
    upcoming = queries.upcoming(community_id=community.id)
    return render_template("halls/community.html", community=community,
                           halls=queries.halls_of(community.id), upcoming=upcoming)


@bp.route("/communities/<int:community_id>/halls/new", methods=["GET", "POST"])
@login_required
def new_hall(community_id: int):
    community = _community_or_404(community_id)
    _require("hall.manage", community)
    form = HallForm()
    if form.validate_on_submit():
        try:
            hall = service.create_hall(current_user, community, name=form.name.data,
                                       address=form.address.data, capacity=form.capacity.data,
                                       accessibility=form.accessibility.data)
        except Refused as error:
            unit_of_work.refused(error, form)
        else:
            flash(_("The hall “%(name)s” is created.", name=hall.name), "success")
            return redirect(url_for(".hall", hall_id=hall.id))
    return render_template("halls/hall_edit.html", community=community, hall=None, form=form), \
        400 if request.method == "POST" else 200


@bp.route("/halls/<int:hall_id>/edit", methods=["GET", "POST"])
@login_required
def edit_hall(hall_id: int):
    hall = _hall_or_404(hall_id)
    _require("hall.manage", hall)
    form = HallForm(obj=hall)
    if form.validate_on_submit():
        try:
            service.update_hall(current_user, hall, name=form.name.data,
                                address=form.address.data, capacity=form.capacity.data,
                                accessibility=form.accessibility.data)
        except Refused as error:
            unit_of_work.refused(error, form)
        else:
            flash(_("The hall is saved."), "success")
            return redirect(url_for(".hall", hall_id=hall.id))
    return render_template("halls/hall_edit.html", community=hall.community, hall=hall,
                           form=form), 400 if request.method == "POST" else 200


@bp.route("/halls/<int:hall_id>")
@for_visitors
def hall(hall_id: int):
    place = _hall_or_404(hall_id)
    month = queries.month(queries.parse_month(request.args.get("month")), place.id)
    upcoming = queries.upcoming(hall_id=place.id)
    past = queries.past(hall_id=place.id)
    return render_template(
        "halls/hall.html", hall=place, month=month, upcoming=upcoming, past=past,
        with_minutes=queries.published_meeting_ids(m.id for m in past),
        today=to_local(utcnow()).date())


def _ics(name: str, meetings, filename: str) -> Response:
    cal = ical.calendar(name, "-//Consult//Hall meetings//ZH")
    for m in meetings:
        location = ", ".join(p for p in (m.hall.name, m.hall.address) if p)
        cal.add_component(ical.event(
            uid=f"meeting-{m.id}@consult", starts_at=m.starts_at, ends_at=m.ends_at,
            summary=m.title, location=location,
            description=m.cancel_reason if m.is_cancelled else "",
            url=public_url("halls.meeting", meeting_id=m.id),
            stamp=m.cancelled_at or m.updated_at, cancelled=m.is_cancelled,
            sequence=m.sequence))
    return Response(ical.to_bytes(cal), mimetype=ical.MIMETYPE,
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})


@bp.route("/halls/<int:hall_id>/calendar.ics")
def hall_calendar(hall_id: int):
    place = _hall_or_404(hall_id)
    return _ics(place.name, queries.feed_meetings(hall_id=place.id), f"hall-{place.id}.ics")


@bp.route("/communities/<int:community_id>/meetings.ics")
def community_calendar(community_id: int):
    community = _community_or_404(community_id)
    return _ics(community.name, queries.feed_meetings(community_id=community.id),
                f"meetings-{community.id}.ics")


# --- scheduling ----------------------------------------------------------------------------

def _hall_choices(form, community_id: int) -> None:
    form.hall.choices = [(h.id, f"{h.name} ({_('%(n)d seats', n=h.capacity)})")
                         for h in queries.halls_of(community_id)]


@bp.route("/communities/<int:community_id>/meetings/new", methods=["GET", "POST"])
@login_required
def schedule(community_id: int):
    community = _community_or_404(community_id)
    _require("meeting.manage", community)
    form = MeetingForm()
    _hall_choices(form, community.id)
    if request.method == "GET" and request.args.get("hall", type=int):
        form.hall.data = request.args.get("hall", type=int)
    if request.method == "GET" and request.args.get("topic"):
        form.topics.data = [request.args["topic"]]
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                meeting = service.schedule_meeting(
                    current_user, community, hall_id=form.hall.data, day=form.day.data,
                    start=form.start.data, end=form.end.data, title=form.title.data,
                    topic_ids=form.topics.data)
            except Refused as error:
                unit_of_work.refused(error, form)
                status = _status(error)
            else:
                flash(_("The meeting is scheduled; its agenda topics go to deliberation when "
                        "their comment period ends."),
                      "success")
                return _to_meeting(meeting)
    return render_template("halls/schedule.html", community=community, form=form,
                           candidates=service.agenda_candidates(community.id),
                           chosen={str(t) for t in (form.topics.data or [])}), status


def _when_data(meeting) -> dict:
    local = to_local(meeting.starts_at)
    return {"hall": meeting.hall_id, "title": meeting.title, "day": local.date().isoformat(),
            "start": hhmm(meeting.starts_at), "end": hhmm(meeting.ends_at)}


@bp.route("/meetings/<int:meeting_id>/reschedule", methods=["GET", "POST"])
@login_required
def reschedule(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    _require("meeting.manage", meeting)
    form = RescheduleForm(data=_when_data(meeting) if request.method == "GET" else None)
    _hall_choices(form, meeting.community_id)
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                notified = service.reschedule_meeting(
                    current_user, meeting, hall_id=form.hall.data, day=form.day.data,
                    start=form.start.data, end=form.end.data, title=form.title.data)
            except Refused as error:
                unit_of_work.refused(error, form)
                status = _status(error)
            else:
                flash(_("The meeting is changed. People notified: %(n)d.", n=notified),
                      "success")
                return _to_meeting(meeting)
    return render_template("halls/reschedule.html", meeting=meeting, form=form), status


@bp.route("/meetings/<int:meeting_id>/cancel", methods=["POST"])
@login_required
def cancel(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    _require("meeting.manage", meeting)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            notified = service.cancel_meeting(current_user, meeting, form.reason.data)
        except Refused as error:
            unit_of_work.refused(error, form)
            return _meeting_page(meeting, cancel_form=form, status=409)
        flash(_("The meeting is cancelled. People notified: %(n)d.", n=notified), "success")
        return _to_meeting(meeting)
    return _meeting_page(meeting, cancel_form=form, status=400)


# --- a meeting -----------------------------------------------------------------------------

def _meeting_page(meeting, *, cancel_form=None, status: int = 200):
    now = utcnow()
    mine = position = None
    if current_user.is_authenticated:
        mine = service.own_registration(meeting.id, current_user.id)
        position = service.waiting_position(mine) if mine is not None else None
    managing = may(current_user, "meeting.manage", meeting)
    open_for_registration = not meeting.is_cancelled and meeting.starts_at > now
    minutes = minutes_rules.minutes_of(meeting.id)
    return render_template(
        "halls/meeting.html", meeting=meeting, seats=queries.seats(meeting), mine=mine,
        position=position, managing=managing, open_for_registration=open_for_registration,
        attend_refusal=(check(current_user, "meeting.attend", meeting)
                        if open_for_registration and mine is None else None),
        cancel_form=(cancel_form or CancelForm(formdata=None)) if managing
        and open_for_registration else None,
        registrations=queries.registrations(meeting.id) if managing else None,
        minutes=minutes, revision=minutes_rules.current(minutes),
        draft=minutes_rules.draft_of(minutes) if managing else None,
        stage_label=stage_label, form=EmptyForm()), status


@bp.route("/meetings/<int:meeting_id>")
@for_visitors
def meeting(meeting_id: int):
    return _meeting_page(_meeting_or_404(meeting_id))


@bp.route("/meetings/<int:meeting_id>/register", methods=["POST"])
@login_required
def register(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    _require("meeting.attend", meeting)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        registration = service.register(current_user, meeting)
    except Refused as error:
        unit_of_work.refused(error)
        return _meeting_page(meeting, status=_status(error))
    if registration.status == "confirmed":
        flash(_("You are registered: a seat is kept for you."), "success")
    else:
        flash(_("The hall is full: you are on the waiting list, number %(n)d. You will be "
                "told if a seat becomes free.", n=service.waiting_position(registration)),
              "success")
    return _to_meeting(meeting, "registration")


@bp.route("/meetings/<int:meeting_id>/unregister", methods=["POST"])
@login_required
def unregister(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        service.unregister(current_user, meeting)
    except Refused as error:
        unit_of_work.refused(error)
        return _meeting_page(meeting, status=409)
    flash(_("Your registration is cancelled."), "success")
    return _to_meeting(meeting, "registration")


# --- minutes -------------------------------------------------------------------------------

def _resolution_inputs(meeting) -> list[ResolutionInput]:
    f = request.form
    return minutes_rules.resolution_inputs(
        meeting, lambda topic_id, name: f.get(f"res-{topic_id}-{name}"))


def _resolution_values(meeting, draft) -> dict[int, dict]:
    """What each topic's resolution fields show: what was typed, else the draft."""
    if request.method == "POST":
        return {r.topic_id: {"summary": r.summary, "kind": r.kind, "question": r.question,
                             "options": r.options, "reason": r.reason,
                             "comment_days": r.comment_days or ""}
                for r in _resolution_inputs(meeting)}
    rows = {r.topic_id: r for r in (draft.resolutions if draft else [])}
    values = {}
    for item in meeting.agenda:
        r = rows.get(item.topic_id)
        values[item.topic_id] = {
            "summary": r.summary if r else "", "kind": r.kind if r else "",
            "question": r.question if r else "", "options": "\n".join(r.options or [])
            if r else "\n".join([_("Agree"), _("Oppose"), _("Abstain")]),
            "reason": r.reason if r else "",
            "comment_days": (r.comment_days or "") if r else ""}
    return values


@bp.route("/meetings/<int:meeting_id>/minutes/edit", methods=["GET", "POST"])
@login_required
def edit_minutes(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    _require("meeting.manage", meeting)
    minutes = minutes_rules.minutes_of(meeting.id)
    draft = minutes_rules.draft_of(minutes)
    if draft is None and minutes_rules.current(minutes) is not None:
        flash(_("These minutes are published. To change them, start a correction."), "error")
        return redirect(url_for(".minutes", meeting_id=meeting.id, _anchor="correct"))
    form = MinutesForm(obj=draft if request.method == "GET" else None)
    errors: dict[str, str] = {}
    status = 200
    # Without JavaScript, "Show the fields" (action "fields") re-renders the form with the
    # chosen resolutions' fields and what was typed; nothing is saved.
    if request.method == "POST" and request.form.get("action") != "fields":
        status = 400
        if form.validate_on_submit():
            data = DraftInput(present_count=form.present_count.data,
                              officials_present=form.officials_present.data or "",
                              residents_count=form.residents_count.data,
                              body=form.body.data or "", resolutions=_resolution_inputs(meeting))
            try:
                minutes_rules.save_draft(current_user, meeting, data)
            except Refused as error:
                if error.field and error.field.startswith("res-"):
                    unit_of_work.refused()
                    errors[error.field] = error.message
                else:
                    unit_of_work.refused(error, form)
            else:
                if request.form.get("action") == "preview":
                    return redirect(url_for(".preview_minutes", meeting_id=meeting.id))
                flash(_("The draft is saved. Only the community office can see it."), "success")
                return redirect(url_for(".edit_minutes", meeting_id=meeting.id))
    return render_template("halls/minutes_edit.html", meeting=meeting, form=form, draft=draft,
                           values=_resolution_values(meeting, draft), errors=errors), status


@bp.route("/meetings/<int:meeting_id>/minutes/fields/<int:topic_id>")
@login_required
def resolution_fields(meeting_id: int, topic_id: int):
    """The fields of one agenda topic's resolution for the kind chosen on the minutes form
    (``res-<topic>-kind``): the fragment the form fetches when the kind changes (htmx)."""
    meeting = _meeting_or_404(meeting_id)
    _require("meeting.manage", meeting)
    if topic_id not in {item.topic_id for item in meeting.agenda}:
        abort(404)
    draft = minutes_rules.draft_of(minutes_rules.minutes_of(meeting.id))
    kind = request.args.get(f"res-{topic_id}-kind", "")
    values = dict(_resolution_values(meeting, draft)[topic_id],
                  kind=kind if kind in KIND_LABELS else "")
    return render_template("halls/_resolution_fields_fragment.html", meeting=meeting,
                           tid=topic_id, v=values, errors={})


@bp.route("/meetings/<int:meeting_id>/minutes/preview")
@login_required
def preview_minutes(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    _require("meeting.manage", meeting)
    minutes = minutes_rules.minutes_of(meeting.id)
    draft = minutes_rules.draft_of(minutes) or abort(404)
    previous = minutes_rules.current(minutes)
    return render_template(
        "halls/minutes_preview.html", meeting=meeting, revision=draft, previous=previous,
        problems=minutes_rules.problems(meeting, draft),
        changes=minutes_rules.diff(previous, draft) if previous else None,
        started=meeting.starts_at <= utcnow(), form=EmptyForm())


@bp.route("/meetings/<int:meeting_id>/minutes/publish", methods=["POST"])
@login_required
def publish_minutes(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    _require("meeting.manage", meeting)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        minutes_rules.publish(current_user, meeting)
    except Refused as error:
        unit_of_work.refused(error)
        return redirect(url_for(".preview_minutes", meeting_id=meeting.id))
    flash(_("The minutes are published."), "success")
    return redirect(url_for(".minutes", meeting_id=meeting.id))


@bp.route("/meetings/<int:meeting_id>/minutes/correct", methods=["POST"])
@login_required
def correct_minutes(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    _require("meeting.manage", meeting)
    form = CorrectionForm()
    if form.validate_on_submit():
        try:
            minutes_rules.start_correction(current_user, meeting, form.note.data)
        except Refused as error:
            unit_of_work.refused(error, form)
            return _minutes_page(meeting, correction_form=form,
                                 status=_status(error))
        else:
            flash(_("A correction is started. Edit it, preview it and publish it."), "success")
            return redirect(url_for(".edit_minutes", meeting_id=meeting.id))
    return _minutes_page(meeting, correction_form=form, status=400)


def _minutes_page(meeting, *, correction_form=None, status=200, template="halls/minutes.html"):
    minutes = minutes_rules.minutes_of(meeting.id)
    revision = minutes_rules.current(minutes) or abort(404)
    managing = may(current_user, "meeting.manage", meeting)
    return render_template(
        template, meeting=meeting, revision=revision,
        revisions=minutes_rules.published(minutes),
        correction_form=(correction_form or CorrectionForm(formdata=None))
        if managing and minutes_rules.draft_of(minutes) is None else None,
        draft=minutes_rules.draft_of(minutes) if managing else None), status


@bp.route("/meetings/<int:meeting_id>/minutes")
@for_visitors
def minutes(meeting_id: int):
    return _minutes_page(_meeting_or_404(meeting_id))


@bp.route("/meetings/<int:meeting_id>/minutes/print")
def print_minutes(meeting_id: int):
    return _minutes_page(_meeting_or_404(meeting_id), template="halls/minutes_print.html")


@bp.route("/meetings/<int:meeting_id>/minutes/revisions/<int:number>")
def minutes_revision(meeting_id: int, number: int):
    meeting = _meeting_or_404(meeting_id)
    done = minutes_rules.published(minutes_rules.minutes_of(meeting.id))
    revision = next((r for r in done if r.number == number), None) or abort(404)
    previous = next((r for r in reversed(done) if r.number < number), None)
    return render_template("halls/minutes_revision.html", meeting=meeting, revision=revision,
                           previous=previous, latest=done[-1],
                           changes=minutes_rules.diff(previous, revision) if previous else None)
