"""The official's desk page: GET only, one query per section."""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from consult.desk import queries
from consult.permissions import check

bp = Blueprint("desk", __name__)


@bp.route("/me/desk")
@login_required
def index():
    if (refusal := check(current_user, "desk.enter")) is not None:
        abort(403, str(refusal.message))
    return render_template("desk/index.html", desk=queries.desk_for(current_user))
