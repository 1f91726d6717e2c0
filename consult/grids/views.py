"""Grid pages (我的网格) for grid workers and the community office, the grid worker's page for
one resident (帮办代办), and the resident's own page of consents and acts done for them."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import pgettext
from flask_login import current_user, login_required

from consult import unit_of_work
from consult.accounts.models import User
from consult.clock import utcnow
from consult.community.models import Grid
from consult.csvfiles import csv_response
from consult.disclosures.rules import NOT_VOTED, PHONE, mask_phone
from consult.disclosures.views import record
from consult.extensions import db
from consult.grids import queries, rules, service
from consult.grids.forms import CommentForForm, ConsentForm, RecordConsentForm, VoteForForm
from consult.grids.models import Consent
from consult.permissions import check
from consult.refusals import Refused
from consult.topics.models import Topic
from consult.votes.labels import option_label
from consult.votes.models import Vote

bp = Blueprint("grids", __name__)


@bp.app_context_processor
def _grid_helpers():
    return {"scope_labels": rules.SCOPE_LABELS, "consent_state_labels": rules.STATE_LABELS}


def _grid(grid_id: int, action: str) -> Grid:
    grid = db.session.get(Grid, grid_id) or abort(404)
    if (r := check(current_user, action, grid)) is not None:
        abort(403, r.message)
    return grid


def _abort_if_forbidding(error: Refused) -> None:
    if error.forbidding or error.kind == "not_found":
        abort(error.status, error.message)


@bp.route("/grids")
@login_required
def index():
    return render_template("grids/index.html", grids=queries.grids_for(current_user))


@bp.route("/grids/<int:grid_id>")
@login_required
def show(grid_id: int):
    grid = _grid(grid_id, "grid.see_people")
    page = queries.grid_page(current_user, grid, request.args.get("show", "all"))
    phones = check(current_user, "grid.see_phones", grid) is None
    record(queries.shown_on_grid_page(page, phones), page="grid", object_ref=f"grid:{grid.id}",
           object_name=f"{page.community.name} · {grid.name}", community_id=grid.community_id,
           grid_id=grid.id)
    return render_template("grids/grid.html", page=page, option_label=option_label,
                           may_act=check(current_user, "grid.act_for", grid) is None,
                           phones=phones)


@bp.route("/grids/<int:grid_id>/votes/<int:vote_id>/not-voted.csv")
@login_required
def not_voted_csv(grid_id: int, vote_id: int):
    grid = _grid(grid_id, "grid.see_people")
    vote = db.session.get(Vote, vote_id) or abort(404)
    if vote.id not in {v.id for v in queries.covering_votes(grid, utcnow())}:
        abort(404)
    phones = check(current_user, "grid.see_phones", grid) is None
    rows = queries.not_voted_rows(grid, vote)
    shown: dict[int, set[str]] = {}
    for *_row, phone, user_id in rows:
        if user_id is not None:
            shown.setdefault(user_id, {NOT_VOTED}).update({PHONE} if phones and phone else ())
    record(shown, page="grid_not_voted_csv", object_ref=f"grid:{grid.id}/vote:{vote.id}",
           object_name=f"{grid.name} · {vote.question}", community_id=grid.community_id,
           grid_id=grid.id)
    return csv_response(f"grid-{grid.id}-vote-{vote.id}-not-voted.csv",
                        [_("Building"), _("Homes"), pgettext("a person's name", "Name"),
                         _("Phone")],
                        [(building, homes, name, phone if phones else mask_phone(phone))
                         for building, homes, name, phone, _user_id in rows])


def _resident_in(grid: Grid, user_id: int) -> User:
    resident = db.session.get(User, user_id) or abort(404)
    if not service.lives_in(resident, grid.id):
        abort(404)
    return resident


def _resident_page(grid: Grid, resident: User, consent_form=None, vote_form=None,
                   comment_form=None, status: int = 200):
    page = queries.resident_page(current_user, grid, resident)
    # Acting for the resident, the grid worker may need to call them: the whole number.
    if resident.phone:
        record({resident.id: {PHONE}}, page="grid_resident",
               object_ref=f"grid:{grid.id}/resident:{resident.id}",
               object_name=f"{grid.name} · {resident.name}", community_id=grid.community_id,
               grid_id=grid.id)
    consent_form = consent_form or RecordConsentForm(formdata=None)
    comment_form = comment_form or CommentForForm(formdata=None)
    comment_form.topic.choices = [(t.id, t.title) for t in page.topics]
    return render_template("grids/resident.html", page=page, consent_form=consent_form,
                           vote_form=vote_form, comment_form=comment_form,
                           option_label=option_label,
                           last_day_of=service.last_day_of, now=utcnow(),
                           state=rules.state), status


@bp.route("/grids/<int:grid_id>/residents/<int:user_id>")
@login_required
def resident(grid_id: int, user_id: int):
    grid = _grid(grid_id, "grid.act_for")
    return _resident_page(grid, _resident_in(grid, user_id))


@bp.route("/grids/<int:grid_id>/residents/<int:user_id>/consents", methods=["POST"])
@login_required
def record_consent(grid_id: int, user_id: int):
    grid = _grid(grid_id, "grid.act_for")
    person = _resident_in(grid, user_id)
    form = RecordConsentForm()
    if form.validate_on_submit():
        try:
            service.record_consent(current_user, grid, person, form.scope.data,
                                   form.last_day.data, form.evidence.data)
        except Refused as error:
            unit_of_work.refused(error, form)
            _abort_if_forbidding(error)
        else:
            flash(_("The consent of %(name)s is recorded; they are told and can revoke it.",
                    name=person.name), "success")
            return redirect(url_for(".resident", grid_id=grid.id, user_id=person.id))
    elif not form.errors.get("last_day"):
        form.last_day.errors = [*form.last_day.errors, _("Give the last day of the consent.")]
    return _resident_page(grid, person, consent_form=form, status=422)


@bp.route("/grids/<int:grid_id>/residents/<int:user_id>/ballot", methods=["POST"])
@login_required
def vote_for(grid_id: int, user_id: int):
    grid = _grid(grid_id, "grid.act_for")
    person = _resident_in(grid, user_id)
    form = VoteForForm()
    vote = db.session.get(Vote, request.form.get("vote", type=int) or 0) or abort(404)
    if form.validate_on_submit():
        try:
            ballots = service.vote_for(current_user, person, vote, form.option.data or "",
                                       replace_other=bool(form.replace_other.data))
        except Refused as error:
            unit_of_work.refused(error)
            _abort_if_forbidding(error)
        else:
            flash(_("The ballot of %(name)s is recorded, marked as cast by you for them. "
                    "Receipt: %(codes)s", name=person.name,
                    codes=", ".join(b.tracker for b in ballots)), "success")
    else:
        flash(_("Choose one of the options."), "error")
        unit_of_work.refused()
    return redirect(url_for(".resident", grid_id=grid.id, user_id=person.id))


@bp.route("/grids/<int:grid_id>/residents/<int:user_id>/comment", methods=["POST"])
@login_required
def comment_for(grid_id: int, user_id: int):
    grid = _grid(grid_id, "grid.act_for")
    person = _resident_in(grid, user_id)
    form = CommentForForm()
    topic = None
    if form.validate_on_submit():
        topic = db.session.get(Topic, form.topic.data)
    if topic is None:
        form.topic.errors = [_("Choose a topic open for comment.")]
        return _resident_page(grid, person, comment_form=form, status=422)
    try:
        comment = service.comment_for(current_user, person, topic, form.body.data)
    except Refused as error:
        unit_of_work.refused(error, form)
        _abort_if_forbidding(error)
        return _resident_page(grid, person, comment_form=form, status=422)
    flash(_("The comment is posted for %(name)s, marked as posted by you for them.",
            name=person.name), "success")
    return redirect(url_for("topics.show", topic_id=topic.id, _anchor=f"comment-{comment.id}"))


# --- the resident's page ----------------------------------------------------------------------

def _assistance(form: ConsentForm, status: int = 200):
    page = queries.assistance_page(current_user)
    form.grid.choices = [(g.id, g.name) for g in page.grids]
    return render_template("grids/assistance.html", page=page, form=form, now=utcnow(),
                           state=rules.state, last_day_of=service.last_day_of), status


@bp.route("/my/assistance", methods=["GET", "POST"])
@login_required
def assistance():
    form = ConsentForm()
    if request.method == "POST":
        grid = None
        if form.validate_on_submit():
            grid = db.session.get(Grid, form.grid.data)
        if grid is None:
            form.grid.errors = [*form.grid.errors, _("Choose the grid you live in.")]
            return _assistance(form, 422)
        try:
            service.give_consent(current_user, grid, form.scope.data, form.last_day.data)
        except Refused as error:
            unit_of_work.refused(error, form)
            if error.forbidding:
                abort(error.status, error.message)
            return _assistance(form, 422)
        flash(_("Your consent is recorded. The grid workers of your grid may now act for "
                "you; you can revoke it at any time."), "success")
        return redirect(url_for(".assistance"))
    return _assistance(form)


@bp.route("/my/assistance/<int:consent_id>/revoke", methods=["POST"])
@login_required
def revoke(consent_id: int):
    consent = db.session.get(Consent, consent_id)
    if consent is None or consent.resident_id != current_user.id:
        abort(404)
    try:
        service.revoke_consent(current_user, consent)
    except Refused as error:
        unit_of_work.refused(error)
    else:
        flash(_("Your consent is revoked. Grid workers can no longer act for you with it."),
              "success")
    return redirect(url_for(".assistance"))
