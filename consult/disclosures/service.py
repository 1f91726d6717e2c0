"""Writing the access record (查阅记录).

The Personal Information Protection Law (个人信息保护法) asks that a handler can show who
accessed a person's information. So every time an official's page, CSV or API answer shows a
resident's whole phone number or e-mail address, or a grid's list of those who have not voted,
:func:`record_shown` writes one row per resident shown: who looked, whose data, which page
(endpoint, kind, object), which fields, when, in which community.

This is the one deliberate write of a read. GET never writes in this project, except the records
*of* a read (like an API token's last use, :mod:`consult.api.core`): the page that shows the data
calls :func:`record_shown` and then :func:`consult.unit_of_work.keep`, so the request's unit of
work commits the record although the method is GET. Nothing else is written by such a request.

A page listing 300 owners sends one INSERT of 300 rows, not 300 statements (rows beyond
:data:`ROWS_PER_STATEMENT` go in a further statement), so the page's query count does not grow
with the grid.

Roster-only owners (imported, never activated) are users without a password: they are recorded
like everyone else, under the account they will activate.
"""
from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import insert

from consult.clock import utcnow
from consult.disclosures import rules
from consult.disclosures.models import DataView
from consult.extensions import db
from consult.permissions import membership

# Nine parameters a row: far below every database's limit of bound parameters per statement.
ROWS_PER_STATEMENT = 1000


def record_shown(viewer, shown: Mapping[int, set[str] | frozenset[str]], *, endpoint: str,
                 page: str, object_ref: str, object_name: str = "",
                 community_id: int | None = None, grid_id: int | None = None) -> int:
    """Record that ``viewer`` was shown ``shown`` (subject user id -> fields shown of them) on
    ``page``; returns the number of rows written. Subjects with no field and the viewer's own
    data are left out (nobody needs a record of reading their own phone)."""
    if page not in rules.PAGE_LABELS:
        raise ValueError(f"unknown page {page!r}: add it to rules.PAGE_LABELS")
    m = membership(viewer)
    role = rules.viewer_role(m.roles.get(community_id, set()), m.works_grid(grid_id),
                             m.platform_admin)
    now = utcnow()
    rows = [dict(at=now, viewer_id=viewer.id, viewer_name=(viewer.name or "")[:100],
                 viewer_role=role, subject_id=subject, community_id=community_id,
                 endpoint=endpoint[:80], page=page, object_ref=object_ref[:60],
                 object_name=(object_name or "")[:200], fields=rules.join_fields(fields))
            for subject, fields in sorted(shown.items())
            if subject is not None and subject != viewer.id and rules.join_fields(fields)]
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        db.session.execute(insert(DataView).values(rows[start:start + ROWS_PER_STATEMENT]))
    return len(rows)
