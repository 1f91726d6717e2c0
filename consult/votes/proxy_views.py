"""Proxy pages (委托投票): an owner authorises and revokes, the proxy accepts and votes, a
secretary records signed paper authorisations and reads their scans. The forms live on the
vote's page (templates/votes/_proxies.html); the secretaries' list has its own page."""
from __future__ import annotations

import os

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from consult import unit_of_work
from consult.accounts.identity import mask_phone
from consult.accounts.forms import EmptyForm
from consult.extensions import db
from consult.permissions import check
from consult.ratelimits import ballot_limit
from consult.refusals import Refused
from consult.votes import proxies, service
from consult.votes.labels import option_label
from consult.votes.models import Elector, Vote, VoteProxy
from consult.votes.proxy_forms import GrantProxyForm, PaperProxyForm, ProxyBallotForm
from consult.votes.views import render_vote

bp = Blueprint("vote_proxies", __name__)


@bp.app_context_processor
def _proxy_helpers():
    return {"mask_phone": mask_phone}


def _vote_or_404(vote_id: int) -> Vote:
    return db.session.get(Vote, vote_id) or abort(404)


def _proxy_or_404(vote: Vote, proxy_id: int) -> VoteProxy:
    proxy = db.session.get(VoteProxy, proxy_id)
    if proxy is None or proxy.vote_id != vote.id:
        abort(404)
    return proxy


def _back(vote: Vote):
    return redirect(url_for("votes.show", vote_id=vote.id) + "#proxies")


def _chosen(electors: list[Elector], value) -> Elector | None:
    if len(electors) == 1 and not value:
        return electors[0]
    return next((e for e in electors if str(e.id) == str(value or "")), None)


@bp.route("/votes/<int:vote_id>/proxies", methods=["POST"])
@login_required
def grant(vote_id: int):
    vote = _vote_or_404(vote_id)
    form = GrantProxyForm()
    if not form.validate_on_submit():
        return render_vote(vote, 422, grant_form=form)
    electors = service.electors_of(current_user, vote)
    if not electors:
        abort(403, _("Only an owner of these homes, on the list of voters of this vote, may do "
                     "this."))
    elector = _chosen(electors, form.elector.data)
    try:
        if elector is None:
            raise Refused(_("Choose the homes your proxy votes for."), "elector")
        proxy, replaced, known = proxies.grant(current_user, vote, elector, form.name.data or "",
                                               form.phone.data or "")
    except Refused as error:
        unit_of_work.refused(error, form)
        if error.forbidding:
            abort(403, error.message)
        if error.field in ("name", "phone", "elector"):
            return render_vote(vote, 422, grant_form=form)
        return _back(vote)
    if replaced is not None:
        flash(_("Your authorisation of %(old)s is replaced by this one: %(old)s may no longer "
                "vote for you.", old=replaced.proxy_name), "info")
    if known:
        flash(_("%(name)s has an account: they see your request when they log in and vote for "
                "you once they accept it.", name=proxy.proxy_name), "success")
    else:
        flash(_("No account uses this phone number, so %(name)s is not told anything by this "
                "site: tell them yourself. Once they register with this number they can accept "
                "and vote for you.", name=proxy.proxy_name), "success")
    return _back(vote)


