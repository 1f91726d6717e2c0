"""Who may use each hall page, built from the app's URL map: a new hall route without an entry
in ``EXPECTED`` fails here until someone says who may use it. Every id belongs to the hall
world; a refused request must not write anything."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consult import clock
from consult.audit.models import AuditEntry
from consult.extensions import db
from consult.halls import minutes as rules
from consult.halls import service
from consult.halls.minutes import DraftInput, ResolutionInput
from consult.halls.models import (
    AgendaResolution, Hall, Meeting, Minutes, MinutesRevision, Registration,
)
from tests import factories
from tests.hall_world import NOW, TUESDAY, build, local

EVERYONE = "everyone"
OFFICE = frozenset({"secretary", "admin", "platform_admin"})
ADMINS = frozenset({"admin", "platform_admin"})

# endpoint -> (who may, form data of a POST that would succeed)
EXPECTED = {
    "halls.community_halls": (EVERYONE, None),
    "halls.hall": (EVERYONE, None),
    "halls.hall_calendar": (EVERYONE, None),
    "halls.community_calendar": (EVERYONE, None),
    "halls.meeting": (EVERYONE, None),
    "halls.minutes": (EVERYONE, None),
    "halls.print_minutes": (EVERYONE, None),
    "halls.minutes_revision": (EVERYONE, None),
    "halls.new_hall": (ADMINS, {"name": "二号议事厅", "capacity": "20"}),
    "halls.edit_hall": (ADMINS, {"name": "改名议事厅", "capacity": "20"}),
    "halls.schedule": (OFFICE, {"hall": "{hall_id}", "title": "新会议", "day": "2026-12-03",
                                "start": "09:00", "end": "10:00", "topics": "{topic_id}"}),
    "halls.reschedule": (OFFICE, {"hall": "{hall_id}", "title": "改期", "day": "2026-12-04",
                                  "start": "09:00", "end": "10:00"}),
    "halls.cancel": (OFFICE, {"reason": "场地维修"}),
    "halls.register": ({"resident", "registered"}, {}),  # registered: 409, already in
    "halls.unregister": ({"resident", "registered"}, {}),
    "halls.edit_minutes": (OFFICE, {"present_count": "3", "residents_count": "2",
                                    "action": "save"}),
    "halls.preview_minutes": (OFFICE, None),
    "halls.publish_minutes": (OFFICE, {}),
    "halls.correct_minutes": (OFFICE, {"note": "更正"}),
}

PERSONAS = ["anonymous", "no_roles", "pending", "resident", "registered", "resident_elsewhere",
            "representative", "secretary", "secretary_elsewhere", "admin", "admin_of_other",
            "platform_admin"]
# Who may only act on their own registration: others get a clear refusal (not registered).
OWN_ONLY = {"halls.unregister"}

TABLES = (Hall, Meeting, Registration, Minutes, MinutesRevision, AgendaResolution, AuditEntry)


def snapshot():
    return tuple(db.session.scalar(select(func.count()).select_from(t)) for t in TABLES)


def hall_routes(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith("halls.")]


def test_every_hall_route_has_an_expected_answer(app):
    endpoints = {r.endpoint for r in hall_routes(app)}
    assert endpoints == set(EXPECTED), (
        f"say who may use {sorted(endpoints - set(EXPECTED))}; "
        f"drop {sorted(set(EXPECTED) - endpoints)}")


@pytest.fixture
def world(app):
    w = build()
    with clock.frozen(NOW):
        upcoming = service.schedule_meeting(
            w.secretary, w.community, hall_id=w.hall.id, day=TUESDAY, start="14:00",
            end="15:00", title="下午议事会", topic_ids=[str(w.topic.id)])
        service.register(w.residents[1], upcoming)
        done = factories.meeting(w.big_hall, local("2026-11-28 09:00"),
                                 topics=[w.topic], title="上周议事会")
        rules.save_draft(w.secretary, done, DraftInput(
            present_count=5, residents_count=3, resolutions=[ResolutionInput(
                topic_id=w.topic.id, kind="vote", question="是否同意？",
                options="同意\n反对")]))
        rules.publish(w.secretary, done)
        rules.start_correction(w.secretary, done, "第一次更正")
        db.session.commit()
        t2 = factories.topic(w.community, title="另一个议题", days=-1)
        people = {"no_roles": factories.user("路人"), "pending": w.pending,
                  "resident": w.residents[0], "registered": w.residents[1],
                  "resident_elsewhere": w.outsider, "representative": w.representative,
                  "secretary": w.secretary, "secretary_elsewhere": w.secretary_elsewhere,
                  "admin": w.admin,
                  "admin_of_other": factories.office_holder(w.other, name="别社区管理"),
                  "platform_admin": factories.user("平台", platform_admin=True)}
        db.session.commit()
    ids = {"community_id": w.community.id, "hall_id": w.hall.id, "topic_id": t2.id,
           "number": 1}
    return people, ids, upcoming.id, done.id


MEETING_OF = {"halls.minutes": "done", "halls.print_minutes": "done",
              "halls.minutes_revision": "done", "halls.edit_minutes": "done",
              "halls.preview_minutes": "done", "halls.publish_minutes": "done",
              "halls.correct_minutes": "done"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_access_matrix(app, world, login, persona):
    people, ids, upcoming_id, done_id = world
    wrong = []
    for rule in hall_routes(app):
        who, data = EXPECTED[rule.endpoint]
        values = {**ids, "meeting_id": done_id if MEETING_OF.get(rule.endpoint) else upcoming_id}
        url = rule.build({k: v for k, v in values.items() if k in rule.arguments})[1]
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
            ok_here = who == EVERYONE or persona in who
            if rule.endpoint in OWN_ONLY and persona != "anonymous" and not ok_here:
                ok = status == 409  # "you are not registered": refused, nothing written
            elif persona == "anonymous" and not ok_here:
                ok = status == 302 and "/login" in response.headers["Location"]
            elif ok_here:
                ok = status in (200, 302, 409)
            else:
                ok = status == 403
            if not ok_here and snapshot() != before:
                wrong.append((method, url, "wrote to the database"))
            if not ok:
                wrong.append((method, url, status))
            db.session.rollback()
    assert wrong == []
