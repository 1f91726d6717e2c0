"""Outcome pages: publishing, objections and answers, implementation, ratings, the outcomes
board (公示栏), its Atom feed and the community dashboard."""
from __future__ import annotations

from flask import (
    Blueprint, Response, abort, flash, redirect, render_template, request, url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from consult import unit_of_work
from consult.community.models import Community
from consult.extensions import db
from consult.outcomes import board as boards
from consult.outcomes import service
from consult.outcomes.forms import (
    STAR_LABELS, AnswerForm, DoneForm, ObjectionForm, PlanForm, ProgressForm, PublishForm,
    RatingForm,
)
from consult.outcomes.models import Objection, Outcome
from consult.pagecache import for_visitors
from consult.permissions import check
from consult.ratelimits import objection_limit
from consult.refusals import Refused
from consult.topics.forms import NewEndForm
from consult.topics.models import Topic
from consult.urls import public_root

bp = Blueprint("outcomes", __name__)


@bp.app_context_processor
def _outcome_helpers():
    return {"star_labels": STAR_LABELS, "transition_verb": _transition_verb}


def _transition_verb(name: str) -> str:
    from consult.topics.comments import TIMELINE_LABELS
    from consult.topics.lifecycle import TRANSITIONS

    t = TRANSITIONS.get(name)
    if t is None:
        return str(TIMELINE_LABELS.get(name, name))
    return str(t.verb)


def _topic(topic_id: int) -> Topic:
    topic = db.session.get(Topic, topic_id)
    if topic is None or topic.stage == "draft":
        abort(404)
    return topic


def _to_topic(topic: Topic, anchor: str = "outcome"):
    return redirect(url_for("topics.show", topic_id=topic.id, _anchor=anchor))


def _form_page(topic: Topic, form, fields, action: str, title: str, submit: str, status=422,
               intro: str = ""):
    """A page with one form, used when a form on the topic page is refused, so that what was
    typed is kept with the error next to it."""
    return render_template("outcomes/form.html", topic=topic, form=form, fields=fields,
                           action=action, title=title, submit=submit, intro=intro), status


# --- publishing -----------------------------------------------------------------------------

@bp.route("/topics/<int:topic_id>/outcome/new", methods=["GET", "POST"])
@login_required
def publish(topic_id: int):
    topic = _topic(topic_id)
    if (r := check(current_user, "topic.manage", topic)) is not None:
        abort(403, r.message)
    form = PublishForm()
    if request.method == "GET":
        draft = service.draft_decision(topic)
        form.decision.data = draft.decision
        form.act.data = "act" if draft.act else "none"
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                service.publish(current_user, topic, form.decision.data or "", form.days.data,
                                act=form.act.data != "none")
            except Refused as error:
                unit_of_work.refused(error, form, top="form")
            else:
                flash(_("The outcome is publicised."), "success")
                return _to_topic(topic)
        status = 422
    return _form_page(topic, form, [form.decision, form.act, form.days],
                      url_for(".publish", topic_id=topic.id), _("Publish the outcome"),
                      _("Publish the outcome"), status,
                      intro=_("Residents in scope may lodge objections during the publicity "
                              "window; the community office answers each publicly."))


# --- objections -----------------------------------------------------------------------------

@bp.route("/topics/<int:topic_id>/objections", methods=["POST"])
@login_required
@objection_limit
def object_(topic_id: int):
    topic = _topic(topic_id)
    form = ObjectionForm()
    try:
        service.lodge_objection(current_user, topic, form.objection.data or "")
    except Refused as error:
        unit_of_work.refused(error, form, top="form")
        return _form_page(topic, form, [form.objection],
                          url_for(".object_", topic_id=topic.id), _("Lodge an objection"),
                          _("Lodge the objection"), 403 if error.field is None else 422)
    flash(_("Your objection is lodged. The community office will answer it publicly."),
          "success")
    return _to_topic(topic, "objections")


@bp.route("/objections/<int:objection_id>/answer", methods=["POST"])
@login_required
def answer(objection_id: int):
    objection = db.session.get(Objection, objection_id) or abort(404)
    topic = db.session.get(Outcome, objection.outcome_id).topic
    form = AnswerForm(prefix=f"o{objection.id}")
    try:
        service.answer_objection(current_user, objection, form.answer.data or "",
                                 uphold=bool(form.uphold.data))
    except Refused as error:
        unit_of_work.refused(error, form, top="form")
        return _form_page(topic, form, [form.answer, form.uphold],
                          url_for(".answer", objection_id=objection_id),
                          _("Answer the objection"), _("Publish the answer"),
                          403 if error.field is None and check(
                              current_user, "topic.manage", topic) else 422,
                          intro=objection.body)
    flash(_("The objection is upheld; the topic goes back to deliberation.") if form.uphold.data
          else _("The answer is published."), "success")
    return _to_topic(topic, f"objection-{objection.id}")


@bp.route("/topics/<int:topic_id>/outcome/publicity", methods=["POST"])
@login_required
def extend_publicity(topic_id: int):
    topic = _topic(topic_id)
    form = NewEndForm(prefix="publicity")
    try:
        service.extend_publicity(current_user, topic, form.until(), form.reason.data or "")
    except Refused as error:
        unit_of_work.refused(error, form, top="form")
        return _form_page(topic, form, [form.day, form.time, form.reason],
                          url_for(".extend_publicity", topic_id=topic.id),
                          _("Extend the publicity window"), _("Extend"),
                          403 if check(current_user, "topic.manage", topic) else 422)
    flash(_("The publicity window is extended; the reason is shown in the timeline."),
          "success")
    return _to_topic(topic)


# --- implementation ---------------------------------------------------------------------------

@bp.route("/topics/<int:topic_id>/implementation/plan", methods=["POST"])
@login_required
def plan(topic_id: int):
    topic = _topic(topic_id)
    form = PlanForm()
    form.validate()  # a date that does not parse is reported by the rules as missing
    try:
        service.plan(current_user, topic, form.responsible.data or "", form.target_date.data)
    except Refused as error:
        unit_of_work.refused(error, form, top="form")
        return _form_page(topic, form, [form.responsible, form.target_date],
                          url_for(".plan", topic_id=topic.id), _("Implementation plan"),
                          _("Save the plan"), 403 if error.field is None else 422)
    flash(_("The implementation plan is saved."), "success")
    return _to_topic(topic, "implementation")


@bp.route("/topics/<int:topic_id>/implementation/progress", methods=["POST"])
@login_required
def progress(topic_id: int):
    topic = _topic(topic_id)
    form = ProgressForm()
    form.validate()
    try:
        service.post_progress(current_user, topic, form.progress.data or "", form.percent.data)
    except Refused as error:
        unit_of_work.refused(error, form, top="form")
        return _form_page(topic, form, [form.progress, form.percent],
                          url_for(".progress", topic_id=topic.id), _("Post progress"),
                          _("Post progress"), 403 if error.field is None else 422)
    flash(_("The progress update is posted; followers are notified."), "success")
    return _to_topic(topic, "implementation")


@bp.route("/topics/<int:topic_id>/implementation/done", methods=["POST"])
@login_required
def done(topic_id: int):
    topic = _topic(topic_id)
    form = DoneForm()
    try:
        service.mark_done(current_user, topic, form.note.data or "")
    except Refused as error:
        unit_of_work.refused(error)
        return _to_topic(topic, "implementation")
    flash(_("The implementation is marked done. Residents can now rate it."), "success")
    return _to_topic(topic, "implementation")


# --- ratings ----------------------------------------------------------------------------------

@bp.route("/topics/<int:topic_id>/rating", methods=["POST"])
@login_required
def rate(topic_id: int):
    topic = _topic(topic_id)
    form = RatingForm()
    try:
        stars = int(form.stars.data) if (form.stars.data or "").isdigit() else None
        service.rate(current_user, topic, stars, form.comment.data or "")
    except Refused as error:
        unit_of_work.refused(error, form, top="form")
        return _form_page(topic, form, [form.stars, form.comment],
                          url_for(".rate", topic_id=topic.id), _("Rate the implementation"),
                          _("Save my rating"), 403 if error.field is None else 422)
    flash(_("Thank you: your rating is saved."), "success")
    return _to_topic(topic, "ratings")


# --- the board, the feed, the dashboard -------------------------------------------------------

def _community(community_id: int) -> Community:
    return db.session.get(Community, community_id) or abort(404)


@bp.route("/communities/<int:community_id>/outcomes")
@for_visitors
def board(community_id: int):
    community = _community(community_id)
    return render_template("outcomes/board.html", community=community,
                           entries=boards.entries(community.id))


@bp.route("/communities/<int:community_id>/outcomes.atom")
def feed(community_id: int):
    community = _community(community_id)
    body = boards.atom(community, boards.entries(community.id, limit=50), public_root())
    return Response(body, mimetype="application/atom+xml")


@bp.route("/communities/<int:community_id>/dashboard")
@for_visitors
def dashboard(community_id: int):
    from consult.outcomes import dashboard as dash

    community = _community(community_id)
    return render_template("outcomes/dashboard.html", community=community,
                           charts=dash.charts(community.id))


def topic_context(topic: Topic, user) -> dict:
    """What templates/outcomes/_topic_section.html needs, for the topic page's ``show()``:
    a fixed number of queries."""
    s = service.section(user, topic)
    o = s.outcome
    rating_form = RatingForm(formdata=None)
    if s.my_rating is not None:
        rating_form.stars.data = str(s.my_rating.stars)
        rating_form.comment.data = s.my_rating.comment
    plan_form = PlanForm(formdata=None)
    if o is not None:
        plan_form.responsible.data = o.responsible
        plan_form.target_date.data = o.target_date
    return {"outcome": s, "objection_form": ObjectionForm(formdata=None),
            "plan_form": plan_form, "progress_form": ProgressForm(formdata=None),
            "done_form": DoneForm(formdata=None), "rating_form": rating_form,
            "publicity_form": NewEndForm(formdata=None, prefix="publicity"),
            "answer_form": lambda ob: AnswerForm(formdata=None, prefix=f"o{ob.id}")}
