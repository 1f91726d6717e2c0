"""Studio pages: schedules and calendars (public), booking and receptions (representatives),
reservations (residents). Administration pages are in :mod:`consult.studios.admin_views`.

Thin views: check the permission, load ids within their parent (a reservation of another
session is a 404), call the service, render; :mod:`consult.unit_of_work` commits. A refused
form is rendered again with what was typed; a conflict (slot taken, room booked) answers 409.
"""
from __future__ import annotations

from datetime import timedelta

from flask import (
    Response, abort, flash, redirect, render_template, request, url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from consult import unit_of_work
from consult.accounts.forms import EmptyForm
from consult.accounts.models import Role
from consult.clock import to_local, utcnow
from consult.community.models import Community
from consult.extensions import db
from consult.pagecache import for_visitors
from consult.permissions import check, may, membership
from consult.ratelimits import reservation_limit
from consult.studios import booking, calendar, matters, queries, reception
from consult.refusals import Refused
from consult.studios.forms import (
    AnswerForm, BookingForm, CancelSessionForm, DueForm, RateForm, RecordForm, ReserveForm,
)
from consult.studios.labels import (
    ATTENDANCE_LABELS, BODY_LABELS, CATEGORY_LABELS, KIND_LABELS, MATTER_STATUS_LABELS,
    WEEKDAY_LABELS,
)
from consult.studios.models import Reservation
from consult.studios.slots import hhmm, monday_of, parse_date
from consult.urls import public_url, safe_next_url

from consult.studios.blueprint import _require, bp

FEED_HISTORY_DAYS = 60  # how far back the calendar feeds reach


@bp.context_processor
def _studio_labels():
    return {"studio_kinds": KIND_LABELS, "studio_bodies": BODY_LABELS,
            "matter_categories": CATEGORY_LABELS, "attendance_labels": ATTENDANCE_LABELS,
            "weekday_labels": WEEKDAY_LABELS, "hhmm": hhmm,
            "matter_statuses": MATTER_STATUS_LABELS}


def _week_from_args():
    day = parse_date(request.args.get("week")) or to_local(utcnow()).date()
    return monday_of(day)


# --- public schedules ----------------------------------------------------------------------

@bp.route("/studios")
@for_visitors
def index():
    m = membership(current_user)
    return render_template("studios/index.html", groups=queries.studios_by_community(),
                           is_representative=any(Role.REPRESENTATIVE.value in r
                                                 for r in m.roles.values()))


@bp.route("/studios/<int:studio_id>")
@for_visitors
def studio(studio_id: int):
    place = queries.studio_by_id(studio_id) or abort(404)
    week, upcoming = queries.week_and_upcoming(_week_from_args(), studio_id=place.id)
    return render_template("studios/studio.html", studio=place, week=week, upcoming=upcoming,
                           overdue=queries.overdue_count(place.id))


@bp.route("/communities/<int:community_id>/representatives/<int:user_id>")
@for_visitors
def representative(community_id: int, user_id: int):
    found = queries.representative(community_id, user_id) or abort(404)
    person, profile = found
    community = db.session.get(Community, community_id)
    week, upcoming = queries.week_and_upcoming(_week_from_args(), representative_id=person.id,
                                               community_id=community_id)
    return render_template(
        "studios/representative.html", person=person, profile=profile, community=community,
        studios=queries.studios_of_representative(community_id, person.id), week=week,
        upcoming=upcoming)


def _ics(name: str, sessions, filename: str) -> Response:
    body = calendar.feed(name, sessions,
                         lambda s: public_url("studios.session", session_id=s.id))
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})


def _feed_start():
    return utcnow() - timedelta(days=FEED_HISTORY_DAYS)


@bp.route("/studios/<int:studio_id>/calendar.ics")
def studio_calendar(studio_id: int):
    place = queries.studio_by_id(studio_id) or abort(404)
    return _ics(place.name, queries.sessions(start=_feed_start(), studio_id=place.id),
                f"studio-{place.id}.ics")


