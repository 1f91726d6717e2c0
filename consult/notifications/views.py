from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user, login_required

from consult.extensions import db
from consult.notifications import service
from consult.notifications.models import Notification
from consult.urls import safe_next_url

bp = Blueprint("notifications", __name__)


@bp.route("/me/notifications")
@login_required
def index():
    return render_template("notifications/index.html", items=service.recent(current_user.id))


@bp.route("/me/notifications/<int:notification_id>", methods=["POST"])
@login_required
def open_one(notification_id: int):
    """Mark the notification read and go where it points."""
    n = db.session.get(Notification, notification_id)
    if n is None or n.user_id != current_user.id:
        abort(404)
    service.mark_read(current_user.id, n.id)
    return redirect(safe_next_url(n.url) or url_for(".index"))


@bp.route("/me/notifications/read", methods=["POST"])
@login_required
def read_all():
    service.mark_read(current_user.id)
    return redirect(url_for(".index"))
