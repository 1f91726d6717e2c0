"""Building "my data", and the downloads: asked for on the page (or by the API for a long
history), written by a background job under the instance folder, handed to their owner only,
removed after :data:`~consult.mydata.models.EXPORT_LIFETIME` by the scheduled job
``mydata.expire``.

Limits (settings): one download being prepared at a time per person (a unique index says it
last), at most ``MYDATA_EXPORTS_PER_DAY`` (5) asked for in 24 hours.
"""
from __future__ import annotations

import csv
import io
import json
import logging
import os
import secrets
import zipfile
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from consult.clock import utcnow
from consult.csvfiles import safe_cell
from consult.extensions import db
from consult.jobs import enqueue, job
from consult.mydata.models import EXPORT_LIFETIME, DataExport, ExportFormat, ExportStatus
from consult.mydata.sections import SECTIONS, counts_for
from consult.notifications.kinds import register
from consult.refusals import Refused

log = logging.getLogger("consult.mydata")
PAGE_PATH = "/me/data"  # the page the notification links to (jobs have no request for url_for)
FORMATS = tuple(f.value for f in ExportFormat)
# A preparing export older than this is taken as lost (its job died) and marked failed.
STALE_AFTER = timedelta(hours=6)

register("mydata.ready", _l("Your data is ready to download until %(until)s."))


# --- the document -----------------------------------------------------------------------------

def plain(value):
    """A value as JSON has it: times as ISO 8601 UTC with ``Z``, decimals as text."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def build_document(user) -> dict:
    """Everything in :data:`SECTIONS` about ``user``: one query per section."""
    sections = {}
    for section in SECTIONS:
        rows = section.rows(user)
        sections[section.key] = {
            "title": str(section.title), "count": len(rows),
            "columns": [{"key": c.key, "label": str(c.label)} for c in section.columns],
            "rows": [{k: plain(row.get(k)) for k in section.keys} for row in rows]}
    return {"user_id": user.id, "generated_at": plain(utcnow()), "sections": sections}


def total_rows(user) -> int:
    return sum(counts_for(user, SECTIONS))


def document_json(user) -> bytes:
    return json.dumps(build_document(user), ensure_ascii=False, indent=1).encode("utf-8")


def document_zip(user) -> bytes:
    """A zip with one CSV per section for reading in a spreadsheet: headers and stored codes
    in the current language, as on the page (the JSON keeps the codes), a BOM first (so
    spreadsheet programs read the UTF-8 text), cells that cannot run as formulas."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for section in SECTIONS:
            text = io.StringIO()
            writer = csv.writer(text, lineterminator="\r\n")
            writer.writerow([str(c.label) for c in section.columns])
            for row in section.rows(user):
                writer.writerow([safe_cell(_csv_value(c.shown(row.get(c.key))))
                                 for c in section.columns])
            archive.writestr(f"{section.key}.csv", "\ufeff" + text.getvalue())
    return out.getvalue()