@bp.route("/communities/<int:community_id>/representatives/<int:user_id>/calendar.ics")
def representative_calendar(community_id: int, user_id: int):
    person, _profile = queries.representative(community_id, user_id) or abort(404)
    return _ics(person.name, queries.sessions(start=_feed_start(), representative_id=person.id,
                                              community_id=community_id),
                f"representative-{person.id}.ics")


# --- a session -----------------------------------------------------------------------------

def _slot_label(slot) -> str:
    return f"{hhmm(slot.start)}–{hhmm(slot.end)}"


def _session_page(session, *, reserve_form=None, cancel_form=None, status: int = 200):
    view = queries.session_views([session])[0]
    now = utcnow()
    live = not session.is_cancelled
    mine = (queries.own_reservation(session.id, current_user.id)
            if current_user.is_authenticated else None)
    own_session = (current_user.is_authenticated
                   and session.representative_id == current_user.id)
    may_reserve = (live and mine is None and not own_session
                   and may(current_user, "studio.reserve", session))
    free = [s for s in view.slots if not s.taken and s.start > now]
    # Why a logged-in visitor cannot reserve (not verified, another community), said plainly.
    refusal = (check(current_user, "studio.reserve", session)
               if current_user.is_authenticated and live and not own_session and mine is None
               else None)
    if may_reserve:
        reserve_form = reserve_form or ReserveForm(formdata=None)
        reserve_form.set_slots(free, _slot_label)
    holder = may(current_user, "studio.record", session)
    return render_template(
        "studios/session.html", view=view, session=session, mine=mine, free=free,
        reserve_form=reserve_form if may_reserve else None,
        may_cancel_own=mine is not None and now <= mine.slot_start - reception.CANCEL_NOTICE,
        reservations=queries.session_reservations(session.id) if holder else None,
        cancel_form=(cancel_form or CancelSessionForm(formdata=None))
        if live and session.starts_at > now and may(current_user, "studio.cancel", session)
        else None,
        started=session.starts_at <= now, reserve_refusal=refusal, now_utc=now), status


def _session_or_404(session_id: int):
    return queries.session_by_id(session_id) or abort(404)


@bp.route("/studio-sessions/<int:session_id>")
def session(session_id: int):
    return _session_page(_session_or_404(session_id))


@bp.route("/studio-sessions/<int:session_id>/reserve", methods=["POST"])
@login_required
@reservation_limit
def reserve(session_id: int):
    session = _session_or_404(session_id)
    _require("studio.reserve", session)
    form = ReserveForm()
    # Every slot is a valid choice here: one taken meanwhile gets the service's clear message.
    form.set_slots(queries.session_views([session])[0].slots, _slot_label)
    if form.validate_on_submit():
        try:
            reservation = reception.reserve(current_user, session, form.slot.data,
                                            form.category.data, form.matter.data)
        except Refused as error:
            unit_of_work.refused(error, form)
            return _session_page(session, reserve_form=form, status=409)
        flash(_("Your slot %(time)s on %(date)s is reserved. You will be reminded the day "
                "before.", time=hhmm(reservation.slot_start),
                date=booking.when(session)["date"]), "success")
        return redirect(url_for(".session", session_id=session.id, _anchor="mine"))
    return _session_page(session, reserve_form=form, status=400)


@bp.route("/reservations/<int:reservation_id>/cancel", methods=["POST"])
@login_required
def cancel_reservation(reservation_id: int):
    reservation = db.session.get(Reservation, reservation_id)
    if reservation is None or reservation.resident_id != current_user.id:
        abort(404)  # another resident's reservation does not exist for you
    back = safe_next_url(request.form.get("next")) or url_for(
        ".session", session_id=reservation.session_id)
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            reception.cancel_reservation(current_user, reservation)
        except Refused as error:
            unit_of_work.refused(error)
        else:
            flash(_("Your reservation is cancelled; the slot is free again."), "success")
    return redirect(back)


@bp.route("/studio-sessions/<int:session_id>/cancel", methods=["POST"])
@login_required
def cancel_session(session_id: int):
    session = _session_or_404(session_id)
    _require("studio.cancel", session)
    form = CancelSessionForm()
    if form.validate_on_submit():
        try:
            notified = booking.cancel_session(current_user, session, form.reason.data)
        except Refused as error:
            unit_of_work.refused(error, form)
            return _session_page(session, cancel_form=form, status=409)
        flash(_("The session is cancelled. People notified: %(n)d.", n=notified), "success")
        return redirect(url_for(".session", session_id=session.id))
    return _session_page(session, cancel_form=form, status=400)


