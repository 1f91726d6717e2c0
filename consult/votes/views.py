"""Vote pages: opening a vote, casting, receipts, the result and its downloads."""
from __future__ import annotations

import threading
from collections import OrderedDict

from flask import (
    Blueprint, abort, flash, make_response, redirect, render_template, request, url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from consult import unit_of_work, written
from consult.clock import local_to_utc, to_local, utcnow
from consult.charts import bar_chart
from consult.csvfiles import csv_response
from consult.extensions import db
from consult.pagecache import for_visitors
from consult.permissions import check, may
from consult.ratelimits import ballot_limit
from consult.refusals import Refused
from consult.topics.models import Topic
from consult.votes import paper, proxies, rules, service
from consult.votes.forms import BallotForm, CancelVoteForm, OpenVoteForm
from consult.votes.labels import CHANNEL_LABELS, ELECTORATE_LABELS, RULE_LABELS, option_label
from consult.votes.models import Vote
from consult.votes.proxy_forms import GrantProxyForm
from consult.votes.tally import YES_NO_OPTIONS

bp = Blueprint("votes", __name__)


@bp.app_context_processor
def _vote_helpers():
    return {"option_label": option_label, "rule_labels": RULE_LABELS,
            "electorate_labels": ELECTORATE_LABELS, "channel_labels": CHANNEL_LABELS,
            "bar_chart": bar_chart}


# The minutes give options as the secretary typed them; these words mean the standard three.
_YES_NO_WORDS = {"agree": {"agree", "同意", "赞成"}, "oppose": {"oppose", "反对", "不同意"},
                 "abstain": {"abstain", "弃权"}}


def is_yes_no(options: list[str]) -> bool:
    """Are the minutes' options just agree / oppose / abstain, in whatever words?"""
    words = [o.strip().lower() for o in options]
    return len(words) == 3 and all(
        any(w in _YES_NO_WORDS[key] for w in words) for key in YES_NO_OPTIONS)


@bp.route("/topics/<int:topic_id>/votes/new", methods=["GET", "POST"])
@login_required
def open_vote(topic_id: int):
    topic = db.session.get(Topic, topic_id) or abort(404)
    if (r := check(current_user, "topic.manage", topic)) is not None:
        abort(403, r.message)
    form = OpenVoteForm()
    form.scope.choices = service.scope_choices(topic)
    resolution = service.vote_resolution_of(topic)
    settings = service.vote_settings(topic)
    if request.method == "GET":
        opens, closes = rules.default_times(form.rule.data, utcnow(), settings)
        form.opens_at.data = to_local(opens).replace(tzinfo=None)
        form.closes_at.data = to_local(closes).replace(tzinfo=None)
        if resolution is not None:
            form.question.data = getattr(resolution, "question", "") or ""
            options = list(getattr(resolution, "options", None) or [])
            if options and not is_yes_no(options):
                form.kind.data = "choice"
                form.options.data = "\n".join(options)
    if request.method == "POST" and form.validate_on_submit():
        options = (YES_NO_OPTIONS if form.kind.data != "choice"
                   else tuple((form.options.data or "").splitlines()))
        spec = service.VoteSpec(
            question=form.question.data or "", electorate=form.electorate.data or "",
            rule=form.rule.data or "", scope_key=form.scope.data or "",
            opens_at=local_to_utc(form.opens_at.data), closes_at=local_to_utc(form.closes_at.data),
            options=options, quorum_percent=form.quorum_percent.data, secret=form.secret.data)
        try:
            vote = service.open_vote(current_user, topic, spec)
        except Refused as error:
            unit_of_work.refused(error, form, top="form")
        else:
            if vote.is_open(utcnow()):
                flash(_("The vote is open. Its list of electors is being prepared; they can "
                        "vote once it is ready."), "success")
            else:
                flash(_("The vote is announced. Its list of electors is being prepared."),
                      "success")
            return redirect(url_for(".show", vote_id=vote.id))
    return render_template("votes/open.html", topic=topic, form=form, settings=settings,
                           has_resolution=resolution is not None), \
        200 if request.method == "GET" or not form.errors else 422


def _vote_or_404(vote_id: int) -> Vote:
    # With its topic (every vote page shows it) in the same statement, unless this request
    # has the vote already.
    return db.session.get(Vote, vote_id, options=[joinedload(Vote.topic)]) or abort(404)


@bp.route("/votes/<int:vote_id>")
@for_visitors
def show(vote_id: int):
    return render_vote(_vote_or_404(vote_id))


@bp.route("/votes/<int:vote_id>/preparing")
def preparing(vote_id: int):
    """The progress of freezing the vote's electorate, a fragment its page polls (htmx) while
    the vote is being prepared; once the vote is ready it tells htmx to reload the page."""
    vote = _vote_or_404(vote_id)
    response = make_response(render_template("votes/_preparing.html", vote=vote))
    response.headers["Cache-Control"] = "no-store"
    if vote.ready or vote.cancelled:
        response.headers["HX-Refresh"] = "true"
    return response


KEPT_RESULTS = 128  # rendered results kept per worker (each a few KB; a big estate's ~60 KB)
_kept_results: OrderedDict[tuple, Markup] = OrderedDict()
_kept_lock = threading.Lock()  # threaded servers: one reader may evict what another reads


def result_html(vote: Vote, result: dict) -> Markup:
    """The result section of a tallied vote's page (templates/votes/_result.html). Once the
    result and its figures are stored they never change, so the section is rendered once per
    language and kept (the last :data:`KEPT_RESULTS`); a result still counted from the ballots
    (:func:`service.result_of` before the close is stored) is rendered every time."""
    key = (written.database(), request.script_root, vote.id, vote.tallied_at, str(get_locale()))
    # Only a final result is ever kept, and a final result stays as it is: a kept one is
    # served without reading the (large, deferred) stored figures.
    with _kept_lock:
        if (html := _kept_results.get(key)) is not None:
            _kept_results.move_to_end(key)
            return html
    html = Markup(render_template(
        "votes/_result.html", vote=vote, result=result,
        by_building=service.turnout_by_building(vote), channels=paper.channel_counts(vote)))
    if service.closed_figures(vote) is not None:  # stored with the result: final
        with _kept_lock:
            _kept_results[key] = html
            while len(_kept_results) > KEPT_RESULTS:
                _kept_results.popitem(last=False)
    return html


def render_vote(vote: Vote, status: int = 200, **forms):
    """The vote's page; a form given in ``forms`` (one refused, with its errors) replaces the
    blank one of the same name."""
    now = utcnow()
    result = service.result_of(vote, now)
    form = forms.pop("form", None) or BallotForm()
    form.option.choices = [(o, option_label(o)) for o in vote.options]
    mine = service.my_ballots(current_user, vote)
    eligible = bool(mine) or bool(service.electors_of(current_user, vote))
    managing = may(current_user, "topic.manage", vote.topic)
    is_open = vote.is_open(now) and vote.ready  # no ballot form while it is being prepared
    extra = proxies.page_context(current_user, vote, now, mine, eligible)
    grant_form = forms.pop("grant_form", None) or GrantProxyForm(formdata=None)
    grant_form.elector.choices = [(str(e.id), e.units_label or _("your vote"))
                                  for e in extra["grant_electors"]]
    return render_template(
        "votes/vote.html", vote=vote, topic=vote.topic, result=result, form=form, mine=mine,
        eligible=eligible, refusal=service.cast_refusal(current_user, vote, now),
        turnout=service.turnout(vote) if result is None else None, is_open=is_open,
        announced=vote.is_announced(now),
        may_cancel=service.vote_may_be_cancelled(vote.topic, {"vote": vote}) is None
        and check(current_user, "topic.manage", vote.topic) is None,
        counting=result is None and vote.is_closed(now),
        result_html=result_html(vote, result) if result is not None else None,
        receipt=request.args.get("receipt"),
        paper_progress=paper.progress(vote) if managing else None,
        grant_form=grant_form, **extra, **forms), status


@bp.route("/votes/<int:vote_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(vote_id: int):
    """A secretary cancels an announced or open vote, with a public reason."""
    vote = _vote_or_404(vote_id)
    if (r := check(current_user, "topic.manage", vote.topic)) is not None:
        abort(403, r.message)
    form = CancelVoteForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            service.cancel_vote(current_user, vote, form.reason.data)
        except Refused as error:
            unit_of_work.refused(error, form, top="form")
        else:
            flash(_("The vote is cancelled. A new vote may be opened on the topic."), "success")
            return redirect(url_for(".show", vote_id=vote.id))
    refusal = service.vote_may_be_cancelled(vote.topic, {"vote": vote})
    return render_template("votes/cancel.html", vote=vote, topic=vote.topic, form=form,
                           refusal=refusal), \
        200 if request.method == "GET" or not form.errors else 422


@bp.route("/votes/<int:vote_id>/ballot", methods=["POST"])
@login_required
@ballot_limit
def cast(vote_id: int):
    vote = _vote_or_404(vote_id)
    form = BallotForm()
    form.option.choices = [(o, option_label(o)) for o in vote.options]
    if not form.validate_on_submit():
        flash(_("Choose one of the options."), "error")
        return redirect(url_for(".show", vote_id=vote.id))
    try:
        ballots = service.cast(current_user, vote, form.option.data,
                               replace_other=bool(form.replace_other.data))
    except Refused as error:
        if error.field == "replace_other":  # asked to confirm: the choice stays chosen
            unit_of_work.refused(error, form)
            return render_vote(vote, 409, form=form)
        unit_of_work.refused(error)
        return redirect(url_for(".show", vote_id=vote.id))
    flash(_("Your ballot is recorded. Keep your receipt code: %(codes)s",
            codes=", ".join(b.tracker for b in ballots)), "success")
    return redirect(url_for(".show", vote_id=vote.id, receipt=ballots[0].tracker))


@bp.route("/votes/<int:vote_id>/receipt")
def receipt(vote_id: int):
    vote = _vote_or_404(vote_id)
    code = request.args.get("code", "")[:20]
    ballot = service.find_receipt(vote, code) if code else None
    return render_template("votes/receipt.html", vote=vote, code=code, ballot=ballot,
                           closed=vote.is_closed(utcnow()))


def _closed_result(vote: Vote) -> dict:
    result = service.result_of(vote)
    if result is None:
        abort(404)
    return result


@bp.route("/votes/<int:vote_id>/result.csv")
def result_csv(vote_id: int):
    vote = _vote_or_404(vote_id)
    result = _closed_result(vote)
    rows = [(option_label(o), n, result["areas"].get(o, "0")) for o, n in result["votes"].items()]
    rows += [(_("Total electorate"), result["headcount_total"], result["area_total"]),
             (_("Took part"), result["headcount_participating"], result["area_participating"]),
             (_("Valid"), _("yes") if result["valid"] else _("no"), ""),
             (_("Passed"), "" if result["passed"] is None else
              (_("yes") if result["passed"] else _("no")), "")]
    rows += [(sentence, "", "") for sentence in result["sentences"]]
    rows += [(_("Ballots by channel: %(channel)s", channel=CHANNEL_LABELS[c]), n, "")
             for c, n in paper.channel_counts(vote).items()]
    return csv_response(f"vote-{vote.id}-result.csv", [_("Option"), _("Ballots"), _("Area (m²)")],
                        rows)


@bp.route("/votes/<int:vote_id>/ballots.csv")
def ballots_csv(vote_id: int):
    vote = _vote_or_404(vote_id)
    _closed_result(vote)
    # Headers and values in the reader's language (the API's ballot list keeps the codes).
    return csv_response(f"vote-{vote.id}-ballots.csv",
                        [_("Receipt code"), _("Option"), _("Homes"), _("Channel")],
                        [(tracker, option_label(option), units,
                          CHANNEL_LABELS.get(channel, channel))
                         for tracker, option, units, channel in service.ballot_rows(vote)])
