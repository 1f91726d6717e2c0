"""Comment pages and actions (公开征求意见). Every action works twice over:

* as a plain form post (JavaScript off): success redirects back to the comment on the topic
  page with a flash; a refusal of typed text re-renders the form (with the error and the text)
  on a page of its own, other refusals flash and redirect back;
* in place with htmx (``HX-Request``): the answer is the fragment to swap — the updated
  comment, or the new comment plus an emptied form — with status 200, errors included in the
  fragment with the text kept (htmx 2 swaps no 4xx answer).

A permission refusal (not logged in, not verified, outside the scope, not a moderator) is
403 either way; ``static/js/app.js`` shows its message when it came from htmx.
"""
from __future__ import annotations

from flask import (
    Blueprint, abort, flash, make_response, redirect, render_template, request, url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from consult import unit_of_work
from consult.extensions import db
from consult.permissions import check
from consult.ratelimits import comment_limit
from consult.topics import comments
from consult.topics.comment_kit import comment_kit, thread_item_key
from consult.refusals import Refused
from consult.topics.lifecycle import Stage
from consult.topics.models import Comment, Topic
from consult.urls import safe_next_url
from consult.http import is_htmx

bp = Blueprint("comments", __name__)


@bp.app_context_processor
def _comment_helpers():
    # The comment form offers "Post as the official answer" to the community's officials.
    return {"may_answer": lambda topic: comments.may_answer(current_user, topic)}


# The labels, addresses and CSRF field every comment repeats, made once per page.
bp.add_app_template_global(comment_kit)
bp.add_app_template_global(thread_item_key)  # what a kept thread shows (consult/fragments.py)


@bp.after_request
def _vary(response):
    # The same URLs answer htmx with a fragment and a browser with a page or a redirect.
    response.vary.add("HX-Request")
    return response


# --- helpers -----------------------------------------------------------------------------------

def _sort() -> str:
    return comments.normalise_sort(request.values.get("sort"))


def _public_topic(topic_id: int) -> Topic:
    topic = db.session.get(Topic, topic_id)
    if topic is None or topic.stage == Stage.DRAFT.value:
        abort(404)
    return topic


def _comment_or_404(comment_id: int) -> tuple[Comment, Topic]:
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        abort(404)
    return comment, _public_topic(comment.topic_id)


def _topic_url(topic_id: int, sort: str, anchor: str, page: int = 1) -> str:
    args = {} if sort == comments.DEFAULT_SORT else {"sort": sort}
    if page > 1:
        args["page"] = page
    return url_for("topics.show", topic_id=topic_id, **args) + f"#{anchor}"


def _comment_url(comment: Comment, sort: str) -> str:
    """The comment on its topic page, with as many pages of threads as it takes to show it
    (where a form posted without JavaScript returns)."""
    return _topic_url(comment.topic_id, sort, f"comment-{comment.id}",
                      comments.thread_page(comment, sort))


def _back(comment: Comment, sort: str):
    """Where a plain form post returns: ``next`` when it is a path of this site (the
    moderation queue), else the comment on the topic page."""
    target = safe_next_url(request.form.get("next"))
    return redirect(target or _comment_url(comment, sort), 303)


def _forbidden(error: Refused):
    abort(403, str(error.message))


def _fragment(comment: Comment, sort: str, *, error=None, open_form: str | None = None,
              typed: str = "", notice=None, status: int = 200, pinned: bool = False):
    """The comment's ``<article>`` as the viewer now sees it (htmx answers). ``pinned``: the
    action changed what the thread pins at its top (the text or the standing of an official
    answer), so the pinned answers go out of band too."""
    view = comments.comment_view(current_user, comment)
    topic = db.session.get(Topic, comment.topic_id)
    html = render_template("topics/_comment_fragment.html", v=view, topic=topic, sort=sort,
                           error=error, open_form=open_form, typed=typed, notice=notice,
                           answers=_answers_after(comment, topic) if pinned else None)
    return make_response(html, status)


def _answers_after(comment: Comment, topic: Topic):
    """The pinned official answers to swap in out of band when ``comment`` is an official
    answer that was just posted or changed (one query), else None (nothing to swap)."""
    if not comment.official:
        return None
    return comments.official_answers(current_user, topic)


def _action(comment_id: int, run, success: str, *, form_field: str | None = None,
            pinned: bool = False):
    """Run ``run(comment)`` and answer for htmx or a plain post. ``form_field``: the action
    has a typed text (a reason) that a refusal must give back; ``pinned``: success may change
    the official answers pinned at the top of the thread."""
    comment, topic = _comment_or_404(comment_id)
    sort = _sort()
    typed = request.form.get(form_field, "") if form_field else ""
    try:
        run(comment)
    except Refused as error:
        unit_of_work.refused()  # the message goes in the answer, placed below
        if error.forbidding:
            _forbidden(error)
        comment = db.session.get(Comment, comment_id)
        if is_htmx():
            in_form = form_field is not None and error.field == form_field
            return _fragment(comment, sort, error=error.message, typed=typed,
                             open_form=request.endpoint.rpartition(".")[2] if in_form else None)
        if form_field and error.field == form_field:
            return _page_form(comment, topic, request.endpoint.rpartition(".")[2], sort,
                              typed=typed, error=error.message)
        flash(str(error.message), "error")
        return _back(comment, sort)
    if is_htmx():
        return _fragment(comment, sort, notice=success, pinned=pinned)
    flash(success, "success")
    return _back(comment, sort)


def _page_form(comment: Comment | None, topic: Topic, mode: str, sort: str, *, typed: str = "",
               error=None, status: int = 422):
    """A page of its own for a form that was refused with JavaScript off (post, reply,
    report, hide): the error and what was typed, and the way back."""
    view = comments.comment_view(current_user, comment) if comment is not None else None
    next_url = safe_next_url(request.form.get("next"))
    back = next_url or (_comment_url(comment, sort) if comment is not None
                        else _topic_url(topic.id, sort, "comments"))
    return render_template("topics/comment_form.html", topic=topic, v=view, mode=mode,
                           sort=sort, typed=typed, error=error, back=back,
                           next=next_url), status


# --- posting -------------------------------------------------------------------------------------

@bp.route("/topics/<int:topic_id>/comments", methods=["POST"])
@comment_limit
def create(topic_id: int):
    topic = _public_topic(topic_id)
    sort = _sort()
    body = request.form.get("body", "")
    parent_id = request.form.get("parent_id", type=int)
    official = request.form.get("official", "") in ("1", "on", "true")
    try:
        comment = comments.post(current_user, topic, body, parent_id, official=official)
    except Refused as error:
        unit_of_work.refused()  # the message goes in the answer, placed below
        status = 403 if error.forbidding else 422
        parent = db.session.get(Comment, parent_id) if parent_id else None
        if parent is not None and parent.topic_id != topic.id:
            parent = None
        if is_htmx():
            if error.forbidding:
                _forbidden(error)  # not swapped: the text stays in the form, app.js says why
            # The form again, with the error and the text (200: htmx swaps it in place).
            return render_template("topics/_comment_posted.html", topic=topic, sort=sort,
                                   parent=parent, body=body, error=error.message, new=None)
        return _page_form(parent, topic, "reply" if parent else "comment", sort, typed=body,
                          error=error.message, status=status)
    message = _("Your reply is posted.") if comment.parent_id else _("Your comment is posted.")
    if is_htmx():
        # The answer shows what this request just wrote, as it is loaded (only the count the
        # service raised in SQL is read again). The unit of work commits after the view, so on
        # SQLite the write lock is held while this small fragment renders.
        db.session.refresh(topic, ["comment_count"])
        view = comments.comment_view(current_user, comment, new=True)
        parent = db.session.get(Comment, comment.parent_id) if comment.parent_id else None
        return render_template("topics/_comment_posted.html", topic=topic, sort=sort,
                               parent=parent, body="", error=None, new=view, notice=message,
                               answers=_answers_after(comment, topic))
    flash(message, "success")
    return redirect(_comment_url(comment, sort), 303)


@bp.route("/comments/<int:comment_id>")
def show(comment_id: int):
    """The comment alone (htmx: cancel an edit); without htmx, the comment on its topic page."""
    comment, topic = _comment_or_404(comment_id)
    if is_htmx():
        return _fragment(comment, _sort())
    return redirect(_comment_url(comment, _sort()))


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
def edit(comment_id: int):
    comment, topic = _comment_or_404(comment_id)
    sort = _sort()
    body, error = comment.body, None
    if request.method == "POST":
        body = request.form.get("body", "")
        try:
            comments.edit(current_user, comment, body)
        except Refused as refused:
            unit_of_work.refused()  # the message goes in the form, below
            if refused.forbidding:
                _forbidden(refused)
            comment = db.session.get(Comment, comment_id)
            error = refused.message
        else:
            if is_htmx():
                return _fragment(comment, sort, notice=_("Your comment is updated."),
                                 pinned=True)
            flash(_("Your comment is updated."), "success")
            return redirect(_comment_url(comment, sort), 303)
    elif (refused := comments.edit_refusal(current_user, comment)) is not None:
        if refused.forbidding:
            _forbidden(refused)
        if is_htmx():
            return _fragment(comment, sort, error=refused.message)
        flash(str(refused.message), "error")
        return redirect(_comment_url(comment, sort))
    view = comments.comment_view(current_user, comment)
    status = 200 if is_htmx() or error is None else 422
    template = "topics/_comment_edit_fragment.html" if is_htmx() else "topics/comment_edit.html"
    return render_template(template, v=view, topic=topic, sort=sort, body=body, error=error,
                           back=_comment_url(comment, sort)), status


@bp.route("/comments/<int:comment_id>/withdraw", methods=["POST"])
def withdraw(comment_id: int):
    return _action(comment_id, lambda c: comments.withdraw(current_user, c),
                   _("Your comment is withdrawn."), pinned=True)


@bp.route("/comments/<int:comment_id>/react", methods=["POST"])
def react(comment_id: int):
    value = request.form.get("value", "")
    message = _("Your reaction is taken back.") if value == comments.CLEAR \
        else _("Your reaction is recorded.")
    return _action(comment_id, lambda c: comments.react(current_user, c, value), message)


@bp.route("/comments/<int:comment_id>/report", methods=["POST"])
def report(comment_id: int):
    return _action(comment_id,
                   lambda c: comments.report(current_user, c, request.form.get("reason", "")),
                   _("Thank you. The moderators will look at this comment."),
                   form_field="reason")


# --- moderation ----------------------------------------------------------------------------------

@bp.route("/comments/<int:comment_id>/hide", methods=["POST"])
def hide(comment_id: int):
    return _action(comment_id,
                   lambda c: comments.hide(current_user, c, request.form.get("reason", "")),
                   _("The comment is hidden; the reason is shown in its place."),
                   form_field="reason", pinned=True)


@bp.route("/comments/<int:comment_id>/restore", methods=["POST"])
def restore(comment_id: int):
    return _action(comment_id, lambda c: comments.restore(current_user, c),
                   _("The comment is shown again."), pinned=True)


@bp.route("/comments/<int:comment_id>/dismiss", methods=["POST"])
def dismiss(comment_id: int):
    return _action(comment_id, lambda c: comments.dismiss_reports(current_user, c),
                   _("The reports are dismissed; the comment stays as it is."))


@bp.route("/moderation")
@login_required
def moderation():
    if (refusal := check(current_user, "topic.moderate_any")) is not None:
        abort(403, str(refusal.message))
    return render_template("topics/moderation.html",
                           items=comments.moderation_queue(current_user))