def _reception(session_id: int, reservation_id: int):
    session = _session_or_404(session_id)
    _require("studio.record", session)
    return session, queries.reservation_in(session.id, reservation_id) or abort(404)


def _record_page(session, reservation, *, form=None, due_form=None, answer_form=None,
                 status: int = 200):
    entry = reservation.record
    follows = entry is not None and entry.attendance == "attended"
    if follows:
        due_form = due_form or DueForm(formdata=None, data={
            "due_on": entry.due_on.isoformat() if entry.due_on else ""})
        answer_form = answer_form or AnswerForm(formdata=None)
    return render_template(
        "studios/record.html", session=session, reservation=reservation,
        form=form or RecordForm(formdata=None, obj=entry), entry=entry,
        due_form=due_form if follows else None, answer_form=answer_form if follows else None,
        open_yet=reservation.slot_start <= utcnow(), today=matters.today()), status


@bp.route("/studio-sessions/<int:session_id>/reservations/<int:reservation_id>/record",
          methods=["GET", "POST"])
@login_required
def record(session_id: int, reservation_id: int):
    session, reservation = _reception(session_id, reservation_id)
    form = RecordForm(obj=reservation.record)
    if form.validate_on_submit():
        try:
            reception.record_reception(current_user, reservation, form.attendance.data,
                                       form.raised.data, form.follow_up.data)
        except Refused as error:
            unit_of_work.refused(error, form)
        else:
            flash(_("The reception of %(name)s is recorded.", name=reservation.resident.name),
                  "success")
            return redirect(url_for(".session", session_id=session.id,
                                    _anchor="reservations"))
    return _record_page(session, reservation, form=form)


def _matter_of(reservation):
    return reservation.record or abort(404)  # nothing recorded: no matter to follow yet


def _back_to_matter(session, reservation):
    return redirect(url_for(".record", session_id=session.id, reservation_id=reservation.id,
                            _anchor="matter"))


@bp.route("/studio-sessions/<int:session_id>/reservations/<int:reservation_id>/handling",
          methods=["POST"])
@login_required
def matter_handling(session_id: int, reservation_id: int):
    session, reservation = _reception(session_id, reservation_id)
    entry = _matter_of(reservation)
    if EmptyForm().validate_on_submit():
        try:
            matters.start_handling(current_user, entry)
        except Refused as error:
            unit_of_work.refused(error)
        else:
            flash(_("The matter is marked as being handled."), "success")
    return _back_to_matter(session, reservation)


@bp.route("/studio-sessions/<int:session_id>/reservations/<int:reservation_id>/due",
          methods=["POST"])
@login_required
def matter_due(session_id: int, reservation_id: int):
    session, reservation = _reception(session_id, reservation_id)
    entry = _matter_of(reservation)
    form = DueForm()
    if form.validate_on_submit():
        try:
            matters.set_due_date(current_user, entry, form.due_on.data)
        except Refused as error:
            unit_of_work.refused(error, form)
            return _record_page(session, reservation, due_form=form, status=409
                                if error.field is None else 400)
        flash(_("The answer is due by %(date)s.", date=entry.due_on.isoformat()), "success")
        return _back_to_matter(session, reservation)
    return _record_page(session, reservation, due_form=form, status=400)


@bp.route("/studio-sessions/<int:session_id>/reservations/<int:reservation_id>/answer",
          methods=["POST"])
@login_required
def matter_answer(session_id: int, reservation_id: int):
    session, reservation = _reception(session_id, reservation_id)
    entry = _matter_of(reservation)
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            matters.answer(current_user, entry, form.answer.data)
        except Refused as error:
            unit_of_work.refused(error, form)
            return _record_page(session, reservation, answer_form=form, status=409
                                if error.field is None else 400)
        flash(_("The answer is sent to %(name)s.", name=reservation.resident.name), "success")
        return _back_to_matter(session, reservation)
    return _record_page(session, reservation, answer_form=form, status=400)


