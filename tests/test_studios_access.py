"""Who may use each studio page, built from the app's URL map: a new studio route without an
entry in ``EXPECTED`` fails here until someone says who may use it. Every id in the URLs
belongs to the studio world; a refused request must not write anything."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consult import clock
from consult.accounts.models import Role
from consult.audit.models import AuditEntry
from consult.extensions import db
from consult.permissions import may
from consult.studios.models import (
    OpeningHours, ReceptionRecord, RepresentativeProfile, Reservation, Room, Studio,
    StudioRepresentative, StudioSession,
)
from tests import factories
from tests.studio_world import NOW, TUESDAY, build, local, session_at

EVERYONE = "everyone"  # visitors too
LOGGED_IN = "logged_in"
ADMINS = frozenset({"admin", "platform_admin"})

# endpoint -> (who may, form data of a POST that would succeed)
EXPECTED = {
    "studios.index": (EVERYONE, None),
    "studios.studio": (EVERYONE, None),
    "studios.representative": (EVERYONE, None),
    "studios.studio_calendar": (EVERYONE, None),
    "studios.representative_calendar": (EVERYONE, None),
    "studios.session": (EVERYONE, None),
    "studios.my_reservations": (LOGGED_IN, None),
    "studios.my_sessions": (LOGGED_IN, None),
    "studios.reserve": ({"resident", "resident2"},
                        {"slot": "{free_slot}", "category": "other", "matter": "楼道灯坏了"}),
    "studios.cancel_reservation": ({"resident"}, {}),
    "studios.cancel_session": ({"representative"} | ADMINS, {"reason": "参加区人大会议"}),
    "studios.record": ({"representative"}, {"attendance": "no_show"}),
    "studios.book": ({"representative", "representative2"},
                     {"room": "{room_id}", "day": "2026-12-03", "start": "09:00",
                      "end": "10:00", "slot_minutes": "20", "weeks": "1"}),
    "studios.admin_studios": (ADMINS, {"kind": "liaison", "name": "代表联络站",
                                       "address": "东风街道1号"}),
    "studios.admin_studio": (ADMINS, {"studio-kind": "cppcc", "studio-name": "改名工作室",
                                      "studio-address": "新地址"}),
    "studios.admin_add_room": (ADMINS, {"room-name": "接待室三"}),
    "studios.admin_delete_room": (ADMINS, {}),
    "studios.admin_add_hours": (ADMINS, {"hours-weekday": "6", "hours-opens": "14:00",
                                         "hours-closes": "15:00"}),
    "studios.admin_delete_hours": (ADMINS, {}),
    "studios.admin_attach": (ADMINS, {"attach-user": "{rep3_id}"}),
    "studios.admin_detach": (ADMINS, {}),
    "studios.admin_profile": (ADMINS, {"body": "district_cppcc", "area_served": "第二选区",
                                       "bio": ""}),
}

PERSONAS = ["anonymous", "no_roles", "resident", "resident2", "resident_elsewhere",
            "secretary", "representative", "representative2", "admin_of_other", "admin",
            "platform_admin"]

# Ids of another resident's or another studio's objects answer 404, not 403.
NOT_FOUND_WHEN_REFUSED = {"studios.cancel_reservation"}

TABLES = (Studio, Room, OpeningHours, StudioRepresentative, RepresentativeProfile,
          StudioSession, Reservation, ReceptionRecord, AuditEntry)


def snapshot():
    return tuple(db.session.scalar(select(func.count()).select_from(t)) for t in TABLES)


def allowed(persona: str, who) -> bool:
    if who == EVERYONE:
        return True
    if who == LOGGED_IN:
        return persona != "anonymous"
    return persona in who


def studio_routes(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith("studios.")]


def test_every_studio_route_has_an_expected_answer(app):
    endpoints = {r.endpoint for r in studio_routes(app)}
    assert endpoints == set(EXPECTED), (
        f"say who may use {sorted(endpoints - set(EXPECTED))}; "
        f"drop {sorted(set(EXPECTED) - endpoints)}")


@pytest.fixture
def world(app):
    with clock.frozen(NOW):
        w = build(n_residents=2)
        spare_room = Room(studio_id=w.studio.id, name="空房间")
        db.session.add(spare_room)
        session = session_at(w, f"{TUESDAY} 09:00")
        reservation = Reservation(session_id=session.id, resident_id=w.residents[0].id,
                                  slot_start=local(f"{TUESDAY} 09:00"),
                                  slot_end=local(f"{TUESDAY} 09:20"), category="other",
                                  matter="私事")
        db.session.add(reservation)
        rep3 = factories.representative(w.community, "吴代表")
        admin_of_other = factories.office_holder(w.other, Role.ADMIN, "别社区管理")
        db.session.flush()
        people = {"no_roles": factories.user("路人"), "resident": w.residents[0],
                  "resident2": w.residents[1], "resident_elsewhere": w.outsider,
                  "secretary": w.secretary, "representative": w.rep,
                  "representative2": w.rep2, "admin_of_other": admin_of_other,
                  "admin": w.admin, "platform_admin": factories.user("平台", platform_admin=True)}
        attachment = next(a for a in w.studio.attachments if a.user_id == w.rep2.id)
        ids = {"studio_id": w.studio.id, "community_id": w.community.id,
               "user_id": w.rep.id, "session_id": session.id,
               "reservation_id": reservation.id, "room_id": spare_room.id,
               "hours_id": w.studio.hours[-1].id, "attachment_id": attachment.id,
               "rep3_id": rep3.id, "free_slot": local(f"{TUESDAY} 09:40").strftime(
                   "%Y-%m-%dT%H:%M")}
        db.session.commit()
        yield people, ids


@pytest.mark.parametrize("persona", PERSONAS)
def test_access_matrix(app, world, login, persona):
    people, ids = world
    wrong = []
    for rule in studio_routes(app):
        who, data = EXPECTED[rule.endpoint]
        url = rule.build({k: v for k, v in ids.items() if k in rule.arguments})[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            client = app.test_client()
            client.set_cookie("lang", "en")
            if persona != "anonymous":
                login(people[persona], client)
            before = snapshot()
            with clock.frozen(NOW):
                if method == "GET":
                    response = client.get(url)
                else:
                    form = {k: v.format(**ids) for k, v in (data or {}).items()}
                    response = client.post(url, data=form)
            status = response.status_code
            ok_here = allowed(persona, who)
            if persona == "anonymous" and not ok_here:
                ok = status == 302 and "/login" in response.headers["Location"]
            elif ok_here:
                ok = status in (200, 302, 409)  # 409: allowed, but e.g. already holds a slot
            else:
                ok = status == (404 if rule.endpoint in NOT_FOUND_WHEN_REFUSED else 403)
            if not ok_here and snapshot() != before:
                wrong.append((method, url, "wrote to the database"))
            if not ok:
                wrong.append((method, url, status))
            db.session.rollback()
    assert wrong == []


# --- object-level rules (the permission table on studios and sessions) ---------------------

def test_booking_needs_attachment_to_the_studio(world):
    people, ids = world
    studio = db.session.get(Studio, ids["studio_id"])
    other_studio = factories.studio(studio.community, "另一个工作室")
    assert may(people["representative"], "studio.book", studio)
    assert not may(people["representative"], "studio.book", other_studio)
    assert not may(people["admin"], "studio.book", studio)


def test_sessions_are_recorded_and_cancelled_by_their_holder(world):
    people, ids = world
    session = db.session.get(StudioSession, ids["session_id"])
    assert may(people["representative"], "studio.record", session)
    assert not may(people["representative2"], "studio.record", session)
    assert not may(people["admin"], "studio.record", session)
    assert may(people["representative"], "studio.cancel", session)
    assert not may(people["representative2"], "studio.cancel", session)
    assert may(people["admin"], "studio.cancel", session)
    assert not may(people["admin_of_other"], "studio.cancel", session)
