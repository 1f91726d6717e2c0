"""Topic pages: list and search, proposing, co-signing, review, following."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from consult import unit_of_work
from consult.community.queries import community_names, community_tree
from consult.extensions import db
from consult.pagecache import for_visitors
from consult.permissions import check
from consult.topics import lifecycle, queries, service
from consult.topics.forms import (
    CATEGORY_LABELS, SORTS, AcceptForm, CloseCommentsForm, NewEndForm, ProposalForm, ReasonForm,
    TopicFilterForm,
)
from consult.topics.lifecycle import STAGE_LABELS, Stage
from consult.refusals import Refused
from consult.topics.models import Topic
from consult.http import is_htmx

bp = Blueprint("topics", __name__)
# "Show more comments" without JavaScript renders all pages so far; this bounds that page.
MAX_COMMENT_PAGES = 40


class _CategoryLabels(dict):
    """CATEGORY_LABELS for one page, each translated once however many topics show it (as
    the lazy string renders: unescaped)."""

    def __missing__(self, key):
        value = self[key] = Markup(str(CATEGORY_LABELS[key]))
        return value


def _stage_labels():
    """lifecycle.stage_label for one page, each stage translated once."""
    seen: dict = {}

    def stage_label(stage) -> str:
        try:
            return seen[stage]
        except KeyError:
            value = seen[stage] = lifecycle.stage_label(stage)
            return value

    return stage_label


@bp.app_context_processor
def _topic_helpers():
    return {"stage_label": _stage_labels(), "category_labels": _CategoryLabels()}


def _topic_or_404(topic_id: int) -> Topic:
    topic = queries.topic_for_page(topic_id)
    if topic is None:
        abort(404)
    if topic.stage == Stage.DRAFT.value and (
            not current_user.is_authenticated or topic.proposer_id != current_user.id):
        abort(404)  # a draft is its author's alone
    return topic


def _to_topic(topic: Topic, anchor: str = ""):
    return redirect(url_for(".show", topic_id=topic.id) + (f"#{anchor}" if anchor else ""))


@bp.route("/topics")
@for_visitors
def index():
    form = TopicFilterForm(request.args)
    communities = community_names()
    form.stage.choices = [("", _("All stages"))] + [
        (s.value, str(STAGE_LABELS[s])) for s in lifecycle.PUBLIC_STAGES_ORDERED]
    form.category.choices = [("", _("All categories"))] + [
        (k, str(v)) for k, v in CATEGORY_LABELS.items()]
    form.community.choices = [("", _("All communities"))] + [
        (str(cid), name) for cid, name in communities]
    community_id = request.args.get("community", type=int)
    tree = community_tree(community_id) if community_id else None
    areas = _area_choices(tree)
    area = request.args.get("area", "")
    if area not in {value for value, _label in areas}:
        area = ""
    sort = request.args.get("sort", "newest")
    result = queries.list_topics(current_user, queries.TopicFilter(
        q=(form.q.data or "")[:100], stage=form.stage.data or "",
        category=form.category.data or "", community_id=tree.id if tree else None, area=area,
        sort=sort if sort in SORTS else "newest", page=request.args.get("page", 1, type=int),
    ))
    drafts = queries.drafts_of(current_user) if current_user.is_authenticated else []
    chips = _filter_chips(form, areas, area)
    return render_template(
        "topics/index.html", form=form, result=result, areas=areas, area=area, drafts=drafts,
        chips=chips, cards_key=("topic_cards", tuple(result.topics)),  # equal cards read alike
        # The filters show what was asked (the arguments), the choices and the total.
        filters_key=("topic_filters", tuple(request.args.items(multi=True)), tuple(areas),
                     area, tuple(communities), result.total))


def _filter_chips(form: TopicFilterForm, areas, area: str) -> list[dict]:
    """The filters in force, each with the list's address without it: shown beside the folded
    filter form so a reader sees what narrows the list without opening it."""
    args = request.args.to_dict()
    args.pop("page", None)
    shown = {
        "q": (form.q.label.text, (form.q.data or "").strip()),
        "stage": (form.stage.label.text, dict(form.stage.choices).get(form.stage.data or "")),
        "category": (form.category.label.text,
                     dict(form.category.choices).get(form.category.data or "")),
        "community": (form.community.label.text,
                      dict(form.community.choices).get(form.community.data or "")),
        "area": (_("Area"), dict(areas).get(area) if area else ""),
        "sort": (form.sort.label.text, dict(form.sort.choices).get(form.sort.data)
                 if form.sort.data and form.sort.data != "newest" else ""),
    }
    chips = []
    for key, (label, value) in shown.items():
        if key in args and args[key] and value:
            rest = {k: v for k, v in args.items() if k != key}
            chips.append({"key": key, "label": label, "value": value,
                          "remove_url": url_for("topics.index", **rest)})
    return chips


def _area_choices(tree) -> list[tuple[str, str]]:
    choices = [("", _("Everywhere"))]
    if current_user.is_authenticated:
        choices.append(("mine", _("Concerning my home")))
    if tree is not None:
        choices.append(("community", _("Whole-community topics")))
        for grid in tree.grids:
            choices.append((f"grid:{grid.id}", grid.name))
            choices += [(f"building:{b.id}", f"{grid.name} {b.name}") for b in grid.buildings]
    return choices


def _proposal_form(topic: Topic | None = None) -> tuple[ProposalForm, list]:
    form = ProposalForm(obj=topic) if request.method == "GET" and topic else ProposalForm()
    options = service.scopes_for(current_user)
    form.scope.choices = [(scope.key, label) for scope, label in options]
    if request.method == "GET" and topic is not None:
        form.scope.data = service.scope_of_topic(topic).key
    return form, options


@bp.route("/topics/new", methods=["GET", "POST"])
@login_required
def new():
    return _edit(None)


@bp.route("/topics/<int:topic_id>/edit", methods=["GET", "POST"])
@login_required
def edit(topic_id: int):
    topic = _topic_or_404(topic_id)
    if (r := check(current_user, "topic.edit_draft", topic)) is not None:
        abort(403, r.message)
    if topic.stage != Stage.DRAFT.value:
        flash(_("Only a draft can be edited; this proposal is already public."), "error")
        return _to_topic(topic)
    return _edit(topic)


def _edit(topic: Topic | None):
    form, options = _proposal_form(topic)
    if not options:
        # Nobody may propose without a verified home; say so instead of an empty form.
        refusal = check(current_user, "topic.propose")
        return render_template("topics/edit.html", form=None, topic=topic,
                               refusal=refusal.message if refusal else None), 403
    if request.method == "POST" and form.validate():
        publish = request.form.get("action") == "submit"
        try:
            saved = service.save_draft(
                current_user, title=form.title.data or "", description=form.description.data or "",
                category=form.category.data or "", scope_key=form.scope.data or "", topic=topic)
            if publish:
                service.submit(current_user, saved)
        except Refused as error:
            unit_of_work.refused(error, form, top="form")
        else:
            flash(_("Your proposal is public. Residents of its area can now co-sign it.")
                  if publish else _("Draft saved. Only you can see it."), "success")
            return _to_topic(saved)
    return render_template("topics/edit.html", form=form, topic=topic, refusal=None)


@bp.route("/topics/<int:topic_id>")
@for_visitors
def show(topic_id: int):
    from consult.topics import comments  # the comment section's rules
    from consult.topics.from_reception import reception_of_topic
    from consult.votes import service as vote_service
    from consult.outcomes.views import topic_context

    topic = _topic_or_404(topic_id)
    sort = comments.normalise_sort(request.args.get("sort"))
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_COMMENT_PAGES)
    if is_htmx() and request.args.get("fragment") == "comments":  # "Show more comments"
        return render_template("topics/_comment_page.html", topic=topic, thread=comments.thread(
            current_user, topic, sort, pages=page, first_page=page))
    thread = comments.thread(current_user, topic, sort, pages=page)
    outcome = topic_context(topic, current_user)  # the outcome (issue 6)
    vote = vote_service.latest_vote(topic.id)
    model = queries.topic_page(
        current_user, topic, me=queries.viewer_state(current_user, topic.id), thread=thread,
        outcome=outcome["outcome"], vote=vote,
        can_open_vote=vote_service.may_open_vote(current_user, topic))
    return render_template(
        "topics/topic.html", topic=topic, sort=sort, page=model,
        steps=topic.stage_changes, audit=queries.audit_entries(topic.id),
        audit_labels=queries.AUDIT_LABELS, anonymous_actions=queries.ANONYMOUS_AUDIT_ACTIONS,
        thread=thread, accept_form=AcceptForm(), reason_form=ReasonForm(),
        close_form=CloseCommentsForm(formdata=None, prefix="close"),
        extend_form=NewEndForm(formdata=None, prefix="extend"),
        topic_meetings=_halls_section(topic.id), vote=vote,
        reception=reception_of_topic(topic.id), **outcome,
    )


def _halls_section(topic_id: int):
    from consult.halls.queries import topic_meetings  # the deliberation meetings (issue 4)

    return topic_meetings(topic_id)


def _act(topic_id: int, action, success: str):
    topic = _topic_or_404(topic_id)
    try:
        action(topic)
    except Refused as error:
        unit_of_work.refused(error)
    else:
        flash(success, "success")
    return _to_topic(topic)


@bp.route("/topics/<int:topic_id>/submit", methods=["POST"])
@login_required
def submit(topic_id: int):
    return _act(topic_id, lambda t: service.submit(current_user, t),
                _("Your proposal is public. Residents of its area can now co-sign it."))


@bp.route("/topics/<int:topic_id>/cosign", methods=["POST"])
@login_required
def cosign(topic_id: int):
    if request.form.get("action") == "withdraw":
        return _act(topic_id, lambda t: service.withdraw_cosignature(current_user, t),
                    _("Your co-signature is withdrawn."))
    return _act(topic_id, lambda t: service.cosign(current_user, t),
                _("Thank you: you co-signed this proposal."))


@bp.route("/topics/<int:topic_id>/withdraw", methods=["POST"])
@login_required
def withdraw(topic_id: int):
    form = ReasonForm()
    return _act(topic_id, lambda t: service.withdraw(current_user, t, form.reason.data or ""),
                _("The topic is withdrawn."))


@bp.route("/topics/<int:topic_id>/accept", methods=["POST"])
@login_required
def accept(topic_id: int):
    form = AcceptForm()
    if not form.validate():
        topic = _topic_or_404(topic_id)
        for message in form.days.errors:
            flash(str(message), "error")
        return _to_topic(topic, "review")
    return _act(topic_id, lambda t: service.accept(current_user, t, form.days.data),
                _("Accepted. Residents can now comment."))


@bp.route("/topics/<int:topic_id>/reject", methods=["POST"])
@login_required
def reject(topic_id: int):
    form = ReasonForm()
    return _act(topic_id, lambda t: service.reject(current_user, t, form.reason.data or ""),
                _("The proposal is rejected; the reason is shown on the topic page."))


@bp.route("/topics/<int:topic_id>/deliberate", methods=["POST"])
@login_required
def deliberate(topic_id: int):
    return _act(topic_id, lambda t: service.move_to_deliberation(current_user, t),
                _("The topic moved to deliberation."))


@bp.route("/topics/<int:topic_id>/comment-period/close", methods=["POST"])
@login_required
def close_comments(topic_id: int):
    topic = _topic_or_404(topic_id)
    form = CloseCommentsForm(prefix="close")
    try:
        service.close_comments_early(current_user, topic, form.reason.data or "")
    except Refused as error:
        return _period_form_page(topic, error, form, [form.reason], ".close_comments",
                                 _("Close the comment period early"))
    flash(_("The comment period is closed; the reason is shown in the timeline."), "success")
    return _to_topic(topic)


@bp.route("/topics/<int:topic_id>/comment-period/extend", methods=["POST"])
@login_required
def extend_comments(topic_id: int):
    topic = _topic_or_404(topic_id)
    form = NewEndForm(prefix="extend")
    try:
        service.extend_comments(current_user, topic, form.until(), form.reason.data or "")
    except Refused as error:
        return _period_form_page(topic, error, form, [form.day, form.time, form.reason],
                                 ".extend_comments", _("Extend the comment period"))
    flash(_("The comment period is extended; the reason is shown in the timeline."), "success")
    return _to_topic(topic)


def _period_form_page(topic: Topic, error: Refused, form, fields, endpoint: str, title: str):
    """The refused form on a page of its own, what was typed kept and the error next to its
    field; 403 for someone who may not run the topic."""
    unit_of_work.refused(error, form, top="form")
    status = 403 if check(current_user, "topic.manage", topic) is not None else 422
    return render_template("outcomes/form.html", topic=topic, form=form, fields=fields,
                           action=url_for(endpoint, topic_id=topic.id), title=title,
                           submit=title, intro=""), status


@bp.route("/topics/<int:topic_id>/follow", methods=["POST"])
@login_required
def follow(topic_id: int):
    if request.form.get("action") == "unfollow":
        return _act(topic_id, lambda t: service.unfollow(current_user, t),
                    _("You no longer follow this topic."))
    return _act(topic_id, lambda t: service.follow(current_user, t),
                _("You follow this topic and will be notified of what happens."))


@bp.route("/reception-records/<int:record_id>/topic", methods=["POST"])
@login_required
def from_reception(record_id: int):
    """A representative turns a matter raised at their reception into a topic proposal."""
    from consult.studios.models import ReceptionRecord
    from consult.topics.from_reception import AS_RESIDENT, propose_from_reception

    rec = db.session.get(ReceptionRecord, record_id) or abort(404)
    session_id = rec.reservation.session_id
    proposer = request.form.get("proposer", "")
    try:
        topic = propose_from_reception(current_user, rec, proposer)
    except Refused as error:
        unit_of_work.refused(error)
        return redirect(url_for("studios.session", session_id=session_id,
                                _anchor=f"reservation-{rec.reservation_id}"))
    flash(_("A draft proposal is ready for the resident to confirm and submit.")
          if proposer == AS_RESIDENT else
          _("The proposal is public. Residents can now co-sign it."), "success")
    return _to_topic(topic) if proposer != AS_RESIDENT else redirect(
        url_for("studios.session", session_id=session_id,
                _anchor=f"reservation-{rec.reservation_id}"))
