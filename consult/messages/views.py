"""Pages: my message settings (我的消息设置), the unsubscribe link of an e-mail, and the
administrators' page of messages and jobs that failed."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from consult import unit_of_work
from consult.accounts.identity import mask_email, mask_phone
from consult.extensions import csrf, db
from consult.jobs.models import JobFailure
from consult.jobs.service import retry_failure
from consult.messages import channels, rules, service
from consult.messages.forms import preferences_form
from consult.messages.models import OutboxMessage
from consult.refusals import Refused

bp = Blueprint("messages", __name__)


def _form(formdata=None):
    user = current_user
    settings = service.settings_of(user.id)
    modes = service.modes_of(user.id)
    default_channel = settings.channel or (rules.SMS if user.phone else rules.EMAIL)
    data = {f"mode_{k}": v for k, v in modes.items()}
    data.update(channel=default_channel, quiet_start=settings.quiet_start,
                quiet_end=settings.quiet_end)
    return preferences_form(phone=bool(user.phone), email=bool(user.email), formdata=formdata,
                            **data)


@bp.route("/me/messages", methods=["GET", "POST"])
@login_required
def preferences():
    form = _form(request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate_on_submit():
        modes = {c.key: form[f"mode_{c.key}"].data for c in rules.CATEGORIES}
        try:
            service.save_preferences(current_user, modes, channel=form.channel.data or None,
                                     quiet_start=form.quiet_start.data,
                                     quiet_end=form.quiet_end.data,
                                     language=request.cookies.get("lang"))
        except Refused as error:
            unit_of_work.refused(error, form)
        else:
            flash(_("Your message settings are saved."), "success")
            return redirect(url_for(".preferences"))
    return render_template(
        "messages/preferences.html", form=form, categories=rules.CATEGORIES, on=channels.on(),
        phone=mask_phone(current_user.phone) if current_user.phone else "",
        email=mask_email(current_user.email) if current_user.email else "",
        recent=service.recent_of(current_user.id))


@bp.route("/unsubscribe/<token>", methods=["GET"])
def unsubscribe_page(token: str):
    """What the link stops, and a button to confirm (a GET never changes anything)."""
    try:
        user, category = service.read_unsubscribe_token(token)
    except Refused as error:
        return render_template("messages/unsubscribe.html", refusal=error.message), 404
    return render_template("messages/unsubscribe.html", refusal=None, done=False,
                           category=rules.BY_KEY.get(category) if category else None)


@bp.route("/unsubscribe/<token>", methods=["POST"])
@csrf.exempt  # RFC 8058 one-click: the mail program posts without our form; the token is the key
def unsubscribe(token: str):
    try:
        user, category = service.unsubscribe(token)
    except Refused as error:
        unit_of_work.refused()
        return render_template("messages/unsubscribe.html", refusal=error.message), 404
    return render_template("messages/unsubscribe.html", refusal=None, done=True,
                           category=rules.BY_KEY.get(category) if category else None)


def _admin_only():
    if not (current_user.is_authenticated and current_user.is_platform_admin):
        abort(403)


@bp.route("/admin/messages")
@login_required
def failures():
    _admin_only()
    jobs = db.session.scalars(select(JobFailure).where(JobFailure.resolved_at.is_(None))
                              .order_by(JobFailure.id.desc()).limit(100)).all()
    messages = service.failures()
    masked = {m.id: mask_email(m.to_address) if "@" in m.to_address else mask_phone(m.to_address)
              for m in messages}
    return render_template("messages/failures.html", messages=messages, masked=masked, jobs=jobs,
                           counts=service.counts(), on=channels.on())


@bp.route("/admin/messages/<int:message_id>/retry", methods=["POST"])
@login_required
def retry_message(message_id: int):
    _admin_only()
    message = db.session.get(OutboxMessage, message_id) or abort(404)
    try:
        service.retry(current_user, message)
    except Refused as error:
        unit_of_work.refused(error)
    else:
        flash(_("The message will be sent again."), "success")
    return redirect(url_for(".failures"))


@bp.route("/admin/jobs/<int:failure_id>/retry", methods=["POST"])
@login_required
def retry_job(failure_id: int):
    _admin_only()
    failure = db.session.get(JobFailure, failure_id) or abort(404)
    try:
        retry_failure(current_user, failure)
    except Refused as error:
        unit_of_work.refused(error)
    else:
        flash(_("The job will run again."), "success")
    return redirect(url_for(".failures"))
