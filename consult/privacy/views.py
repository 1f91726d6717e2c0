"""Pages: the privacy notice (/privacy, older versions at /privacy/<version>) and the page where
a logged-in user agrees to the version in force (/privacy/agree)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from consult import unit_of_work
from consult.i18n import DEFAULT_LANGUAGE, LANGUAGES
from consult.privacy import rules, service
from consult.privacy.forms import AgreeForm
from consult.refusals import Refused
from consult.urls import safe_next_url

bp = Blueprint("privacy", __name__)

# The settings the notice quotes: how long things are kept (consult/retention, when set).
RETENTION_SETTINGS = ("RETAIN_CLOSED_ACCOUNT_DAYS", "RETAIN_RECEPTION_RECORD_DAYS",
                      "RETAIN_PAPER_PHOTO_DAYS")


def _days(name: str) -> int | None:
    value = current_app.config.get(name)
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def document_for(version: rules.Version) -> str:
    """The notice's template in the reader's language."""
    language = str(get_locale())
    if language not in LANGUAGES:
        language = DEFAULT_LANGUAGE
    return f"{version.template_stem}.{language}.html"


def _notice(version: rules.Version):
    return render_template(
        "privacy/notice.html", version=version, current=rules.current(),
        versions=list(reversed(rules.VERSIONS)), document=document_for(version),
        contact=current_app.config.get("PRIVACY_CONTACT") or "",
        retention={name: _days(name) for name in RETENTION_SETTINGS},
        agreed=current_user.privacy_version if current_user.is_authenticated else None)


@bp.route("/privacy")
def notice():
    return _notice(rules.current())


@bp.route("/privacy/<version>")
def notice_version(version: str):
    found = rules.find(version)
    if found is None:
        abort(404)
    return _notice(found)


def _next() -> str | None:
    return safe_next_url(request.args.get("next"))


def _agree_page(form: AgreeForm, status: int = 200):
    form.privacy_version.data = rules.current().id
    return render_template("privacy/agree.html", form=form, current=rules.current(),
                           changed=rules.since(current_user.privacy_version),
                           agreed=current_user.privacy_version,
                           up_to_date=rules.is_current(current_user.privacy_version),
                           next_url=_next()), status


@bp.route("/privacy/agree")
@login_required
def agree():
    return _agree_page(AgreeForm(formdata=None))


@bp.route("/privacy/agree", methods=["POST"])
@login_required
def agree_post():
    form = AgreeForm()
    if form.validate_on_submit():
        try:
            service.agree(current_user, form.privacy_version.data, "web")
        except Refused as error:
            unit_of_work.refused(error)
        else:
            flash(_("Thank you: you have agreed to the privacy notice of %(version)s.",
                    version=rules.current().id), "success")
            return redirect(_next() or url_for("main.home"), 303)
    return _agree_page(form)