# --- booking -------------------------------------------------------------------------------

@bp.route("/studios/<int:studio_id>/book", methods=["GET", "POST"])
@login_required
def book(studio_id: int):
    place = queries.studio_by_id(studio_id) or abort(404)
    _require("studio.book", place)
    form = BookingForm()
    form.set_rooms(place.rooms)
    status = 200
    if form.validate_on_submit():
        try:
            # Several weeks at once: a week that clashes is skipped inside the service (its
            # insert undone in a savepoint of its own) and listed in result.skipped; the weeks
            # booked stay and the request is kept. Refused only when no week could be booked.
            result = booking.book_sessions(
                current_user, place, room_id=form.room.data, day=form.day.data,
                start=form.start.data, end=form.end.data, focus=form.focus.data,
                slot_minutes=form.slot_minutes.data, weeks=form.weeks.data)
        except Refused as error:
            unit_of_work.refused(error, form)
            status = 409 if error.field in ("room", "start") else 200
        else:
            _flash_booking(result)
            first = result.sessions[0]
            return redirect(url_for(".studio", studio_id=place.id,
                                    week=to_local(first.starts_at).date().isoformat()))
    return render_template("studios/book.html", studio=place, form=form), status


def _flash_booking(result: booking.Booking) -> None:
    dates = ", ".join(to_local(s.starts_at).date().isoformat() for s in result.sessions)
    flash(_("Booked %(n)d sessions: %(dates)s.", n=len(result.sessions), dates=dates),
          "success")
    for skipped in result.skipped:
        flash(_("Not booked on %(date)s: %(reason)s", date=skipped.day.isoformat(),
                reason=skipped.message), "warning")


# --- my pages ------------------------------------------------------------------------------

def _my_reservations_page(rate_for: int | None = None, rate_form=None, status: int = 200):
    items = queries.reservations_of(current_user.id)
    now = utcnow()
    # A form for every answer still to rate; the one just posted keeps what was typed.
    rate_forms = {r.id: (rate_form if r.id == rate_for and rate_form is not None
                         else RateForm(formdata=None)).for_reservation(r.id)
                  for r in items if r.record is not None and r.record.matter_status == "answered"
                  and r.record.rating is None}
    return render_template(
        "studios/my_reservations.html",
        upcoming=[r for r in items if r.is_active and not r.session.is_cancelled
                  and r.slot_end > now][::-1],
        past=[r for r in items if not (r.is_active and not r.session.is_cancelled
                                       and r.slot_end > now)],
        cancel_notice=reception.CANCEL_NOTICE, now=now, form=EmptyForm(),
        rate_forms=rate_forms, today=matters.today()), status


@bp.route("/me/reservations")
@login_required
def my_reservations():
    return _my_reservations_page()


@bp.route("/reservations/<int:reservation_id>/rate", methods=["POST"])
@login_required
def rate_matter(reservation_id: int):
    reservation = db.session.get(Reservation, reservation_id)
    if reservation is None or reservation.resident_id != current_user.id \
            or reservation.record is None:
        abort(404)  # another resident's matter does not exist for you
    form = RateForm()
    if form.validate_on_submit():
        try:
            reopened = matters.rate(current_user, reservation.record, form.rating.data,
                                    form.reason.data)
        except Refused as error:
            unit_of_work.refused(error, form)
            return _my_reservations_page(reservation.id, form,
                                         409 if error.field is None else 400)
        flash(_("Thank you. The matter goes back to the representative with your reason.")
              if reopened else _("Thank you for rating the answer."), "success")
        return redirect(url_for(".my_reservations", _anchor=f"reservation-{reservation.id}"))
    return _my_reservations_page(reservation.id, form, 400)


@bp.route("/me/studio-sessions")
@login_required
def my_sessions():
    items = queries.sessions(start=utcnow() - timedelta(days=30),
                             representative_id=current_user.id)
    return render_template("studios/my_sessions.html", sessions=items, now=utcnow(),
                           counts=queries.reservation_counts([s.id for s in items]),
                           overdue=queries.overdue_matters(current_user))

