"""Pages of the access record: the resident's "who looked at my data" and the administrators'
CSV export; and :func:`record`, which the pages that show personal data call."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from consult import unit_of_work
from consult.accounts.identity import mask_email, mask_phone
from consult.clock import local_to_utc
from consult.csvfiles import csv_response
from consult.disclosures import queries, service
from consult.disclosures.forms import MAX_DAYS, ExportForm
from consult.permissions import check

bp = Blueprint("disclosures", __name__)

# The resident's page shows this many records; "my data" exports them all.
SHOWN = 200


@bp.app_template_filter("mask_phone")
def _mask_phone(phone):
    return mask_phone(phone)


@bp.app_template_filter("mask_email")
def _mask_email(email):
    return mask_email(email)


def record(shown, **where) -> None:
    """Record what the current page shows of whom (:func:`service.record_shown`) and have the
    request's unit of work commit it, although the request is a GET (the law asks for it)."""
    if service.record_shown(current_user, shown, endpoint=request.endpoint or "", **where):
        unit_of_work.keep()


@bp.route("/me/data/views")
@login_required
def views_of_me():
    return render_template("disclosures/views_of_me.html",
                           views=queries.views_of(current_user.id, limit=SHOWN), limit=SHOWN)


def _export_form(communities):
    form = ExportForm(request.args)
    choices = [("", _("All communities"))] if communities is None else []
    form.community.choices = choices + [(str(c.id), c.name) for c in communities or []]
    return form


def _period(form: ExportForm) -> tuple[datetime, datetime] | None:
    """The form's local days as UTC bounds, or ``None`` with the form's errors set."""
    if not form.validate():
        return None
    if form.end.data < form.start.data:
        form.end.errors = [*form.end.errors, _("The last day is before the first day.")]
        return None
    if (form.end.data - form.start.data).days >= MAX_DAYS:
        form.end.errors = [*form.end.errors, _("One export covers at most %(n)d days.",
                                               n=MAX_DAYS)]
        return None
    return (local_to_utc(datetime.combine(form.start.data, time())),
            local_to_utc(datetime.combine(form.end.data + timedelta(days=1), time())))


def _exporter():
    if (refusal := check(current_user, "disclosures.export")) is not None:
        abort(403, refusal.message)
    return queries.exportable_communities(current_user)


@bp.route("/admin/data-views")
@login_required
def export_page():
    communities = _exporter()
    return render_template("disclosures/export.html", form=_export_form(communities))


@bp.route("/admin/data-views.csv")
@login_required
def export_csv():
    communities = _exporter()
    form = _export_form(communities)
    period = _period(form)
    chosen = form.community.data or ""
    allowed = None if communities is None else [c.id for c in communities]
    if period is not None and chosen:
        if chosen not in {value for value, _label in form.community.choices}:
            form.community.errors = [_("Choose one of your communities.")]
            period = None
        else:
            allowed = [int(chosen)]
    if period is None:
        return render_template("disclosures/export.html", form=form), 422
    start, end = period
    header = [_("When"), _("Viewer id"), _("Viewer"), _("Role"), _("Resident id"),
              _("Resident"), _("Community"), _("Page"), _("Address"), _("Object"),
              _("What it was"), _("Fields shown")]
    return csv_response(
        f"data-views-{form.start.data.isoformat()}-{form.end.data.isoformat()}.csv", header,
        queries.export_rows(start, end, allowed))
