"""The demo's studios: two studios, three representatives, two weeks of sessions, some
reserved, and last week's session recorded."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from consult import clock
from consult.audit.log import verify_chain
from consult.demo.seed import seed
from consult.extensions import db
from consult.studios.models import (
    ReceptionRecord, RepresentativeProfile, Reservation, Studio, StudioRepresentative,
    StudioSession,
)
from tests.studio_world import NOW


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_demo_seed_has_studios_sessions_and_reservations(app):
    with clock.frozen(NOW):
        seed(echo=lambda _: None)
    assert count(Studio) == 2
    assert count(StudioRepresentative) == 3 and count(RepresentativeProfile) == 3
    future = db.session.scalars(select(StudioSession.starts_at).where(
        StudioSession.starts_at > NOW)).all()
    assert len(future) == 8 and max(future) - min(future) < timedelta(days=14)
    assert count(Reservation, Reservation.slot_start > NOW) == 8
    assert count(ReceptionRecord) == 3
    assert verify_chain().ok
