"""The studios' blueprint and what its two view modules share: :mod:`.views` (schedules,
booking, reservations, receptions) and :mod:`.admin_views` (administering studios) both add
their routes to ``bp``; consult/__init__.py imports both and registers it."""
from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user

from consult.permissions import check

bp = Blueprint("studios", __name__)


def _require(action: str, obj=None) -> None:
    if refusal := check(current_user, action, obj):
        abort(403, refusal.message)

