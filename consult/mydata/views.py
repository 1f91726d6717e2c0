"""The "my data" page (我的信息), one section in full, and the downloads."""
from __future__ import annotations

from flask import (
    Blueprint, abort, flash, make_response, redirect, render_template, request, send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from consult import unit_of_work
from consult.clock import utcnow
from consult.mydata import service
from consult.mydata.sections import SECTIONS, counts_for, section
from consult.refusals import Refused

bp = Blueprint("mydata", __name__)
LATEST = 20  # rows of each section on the page
PER_PAGE = 100  # rows per page of one section in full


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route(service.PAGE_PATH)
@login_required
def index():
    """Each section: how many rows, the newest :data:`LATEST`. A query a section, and one
    counting them all."""
    counts = counts_for(current_user, SECTIONS)
    shown = [(s, n, s.rows(current_user, limit=LATEST) if n else [])
             for s, n in zip(SECTIONS, counts)]
    exports = service.exports_of(current_user.id)
    return _no_store(make_response(render_template(
        "mydata/index.html", shown=shown, latest=LATEST, exports=exports, now=utcnow(),
        preparing=any(e.preparing for e in exports), formats=service.FORMATS)))


@bp.route(service.PAGE_PATH + "/sections/<key>")
@login_required
def full(key: str):
    found = section(key)
    if found is None:
        abort(404)
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < len(page) < 7 else 1
    total = found.count_for(current_user)
    rows = found.rows(current_user, limit=page * PER_PAGE)[(page - 1) * PER_PAGE:]
    pages = max(1, -(-total // PER_PAGE))
    return _no_store(make_response(render_template(
        "mydata/section.html", section=found, rows=rows, total=total, page=min(page, pages),
        pages=pages)))


@bp.route(service.PAGE_PATH + "/exports", methods=["POST"])
@login_required
def ask_export():
    try:
        service.request_export(current_user, request.form.get("format", ""),
                               language=str(get_locale() or "zh_Hans"))
    except Refused as error:
        unit_of_work.refused(error)
        return redirect(url_for(".index"))
    flash(_("Your data is being prepared. You will be told when it is ready to download."),
          "success")
    return redirect(url_for(".index"))


@bp.route(service.PAGE_PATH + "/exports/status")
@login_required
def exports_status():
    """The list of downloads, a fragment the page polls (htmx) while one is being prepared."""
    exports = service.exports_of(current_user.id)
    response = make_response(render_template(
        "mydata/_exports.html", exports=exports, now=utcnow(),
        preparing=any(e.preparing for e in exports), formats=service.FORMATS))
    response.vary.add("HX-Request")
    return _no_store(response)


@bp.route(service.PAGE_PATH + "/exports/<int:export_id>")
@login_required
def download(export_id: int):
    try:
        export, path = service.download(current_user, export_id)
    except Refused:
        abort(404)
    mimetype = "application/json" if export.format == "json" else "application/zip"
    response = send_file(path, mimetype=mimetype, as_attachment=True,
                         download_name=service.filename(export), max_age=0)
    return _no_store(response)