def _button(vote_id: int, proxy_id: int, run, done: str):
    vote = _vote_or_404(vote_id)
    proxy = _proxy_or_404(vote, proxy_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        run(current_user, proxy)
    except Refused as error:
        unit_of_work.refused(error)
        if error.forbidding:
            abort(403, error.message)
        return _back(vote)
    flash(done, "success")
    return _back(vote)


@bp.route("/votes/<int:vote_id>/proxies/<int:proxy_id>/accept", methods=["POST"])
@login_required
def accept(vote_id: int, proxy_id: int):
    return _button(vote_id, proxy_id, proxies.accept,
                   _("You accepted: you may now vote for these homes."))


@bp.route("/votes/<int:vote_id>/proxies/<int:proxy_id>/revoke", methods=["POST"])
@login_required
def revoke(vote_id: int, proxy_id: int):
    return _button(vote_id, proxy_id, proxies.revoke, _("The authorisation is withdrawn."))


@bp.route("/votes/<int:vote_id>/proxies/<int:proxy_id>/ballot", methods=["POST"])
@login_required
@ballot_limit
def cast(vote_id: int, proxy_id: int):
    vote = _vote_or_404(vote_id)
    proxy = _proxy_or_404(vote, proxy_id)
    form = ProxyBallotForm()
    form.option.choices = [(o, option_label(o)) for o in vote.options]
    if not form.validate_on_submit() or not form.option.data:
        flash(_("Choose one of the options."), "error")
        return _back(vote)
    try:
        ballot = proxies.cast(current_user, proxy, form.option.data)
    except Refused as error:
        unit_of_work.refused(error)
        if error.forbidding:
            abort(403, error.message)
        return _back(vote)
    flash(_("Your ballot for %(units)s is recorded. Receipt: %(code)s",
            units=proxy.elector.units_label, code=ballot.tracker), "success")
    return _back(vote)


def _secretary_vote(vote_id: int) -> Vote:
    vote = _vote_or_404(vote_id)
    if (r := check(current_user, "vote.proxy_record", vote)) is not None:
        abort(403, r.message)
    return vote


def _elector_choices(vote: Vote) -> list[tuple[str, str]]:
    rows = db.session.execute(db.select(Elector.id, Elector.units_label, Elector.key)
                              .where(Elector.vote_id == vote.id).order_by(Elector.id)).all()
    return [(str(i), label or key) for i, label, key in rows]


@bp.route("/votes/<int:vote_id>/proxies/paper", methods=["GET", "POST"])
@login_required
def paper(vote_id: int):
    vote = _secretary_vote(vote_id)
    form = PaperProxyForm()
    form.elector.choices = _elector_choices(vote)
    status = 200
    if form.validate_on_submit():
        elector = db.session.get(Elector, int(form.elector.data)) \
            if (form.elector.data or "").isdigit() else None
        upload = form.scan.data
        scan = upload.read(proxies.scan_max() + 1) if upload and upload.filename else None
        try:
            if elector is None or elector.vote_id != vote.id:
                raise Refused(_("Choose one of the homes of this vote."), "elector")
            proxy, replaced = proxies.record_paper(
                current_user, vote, elector, form.name.data or "", form.phone.data or "",
                form.reference.data or "", scan)
        except Refused as error:
            unit_of_work.refused(error, form, top="form")
            if error.forbidding:
                abort(403, error.message)
            status = 422
        else:
            if replaced is not None:
                flash(_("The earlier authorisation of %(old)s for these homes is replaced.",
                        old=replaced.proxy_name), "info")
            flash(_("Recorded: %(name)s may vote for %(units)s.", name=proxy.proxy_name,
                    units=elector.units_label), "success")
            return redirect(url_for(".paper", vote_id=vote.id))
    elif form.is_submitted():
        status = 422
    rows = proxies.of_vote(vote)
    return render_template("votes/proxies.html", vote=vote, form=form, rows=rows,
                           voted=proxies.voted(rows)), status


@bp.route("/votes/<int:vote_id>/proxies/<int:proxy_id>/scan")
@login_required
def scan(vote_id: int, proxy_id: int):
    vote = _vote_or_404(vote_id)
    proxy = _proxy_or_404(vote, proxy_id)
    try:
        path, mimetype = proxies.scan_file(current_user, proxy)
    except Refused as error:
        abort(403 if error.forbidding else 404, error.message)
    if not os.path.isfile(path):
        abort(404)
    response = send_file(path, mimetype=mimetype, as_attachment=True,
                         download_name=f"proxy-{proxy.id}-scan.{path.rsplit('.', 1)[-1]}")
    response.headers["Cache-Control"] = "private, no-store"
    return response
