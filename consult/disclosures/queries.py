"""Reading the access record: what a resident sees about themself, what administrators export."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import aliased

from consult.accounts.models import User
from consult.clock import to_local
from consult.community.models import Community
from consult.disclosures import rules
from consult.disclosures.models import DataView
from consult.extensions import db
from consult.permissions import membership


@dataclass(frozen=True)
class ViewOfMe:
    """One time an official saw some of the resident's personal data."""

    at: datetime
    viewer_name: str
    role: str  # in the reader's language
    page: str  # in the reader's language
    object_name: str
    fields: list[str]  # in the reader's language
    community: str


def _labels(view: DataView, community: str | None) -> ViewOfMe:
    return ViewOfMe(view.at, view.viewer_name or "—",
                    str(rules.ROLE_LABELS.get(view.viewer_role, view.viewer_role)),
                    str(rules.PAGE_LABELS.get(view.page, view.page)), view.object_name,
                    [str(rules.FIELD_LABELS.get(f, f)) for f in rules.split_fields(view.fields)],
                    community or "")


def views_of(user_id: int, limit: int | None = None) -> list[ViewOfMe]:
    """Who saw the personal data of user ``user_id`` (a roster owner's account too), which page,
    which fields, when: newest first, one query."""
    q = (select(DataView, Community.name)
         .outerjoin(Community, Community.id == DataView.community_id)
         .where(DataView.subject_id == user_id)
         .order_by(DataView.at.desc(), DataView.id.desc()))
    if limit is not None:
        q = q.limit(limit)
    return [_labels(v, name) for v, name in db.session.execute(q)]


def exportable_communities(reader) -> list[Community] | None:
    """The communities whose record ``reader`` may export: ``None`` for a platform
    administrator (every community, and views with none), else those they administer."""
    m = membership(reader)
    if m.platform_admin:
        return None
    ids = [cid for cid, roles in m.roles.items() if "admin" in roles]
    if not ids:
        return []
    return list(db.session.scalars(select(Community).where(Community.id.in_(ids))
                                   .order_by(Community.name)))


def export_rows(start: datetime, end: datetime, community_ids: list[int] | None):
    """The record between ``start`` (included) and ``end`` (excluded), oldest first, as rows
    for the CSV; ``community_ids`` None means every community (a platform administrator's
    export). One query, streamed."""
    subject = aliased(User)
    q = (select(DataView, subject.name, Community.name)
         .join(subject, subject.id == DataView.subject_id)
         .outerjoin(Community, Community.id == DataView.community_id)
         .where(DataView.at >= start, DataView.at < end)
         .order_by(DataView.at, DataView.id))
    if community_ids is not None:
        q = q.where(DataView.community_id.in_(community_ids))
    for view, subject_name, community in db.session.execute(q).yield_per(500):
        shown = _labels(view, community)
        yield (to_local(view.at).strftime("%Y-%m-%d %H:%M:%S"), view.viewer_id or "", shown.viewer_name,
               shown.role, view.subject_id, subject_name or "", shown.community, shown.page,
               view.endpoint, view.object_ref, view.object_name, "; ".join(shown.fields))
