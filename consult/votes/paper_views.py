"""The paper ballot desk (书面表决票) of a vote: progress, printing, entering and confirming
returned papers, resolving disagreements, and the photos of papers.

Printing is a POST that gives the missing papers their serials and sends the browser on to the
printable page (a GET, which only reads): reprinting shows the same serials. The QR code on each
paper holds just its serial, drawn here as SVG (no inline style: the CSP forbids it).
"""
from __future__ import annotations

import segno
from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from consult import unit_of_work
from consult.community.models import Building
from consult.extensions import db
from consult.permissions import check, may
from consult.refusals import Refused
from consult.votes import paper
from consult.votes import paper_rules as rules
from consult.votes.labels import option_label
from consult.votes.paper_forms import SPOILT, PaperEntryForm, PaperMarkForm, PrintForm, with_choices
from consult.votes.views import _vote_or_404, bp

WHOLE = "all"


def _desk_vote(vote_id: int):
    vote = _vote_or_404(vote_id)
    if (why := paper.desk_refusal(current_user, vote)) is not None:
        abort(403, why.message)
    return vote


def qr_svg(serial: str) -> Markup:
    """The serial as a QR code, inline SVG with no style attribute."""
    code = segno.make_qr(serial, error="m")
    return Markup(code.svg_inline(scale=3, border=2, title=serial, svgclass="paper-qr",
                                  lineclass=None, omitsize=False))


def _print_form(vote) -> PrintForm:
    form = PrintForm()
    choices = [(str(b.id), f"{b.grid.name} {b.name}")
               for b in paper.printable_buildings(current_user, vote)]
    if may(current_user, "topic.manage", vote.topic):
        choices.insert(0, (WHOLE, _("The whole electorate")))
    form.building.choices = choices
    return form


def _entry_form(vote) -> PaperEntryForm:
    return with_choices(PaperEntryForm(), vote.options, option_label)


def _desk(vote, entry_form=None, status: int = 200):
    return render_template(
        "votes/paper_desk.html", vote=vote, topic=vote.topic, progress=paper.progress(vote),
        print_form=_print_form(vote), form=entry_form or _entry_form(vote),
        disputes=paper.disputes(current_user, vote),
        waiting=paper.waiting_of(current_user, vote),
        may_resolve=may(current_user, "vote.paper_resolve", vote)), status


@bp.route("/votes/<int:vote_id>/papers")
@login_required
def paper_desk(vote_id: int):
    return _desk(_desk_vote(vote_id))


@bp.route("/votes/<int:vote_id>/papers/print", methods=["POST"])
@login_required
def paper_print(vote_id: int):
    vote = _desk_vote(vote_id)
    form = _print_form(vote)
    if not form.validate_on_submit():
        abort(400)
    choice = form.building.data or ""
    building = None
    if choice != WHOLE:
        building = db.session.get(Building, int(choice)) if choice.isdigit() else None
        if building is None:
            abort(404)
    try:
        created = paper.print_papers(current_user, vote, building)
    except Refused as error:
        if error.forbidding:
            abort(403, error.message)
        unit_of_work.refused(error)
        return redirect(url_for(".paper_desk", vote_id=vote.id))
    flash(_("%(n)d new paper ballots; the others keep their serial numbers.", n=created),
          "success")
    return redirect(url_for(".paper_sheets", vote_id=vote.id, building=choice))


@bp.route("/votes/<int:vote_id>/papers/sheets")
@login_required
def paper_sheets(vote_id: int):
    vote = _vote_or_404(vote_id)
    choice = request.args.get("building", WHOLE)[:12]
    building = None
    if choice != WHOLE:
        building = db.session.get(Building, int(choice)) if choice.isdigit() else None
        if building is None or building.grid.community_id != vote.community_id:
            abort(404)
    refusal = (check(current_user, "topic.manage", vote.topic) if building is None
               else check(current_user, "vote.paper", building))
    if refusal is not None:
        abort(403, refusal.message)
    found = paper.sheets(vote, building)
    return render_template("votes/paper_sheets.html", vote=vote, topic=vote.topic,
                           community=vote.topic.community, sheets=found, building=building,
                           qr={s.serial: qr_svg(s.serial) for s in found})


