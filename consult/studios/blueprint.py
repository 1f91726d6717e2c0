"""The studios' blueprint and what its two view modules share: :mod:`.views` (schedules,
booking, reservations, receptions) and :mod:`.admin_views` (administering studios) both add
their routes to ``bp``; consult/__init__.py imports both and registers it."""
from __future__ import annotations

from flask import Blueprint, abort, flash
from flask_login import current_user

from consult.extensions import db
from consult.permissions import check
from consult.refusals import Refused

bp = Blueprint("studios", __name__)


def _require(action: str, obj=None) -> None:
    if refusal := check(current_user, action, obj):
        abort(403, refusal.message)


def _refused(error: Refused, form) -> None:
    """Put a service refusal next to its field, or at the top of the page."""
    db.session.rollback()
    target = getattr(form, error.field, None) if error.field else None
    if target is not None:
        target.errors = [*target.errors, error.message]
    else:
        flash(error.message, "error")
