"""Removing what is past its retention period. Each step selects what is due (one query) and,
unless it is a dry run, removes it; every step is safe to run twice (what was removed is no
longer selected). Called by the daily job and by ``flask retention purge``; it flushes, the
caller's unit of work commits.

- Closed accounts, RETAIN_CLOSED_ACCOUNT_DAYS after closing: their notifications, API token
  rows and agreements to the privacy notice are deleted; the evidence text of their grid consents, the matters they wrote in
  reservations and the texts of their reception records are emptied; the last login time goes;
  ``users.purged_at`` is set. What stays is the pseudonymised row that their comments, ballots
  and the roster point at.
- Reception records, RETAIN_RECEPTION_RECORD_DAYS after the matter was answered: the texts
  (the matter as reserved, what was raised, the follow-up, the answer, the rating's reason and
  the reopening's) are emptied; status, dates and rating stay for the studio's statistics.
- Photos of paper ballots, RETAIN_PAPER_PHOTO_DAYS after the vote was tallied or cancelled: the
  files are deleted from disk and the entries forget them; the entries (what was read) stay.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, or_, select, update

from consult.clock import utcnow
from consult.extensions import db


@dataclass
class Purged:
    """What a purge removed (or, in a dry run, would remove), by kind."""

    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def add(self, what: str, n: int) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _days(name: str) -> timedelta:
    return timedelta(days=int(current_app.config[name]))


def _run(statement) -> int:
    return db.session.execute(
        statement.execution_options(synchronize_session=False)).rowcount or 0


def purge(*, now: datetime | None = None, dry_run: bool = False) -> Purged:
    now = now or utcnow()
    result = Purged(dry_run=dry_run)
    _closed_accounts(result, now - _days("RETAIN_CLOSED_ACCOUNT_DAYS"))
    _reception_records(result, now - _days("RETAIN_RECEPTION_RECORD_DAYS"))
    _paper_photos(result, now - _days("RETAIN_PAPER_PHOTO_DAYS"))
    if not dry_run:
        db.session.flush()
    return result


def _closed_accounts(result: Purged, before: datetime) -> None:
    from consult.accounts.models import User
    from consult.api.models import ApiToken
    from consult.grids.models import Consent
    from consult.notifications.models import Notification
    from consult.privacy.models import PrivacyConsent
    from consult.studios.models import ReceptionRecord, Reservation

    ids = list(db.session.scalars(select(User.id).where(
        User.closed_at.is_not(None), User.closed_at <= before, User.purged_at.is_(None))))
    result.add("closed accounts", len(ids))
    if not ids:
        return
    mine_reservations = select(Reservation.id).where(Reservation.resident_id.in_(ids))
    if result.dry_run:
        result.add("notifications", db.session.scalar(
            select(func.count()).select_from(Notification).where(Notification.user_id.in_(ids))))
        result.add("API tokens", db.session.scalar(
            select(func.count()).select_from(ApiToken).where(ApiToken.user_id.in_(ids))))
        result.add("privacy consents", db.session.scalar(
            select(func.count()).select_from(PrivacyConsent)
            .where(PrivacyConsent.user_id.in_(ids))))
        return
    result.add("notifications", _run(delete(Notification).where(Notification.user_id.in_(ids))))
    result.add("API tokens", _run(delete(ApiToken).where(ApiToken.user_id.in_(ids))))
    result.add("privacy consents", _run(delete(PrivacyConsent).where(
        PrivacyConsent.user_id.in_(ids))))
    _run(update(Consent).where(Consent.resident_id.in_(ids), Consent.evidence != "")
         .values(evidence=""))
    _run(update(Reservation).where(Reservation.resident_id.in_(ids), Reservation.matter != "")
         .values(matter=""))
    _run(update(ReceptionRecord).where(ReceptionRecord.reservation_id.in_(mine_reservations))
         .values(**_RECORD_TEXTS))
    _run(update(User).where(User.id.in_(ids)).values(last_login_at=None, purged_at=utcnow()))


_RECORD_TEXTS = {"raised": "", "follow_up": "", "answer": "", "rating_reason": "",
                 "reopen_reason": ""}


def _reception_records(result: Purged, before: datetime) -> None:
    from consult.studios.models import ReceptionRecord, Reservation

    texts = [getattr(ReceptionRecord, name) != "" for name in _RECORD_TEXTS]
    due = (ReceptionRecord.answered_at.is_not(None), ReceptionRecord.answered_at <= before)
    record_ids = list(db.session.scalars(select(ReceptionRecord.id).join(
        Reservation, ReceptionRecord.reservation_id == Reservation.id).where(
        *due, or_(*texts, Reservation.matter != ""))))
    result.add("reception record texts", len(record_ids))
    if result.dry_run or not record_ids:
        return
    _run(update(ReceptionRecord).where(ReceptionRecord.id.in_(record_ids))
         .values(**_RECORD_TEXTS))
    _run(update(Reservation).where(Reservation.id.in_(
        select(ReceptionRecord.reservation_id).where(ReceptionRecord.id.in_(record_ids))))
        .values(matter=""))


def _paper_photos(result: Purged, before: datetime) -> None:
    from consult.votes.models import Vote
    from consult.votes.paper import photo_folder
    from consult.votes.paper_models import PaperBallot, PaperEntry

    settled = select(Vote.id).where(or_(
        Vote.tallied_at <= before, Vote.cancelled_at <= before))
    rows = db.session.execute(select(PaperEntry.id, PaperEntry.photo).join(
        PaperBallot, PaperEntry.paper_id == PaperBallot.id).where(
        PaperEntry.photo.is_not(None), PaperBallot.vote_id.in_(settled))).all()
    result.add("paper ballot photos", len(rows))
    folder = photo_folder()
    for _id, name in rows:
        path = os.path.join(folder, os.path.basename(name))
        if os.path.isfile(path):
            result.files.append(path)
            if not result.dry_run:
                os.remove(path)
    if not result.dry_run and rows:
        _run(update(PaperEntry).where(PaperEntry.id.in_([r.id for r in rows]))
             .values(photo=None, photo_type=None))
