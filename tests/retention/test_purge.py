"""Retention: ``retention.purge`` (daily) and ``flask retention purge`` remove what is past its
time, with the clock moved past each limit, and nothing before it."""
from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult import clock
from consult.accounts.closing import close_account
from consult.accounts.models import User
from consult.api.models import ApiToken
from consult.clock import utcnow
from consult.extensions import db
from consult.jobs import run_now
from consult.jobs.schedule import SCHEDULE
from consult.notifications.models import Notification
from consult.notifications.service import notify
from consult.retention.service import purge
from consult.studios.models import ReceptionRecord, Reservation
from consult.votes.models import Elector
from consult.votes.paper import photo_folder
from consult.votes.paper_models import PaperBallot, PaperEntry
from tests import api_world
from tests.api_world import token
from tests.factories import PASSWORD

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def w(app, monkeypatch):
    return api_world.build(monkeypatch)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def closed_with_leftovers(w, client):
    me = w.residents[1]
    token(client, me)
    notify([me.id], "studio.reservation_closed", {"studio": "x", "date": "d", "time": "t"})
    db.session.commit()
    close_account(me, PASSWORD)
    db.session.commit()
    return me.id, me.closed_at


def test_a_closed_accounts_leftovers_go_after_its_days(w, app, client):
    uid, closed_at = closed_with_leftovers(w, client)
    days = app.config["RETAIN_CLOSED_ACCOUNT_DAYS"]
    kept = count(Notification, Notification.user_id == uid)
    assert kept >= 1
    with clock.frozen(closed_at + timedelta(days=days - 1)):
        assert purge().counts["closed accounts"] == 0
    db.session.commit()
    assert count(Notification, Notification.user_id == uid) == kept
    with clock.frozen(closed_at + timedelta(days=days, minutes=1)):
        done = purge()
    db.session.commit()
    assert done.counts["closed accounts"] == 1 and done.counts["notifications"] == kept
    assert count(Notification, Notification.user_id == uid) == 0
    assert count(ApiToken, ApiToken.user_id == uid) == 0
    user = db.session.get(User, uid)
    assert user.purged_at is not None and user.last_login_at is None
    # The pseudonymised row stays: comments and ballots point at it. A second run finds nothing.
    with clock.frozen(closed_at + timedelta(days=days + 5)):
        assert purge().counts["closed accounts"] == 0


def answered_record(w):
    slot = w.session.starts_at
    reservation = Reservation(session_id=w.session.id, resident_id=w.residents[2].id,
                              slot_start=slot, slot_end=slot + timedelta(minutes=20),
                              category="other", matter="楼道灯坏了")
    db.session.add(reservation)
    db.session.flush()
    answered = utcnow()
    db.session.add(ReceptionRecord(
        reservation_id=reservation.id, attendance="attended", raised="楼道灯坏了三周",
        follow_up="联系物业", matter_status="answered", answer="已修好", answered_at=answered,
        recorded_by_id=w.representative.id))
    db.session.commit()
    return reservation.id, answered


def test_reception_record_texts_go_after_their_days(w, app):
    reservation_id, answered = answered_record(w)
    days = app.config["RETAIN_RECEPTION_RECORD_DAYS"]
    with clock.frozen(answered + timedelta(days=days - 1)):
        assert purge().counts["reception record texts"] == 0
    db.session.commit()
    with clock.frozen(answered + timedelta(days=days, minutes=1)):
        assert purge().counts["reception record texts"] == 1
    db.session.commit()
    db.session.expire_all()
    record = db.session.scalar(select(ReceptionRecord).where(
        ReceptionRecord.reservation_id == reservation_id))
    assert (record.raised, record.follow_up, record.answer) == ("", "", "")
    assert record.matter_status == "answered" and record.answered_at == answered
    assert db.session.get(Reservation, reservation_id).matter == ""


def paper_with_photo(w, app) -> tuple[int, str]:
    elector = db.session.scalar(select(Elector).where(Elector.vote_id == w.vote.id).limit(1))
    paper = PaperBallot(vote_id=w.vote.id, elector_id=elector.id, serial="P-0001")
    db.session.add(paper)
    db.session.flush()
    os.makedirs(photo_folder(), exist_ok=True)
    name = "abc123.jpg"
    path = os.path.join(photo_folder(), name)
    with open(path, "wb") as out:
        out.write(b"\xff\xd8\xff photo")
    db.session.add(PaperEntry(paper_id=paper.id, kind="entry", option="agree",
                              entered_by_id=w.secretary.id, photo=name, photo_type="image/jpeg"))
    w.vote.tallied_at = w.vote.closes_at
    db.session.commit()
    return paper.id, path


def test_paper_ballot_photos_go_after_their_days(w, app):
    paper_id, path = paper_with_photo(w, app)
    days = app.config["RETAIN_PAPER_PHOTO_DAYS"]
    with clock.frozen(w.vote.tallied_at + timedelta(days=days - 1)):
        assert purge().counts["paper ballot photos"] == 0
    db.session.commit()
    assert os.path.isfile(path)
    with clock.frozen(w.vote.tallied_at + timedelta(days=days, minutes=1)):
        done = purge()
    db.session.commit()
    assert done.counts["paper ballot photos"] == 1 and done.files == [path]
    assert not os.path.exists(path)
    entry = db.session.scalar(select(PaperEntry).where(PaperEntry.paper_id == paper_id))
    assert entry.photo is None and entry.option == "agree"  # what was read stays


def test_the_command_dry_run_removes_nothing_then_the_purge_does(w, app):
    _paper_id, path = paper_with_photo(w, app)
    runner = app.test_cli_runner()
    later = w.vote.tallied_at + timedelta(days=app.config["RETAIN_PAPER_PHOTO_DAYS"] + 1)
    with clock.frozen(later):
        dry = runner.invoke(args=["retention", "purge", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "Would remove" in dry.output and "paper ballot photos: 1" in dry.output
        assert os.path.isfile(path)
        real = runner.invoke(args=["retention", "purge"])
        assert real.exit_code == 0, real.output
        assert "Removed" in real.output and "paper ballot photos: 1" in real.output
        assert path in real.output
    assert not os.path.exists(path)
    db.session.expire_all()
    assert count(PaperEntry, PaperEntry.photo.is_not(None)) == 0


def test_the_daily_job_is_scheduled_and_purges(w, app, client):
    entry = next(s for s in SCHEDULE if s.name == "retention.purge")
    assert entry.command == "retention purge" and entry.cron.split()[2:] == ["*", "*", "*"]
    uid, closed_at = closed_with_leftovers(w, client)
    with clock.frozen(closed_at + timedelta(days=app.config["RETAIN_CLOSED_ACCOUNT_DAYS"] + 1)):
        assert run_now("retention.purge", {}, app=app)
    db.session.commit()  # the job ran in a session of its own: read afresh
    assert db.session.get(User, uid).purged_at is not None