def _mark(form: PaperMarkForm) -> tuple[str | None, bool, bytes | None]:
    option = form.option.data or ""
    photo = form.photo.data
    data = photo.read(rules.PHOTO_MAX_BYTES + 1) if photo else None
    return (None, True, data) if option == SPOILT else (option, False, data)


@bp.route("/votes/<int:vote_id>/papers/entries", methods=["POST"])
@login_required
def paper_enter(vote_id: int):
    vote = _desk_vote(vote_id)
    form = _entry_form(vote)
    if not form.validate_on_submit():
        return _desk(vote, form, 422)
    option, spoilt, photo = _mark(form)
    try:
        done = paper.enter(current_user, vote, form.serial.data, option, spoilt=spoilt,
                           photo=photo)
    except Refused as error:
        if error.forbidding:
            abort(403, error.message)
        unit_of_work.refused(error, form)
        return _desk(vote, form, 409 if error.conflict else 422)
    serial = done.paper.serial
    if done.step == rules.FIRST:
        flash(_("Paper %(serial)s is entered. A second person must now enter it again to "
                "confirm it.", serial=serial), "success")
    elif done.step == rules.AGREE:
        flash(_("Paper %(serial)s is confirmed: both entries agree, and it is recorded.",
                serial=serial), "success")
    else:
        flash(_("Paper %(serial)s: the two entries differ (“%(first)s” and “%(second)s”). A "
                "secretary will resolve it from the paper.", serial=serial,
                first=_said(done.other), second=_said(done.entry.option)), "warning")
    return redirect(url_for(".paper_desk", vote_id=vote.id))


def _said(option: str | None) -> str:
    return option_label(option) if option is not None else _("spoilt")


def _resolution_page(vote, item, form, status: int = 200):
    return render_template("votes/paper_resolve.html", vote=vote, topic=vote.topic,
                           dispute=item, form=form, said=_said), status


def _dispute_or_404(vote, paper_id: int):
    found = paper.paper_by_id(vote, paper_id)
    if found is None:
        abort(404)
    return next((d for d in paper.disputes(current_user, vote) if d.paper.id == found.id),
                None) or abort(404)


@bp.route("/votes/<int:vote_id>/papers/<int:paper_id>/resolve", methods=["GET", "POST"])
@login_required
def paper_resolve(vote_id: int, paper_id: int):
    vote = _vote_or_404(vote_id)
    if (r := check(current_user, "vote.paper_resolve", vote)) is not None:
        abort(403, r.message)
    item = _dispute_or_404(vote, paper_id)
    form = with_choices(PaperMarkForm(), vote.options, option_label)
    if request.method == "POST":
        if not form.validate_on_submit():
            return _resolution_page(vote, item, form, 422)
        option, spoilt, photo = _mark(form)
        try:
            paper.resolve(current_user, item.paper, option, spoilt=spoilt, photo=photo)
        except Refused as error:
            if error.forbidding:
                abort(403, error.message)
            unit_of_work.refused(error, form)
            return _resolution_page(vote, item, form, 409 if error.conflict else 422)
        flash(_("Paper %(serial)s is resolved and recorded.", serial=item.paper.serial),
              "success")
        return redirect(url_for(".paper_desk", vote_id=vote.id))
    return _resolution_page(vote, item, form)


@bp.route("/paper-photos/<int:entry_id>")
@login_required
def paper_photo(entry_id: int):
    try:
        path, mimetype = paper.photo_of(current_user, entry_id)
    except Refused as error:
        abort(error.status, error.message)
    response = send_file(path, mimetype=mimetype, as_attachment=False, max_age=0,
                         conditional=False, etag=False)
    response.headers["Content-Disposition"] = "inline"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