def _csv_value(value):
    value = plain(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


# --- asking for a download --------------------------------------------------------------------

def exports_of(user_id: int, limit: int = 5) -> list[DataExport]:
    return list(db.session.scalars(
        select(DataExport).where(DataExport.user_id == user_id)
        .order_by(DataExport.created_at.desc(), DataExport.id.desc()).limit(limit)))


def per_day() -> int:
    return int(current_app.config.get("MYDATA_EXPORTS_PER_DAY", 5))


def request_export(actor, fmt: str, language: str = "zh_Hans") -> DataExport:
    """Queue a download of ``actor``'s own data. Refused when not logged in, when the format is
    unknown, while another is being prepared, or past the daily limit."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise Refused(_l("Log in to download your data."), kind="login")
    if fmt not in FORMATS:
        raise Refused(_l("Choose JSON or CSV."), "format")
    now = utcnow()
    rows = db.session.execute(
        select(DataExport.status, DataExport.created_at).where(
            DataExport.user_id == actor.id,
            (DataExport.status == ExportStatus.PREPARING.value)
            | (DataExport.created_at > now - timedelta(days=1)))).all()
    if any(status == ExportStatus.PREPARING.value for status, _at in rows):
        raise Refused(_l("A download of your data is being prepared already. Wait until it "
                         "is ready."))
    if sum(1 for _s, at in rows if at > now - timedelta(days=1)) >= per_day():
        raise Refused(_l("You asked for your data %(n)d times in the last 24 hours. Try again "
                         "tomorrow, or download one of the files still listed.", n=per_day()))
    export = DataExport(user_id=actor.id, format=fmt, status=ExportStatus.PREPARING.value,
                        created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(export)
            db.session.flush()
    except IntegrityError:
        raise Refused(_l("A download of your data is being prepared already. Wait until it "
                         "is ready.")) from None
    enqueue("mydata.export", export_id=export.id, language=language)
    return export


def export_dir() -> Path:
    configured = current_app.config.get("MYDATA_EXPORT_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


@job("mydata.export")
def write_export(export_id: int, language: str = "zh_Hans") -> None:
    """Write the file of one download, record it, tell its owner. Runs again harmlessly: an
    export no longer being prepared is left alone."""
    from consult.accounts.models import User
    from consult.notifications.service import notify

    export = db.session.get(DataExport, export_id)
    if export is None or export.status != ExportStatus.PREPARING.value:
        return
    user = db.session.get(User, export.user_id)
    name = f"{secrets.token_hex(16)}.{'json' if export.format == 'json' else 'zip'}"
    target = export_dir() / name
    try:
        with force_locale(language or "zh_Hans"):
            data = document_json(user) if export.format == "json" else document_zip(user)
        partial = target.with_suffix(".part")
        partial.write_bytes(data)
        os.replace(partial, target)
    except Exception:  # noqa: BLE001 - the person must not wait for a download that never comes
        log.exception("export %s failed", export_id)
        export.status = ExportStatus.FAILED.value
        return
    now = utcnow()
    export.file_path = name
    export.size = len(data)
    export.ready_at = now
    export.expires_at = now + EXPORT_LIFETIME
    export.status = ExportStatus.READY.value
    db.session.flush()
    from consult.i18n import local_datetime

    with force_locale(language or "zh_Hans"):
        until = local_datetime(export.expires_at)
    notify([user.id], "mydata.ready", {"until": until}, url=PAGE_PATH,
           dedup_key=f"mydata.ready:{export.id}")


def download(actor, export_id: int) -> tuple[DataExport, Path]:
    """The file of ``actor``'s own ready download; anyone else's, or an expired one, is not
    found."""
    export = db.session.get(DataExport, export_id)
    now = utcnow()
    if export is None or actor is None or export.user_id != getattr(actor, "id", None) \
            or not export.downloadable(now) or not export.file_path:
        raise Refused(_l("This download does not exist or has expired."), kind="not_found")
    path = export_dir() / export.file_path
    if not path.is_file():
        raise Refused(_l("This download does not exist or has expired."), kind="not_found")
    return export, path


def filename(export: DataExport) -> str:
    day = export.created_at.strftime("%Y%m%d")
    return f"my-data-{day}.{'json' if export.format == 'json' else 'zip'}"


@job("mydata.expire")
def expire_exports() -> int:
    """Remove the files of downloads past their time (and give up on lost ones)."""
    now = utcnow()
    due = db.session.scalars(select(DataExport).where(
        DataExport.status == ExportStatus.READY.value, DataExport.expires_at <= now)).all()
    for export in due:
        if export.file_path:
            (export_dir() / export.file_path).unlink(missing_ok=True)
        export.file_path = None
        export.status = ExportStatus.EXPIRED.value
    lost = db.session.scalars(select(DataExport).where(
        DataExport.status == ExportStatus.PREPARING.value,
        DataExport.created_at <= now - STALE_AFTER)).all()
    for export in lost:
        export.status = ExportStatus.FAILED.value
    db.session.flush()
    return len(due)


def forget_exports(user_id: int) -> int:
    """Remove every download of a person's data, files and rows (the account is closing: the
    files hold the very data that is being erased). Returns how many there were."""
    exports = db.session.scalars(select(DataExport).where(DataExport.user_id == user_id)).all()
    for export in exports:
        if export.file_path:
            (export_dir() / export.file_path).unlink(missing_ok=True)
        db.session.delete(export)
    db.session.flush()
    return len(exports)
