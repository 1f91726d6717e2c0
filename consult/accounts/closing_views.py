"""The pages of closing an account (注销账号): the warning and form, and the page after."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from consult import unit_of_work
from consult.accounts import closing
from consult.accounts.forms import CloseAccountForm
from consult.refusals import Refused

bp = Blueprint("closing", __name__)
CLOSED = "closed_pseudonym"  # the session key the page after reads


@bp.route("/account/close", methods=["GET", "POST"])
@login_required
def close_account():
    form = CloseAccountForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            closing.close_account(user, form.password.data)
        except Refused as error:
            # A wrong password counts as a failed login (the lock), so its count is kept.
            unit_of_work.keep(error, form)
        else:
            name = user.name
            logout_user()
            session.clear()
            session[CLOSED] = name
            return redirect(url_for(".closed"))
    return render_template("accounts/close.html", form=form,
                           keeps_ballots=closing.OPEN_VOTE_BALLOTS)


@bp.route("/account/closed")
def closed():
    """Said once after closing; anyone else arriving here is sent to the home page."""
    name = session.pop(CLOSED, None)
    if name is None or current_user.is_authenticated:
        return redirect(url_for("main.home"))
    return render_template("accounts/closed.html", pseudonym=name,
                           message=_("Your account is closed."))
