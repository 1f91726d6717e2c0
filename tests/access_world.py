"""One world for the whole-app authorization matrix (tests/app/test_access_matrix.py) and the CSRF
test (tests/app/test_csrf.py): two communities, every kind of object a route's URL can name, in
the state where the route's action is possible, and ten personas.

Community A (幸福社区) is where every URL points; community B (和谐社区) is elsewhere. The
personas:

=====================  ==============================================================
visitor                not logged in (no API token either)
unverified             an account whose residency in A still waits for verification
outsider               a verified resident of B (a resident out of scope)
resident               a verified resident and owner of record in A (in scope)
other_secretary        the secretary of B
secretary              the secretary of A
representative         a representative of A, attached to A's studio, holding its sessions
admin                  the administrator of A
platform_admin         an administrator of the whole platform (creates communities)
grid_worker            a grid worker (网格员) of A's first grid, with no home and no other role
=====================  ==============================================================

A few more people are in ``people`` for the cells where who they are matters beyond the ten
(tests/app/test_access_matrix.py, "Beyond the ten personas"): ``admin_of_other`` (the
administrator of B), ``no_roles`` (an account with no home and no role), ``neighbour`` (a second
verified resident of A, registered for nothing, holding another reservation), ``second_rep``
(a representative attached to A's studio who holds none of the sessions in the URLs) and
``unattached_rep`` (a representative of A attached to no studio) and ``other_grid_worker`` (a
grid worker of A's second grid, "2网格", with no home and no other role).

The resident has consented online that the grid workers of A's first grid act for them
(``consent``), so the grid worker may cast their ballot and comment for them.

The world is returned as plain ids and strings (no ORM objects), so it survives the database
being restored underneath it. Time: NOW, Monday 2026-11-30 10:00 in Shanghai (02:00 UTC).
"""
from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import event, text

from consult import clock, create_app, written
from consult.accounts import reset
from consult.accounts.models import Role, RoleGrant
from consult.api.tokens import create_token
from consult.clock import local_to_utc
from consult.community.models import Building, Grid, Residency, ResidencyStatus
from consult.extensions import db
from consult.grids.models import Consent
from consult.halls import minutes as minutes_rules
from consult.halls import service as halls
from consult.halls.minutes import DraftInput, ResolutionInput
from consult.notifications.models import Notification
from consult.notifications.service import notify
from consult.outcomes import service as outcomes
from consult.studios.models import ReceptionRecord, Reservation, StudioRepresentative
from consult.studios.slots import SLOT_KEY_FORMAT
from consult.topics.models import Comment, CommentReport, Cosignature
from consult.votes import proxies as vote_proxies
from consult.votes import service as votes
from consult.jobs.models import JobFailure
from consult.messages.models import OutboxMessage
from consult.messages.service import unsubscribe_token
from tests import factories

NOW = datetime(2026, 11, 30, 2, 0)  # UTC; 10:00 local, a Monday
DAY = timedelta(days=1)
PERSONAS = ("visitor", "unverified", "outsider", "resident", "other_secretary", "secretary",
            "representative", "admin", "platform_admin", "grid_worker")


def local(when: str) -> datetime:
    """``"2026-12-01 09:00"`` local time as naive UTC."""
    return local_to_utc(datetime.fromisoformat(when))


@dataclass
class Person:
    id: int
    identifier: str  # what they log in with
    session_token: str  # the part of the session cookie a logout rotates
    api_token: str  # a bearer token for /api/v1


@dataclass
class AccessWorld:
    ids: dict[str, int] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    text: dict[str, str] = field(default_factory=dict)  # other values forms need

    def values(self) -> dict[str, object]:
        """Everything a URL or a form may name, for ``str.format``."""
        return {**self.ids, **self.text}


def _comment(topic, author, body: str, at: datetime, **extra) -> Comment:
    c = Comment(topic_id=topic.id, author_id=author.id, body=body, created_at=at, **extra)
    db.session.add(c)
    topic.comment_count += 1
    db.session.flush()
    return c


def _vote(topic, secretary, community, opens: datetime, closes: datetime, voters=()):
    with clock.frozen(opens):
        vote = votes.open_vote(secretary, topic, votes.VoteSpec(
            question=f"是否同意“{topic.title}”？", electorate="residents",
            rule="simple_majority", scope_key=f"community:{community.id}", opens_at=opens,
            closes_at=closes))
        db.session.commit()
    with clock.frozen(opens + timedelta(hours=1)):
        for person in voters:
            votes.cast(person, vote, "agree")
        db.session.commit()
    return vote


def _paper_ballots(vote, grid_worker, second_worker, neighbour, neighbour2) -> dict:
    """Paper ballots of the open vote: neighbour's printed and not yet entered; neighbour2's
    entered by the two grid workers differently (with a photo), waiting for a secretary. The
    resident's elector has none yet, so printing the first building makes one."""
    from consult.votes import paper
    from consult.votes.models import Elector
    from consult.votes.paper_models import PaperBallot, PaperEntry
    from consult.votes.paper_rules import new_serial

    with clock.frozen(NOW - timedelta(hours=6)):
        made = {}
        for name, person in (("printed", neighbour), ("disputed", neighbour2)):
            elector = db.session.scalar(db.select(Elector).where(
                Elector.vote_id == vote.id, Elector.key == f"user:{person.id}"))
            made[name] = PaperBallot(vote_id=vote.id, elector_id=elector.id,
                                     serial=new_serial(), printed_by_id=grid_worker.id)
            db.session.add(made[name])
        db.session.commit()
        paper.enter(grid_worker, vote, made["disputed"].serial, "agree",
                    photo=b"\x89PNG\r\n\x1a\n" + bytes(32))
        paper.enter(second_worker, vote, made["disputed"].serial, "oppose")
        db.session.commit()
    made["photo"] = db.session.scalar(db.select(PaperEntry).where(
        PaperEntry.paper_id == made["disputed"].id, PaperEntry.photo.is_not(None)))
    return made


def _reset_link(user) -> str:
    """The token of a valid one-time password-reset link for ``user``."""
    with clock.frozen(NOW - timedelta(minutes=10)):
        _user, token = reset.request_link(user.phone)
        db.session.commit()
    return token


def _activation_code(community, unit, secretary) -> dict[str, str]:
    """An owner of record imported from the roster, with no account yet, and the live
    activation code of their letter."""
    from consult.accounts.models import User
    from consult.activation import service as activation

    with clock.frozen(NOW - 2 * DAY):
        owner = User(name="花名册业主", phone="13600000077", password_hash=None)
        db.session.add(owner)
        db.session.flush()
        factories.owner(owner, unit)
        issued = activation.issue(secretary, activation.scope_of(
            community, f"building:{unit.building_id}"), activation.LETTER)
        db.session.commit()
    return {"roster_owner_phone": owner.phone, "activation_code": issued.letters[0].code}


def _failures(resident) -> dict[str, int]:
    """A message that could not be sent and a job that failed, for the administrators' page."""
    message = OutboxMessage(dedup_key="world-failed", user_id=resident.id, channel="sms",
                            to_address=resident.phone or "13900000001", purpose="vote.opened",
                            body="社区议事：表决已开始", status="failed", attempts=5,
                            last_error="isv.BUSINESS_LIMIT_CONTROL: busy")
    job = JobFailure(name="messages.send_due", params={}, error="RuntimeError: busy")
    db.session.add_all([message, job])
    db.session.flush()
    return {"failed_message": message.id, "failed_job": job.id}


def _data_export(resident) -> dict[str, int]:
    """A ready download of the resident's data, its file under the rig's instance folder."""
    from consult.mydata import service as mydata

    export = mydata.DataExport(user_id=resident.id, format="json", status="ready",
                               created_at=NOW - DAY, ready_at=NOW - DAY,
                               expires_at=NOW + 6 * DAY, file_path="world-export.json", size=2)
    (mydata.export_dir() / export.file_path).write_bytes(b"{}")
    db.session.add(export)
    db.session.flush()
    return {"data_export": export.id}


def build() -> AccessWorld:
    with clock.frozen(NOW):
        return _build()


def _build() -> AccessWorld:
    w = AccessWorld()
    ids = w.ids
    setup = NOW - 30 * DAY
    with clock.frozen(setup):
        a = factories.community("幸福社区", grids=1, buildings=2, units=4)
        a.cosign_threshold = 10  # one co-signature never sends a proposal to review
        g1 = a.grids[0]
        b1, b2 = g1.buildings
        empty_grid = Grid(community_id=a.id, name="2网格")
        empty_building = Building(grid_id=g1.id, name="3栋")
        db.session.add_all([empty_grid, empty_building])
        b = factories.community("和谐社区", grids=1, buildings=1, units=2)

        resident = factories.resident(a, "王居民", unit=b1.units[0], phone="13900000001")
        factories.owner(resident, b1.units[0])
        neighbour = factories.resident(a, "李邻居", unit=b1.units[1])
        neighbour2 = factories.resident(a, "张邻居", unit=b1.units[2])
        unverified = factories.resident(a, "待认证", unit=b1.units[3],
                                        status=ResidencyStatus.PENDING)
        outsider = factories.resident(b, "外社区居民")
        other_secretary = factories.office_holder(b, Role.SECRETARY, "外社区秘书")
        secretary = factories.office_holder(a, Role.SECRETARY, "钱秘书")
        admin = factories.office_holder(a, Role.ADMIN, "管理员")
        grid_worker = factories.grid_worker(g1, "赵网格员")
        db.session.flush()
        other_grid_worker = factories.grid_worker(empty_grid, "孙网格员")
        platform_admin = factories.user("平台管理员", platform_admin=True)
        admin_of_other = factories.office_holder(b, Role.ADMIN, "外社区管理员")
        no_roles = factories.user("无身份用户")
        studio = factories.studio(a, "幸福社区人大代表工作室",
                                  rooms=("接待室一", "接待室二", "空房间"))
        representative = factories.representative(a, "李代表", studios=[studio],
                                                  body="district_pc")
        second_rep = factories.representative(a, "周代表", studios=[studio])
        unattached_rep = factories.representative(a, "吴代表")
        bystander = factories.user("路人", phone="13500000000")  # logs in; gets a role
        hall = factories.hall(a, "居民议事厅", capacity=30)

        def topic(title, stage, proposer=neighbour, **kwargs):
            return factories.topic(a, proposer, title=title, stage=stage, **kwargs)

        t_draft = topic("我的草稿：楼顶防水", "draft", resident)
        t_proposed = topic("增设电动车充电桩", "proposed")
        t_cosigned = topic("小区东门增设门禁", "proposed")
        db.session.add(Cosignature(topic_id=t_cosigned.id, user_id=resident.id))
        t_cosigned.cosign_count = 1
        t_mine = topic("楼道增设感应灯", "proposed", resident)
        t_review = topic("垃圾分类亭搬迁", "in_review")
        t_open = topic("夜间广场舞音量", "commenting", days=40)
        t_ended = topic("楼道加装扶手", "commenting", days=10)
        t_agenda = topic("公共区域停车规划", "deliberating")
        chain = {name: topic(title, "deliberating") for name, title in (
            ("t_to_vote", "绿化带改造方案"), ("t_voting", "使用公共收益加装电梯"),
            ("t_voted", "更换小区大门"), ("t_publicised", "翻修儿童游乐场"),
            ("t_implementing", "修缮自行车棚"), ("t_done", "更换路灯"))}
        db.session.commit()

    # A past meeting whose published minutes put six topics to the vote.
    m_done = factories.meeting(hall, NOW - 25 * DAY, title="十一月居民议事会",
                               topics=list(chain.values()))
    with clock.frozen(NOW - 25 * DAY + timedelta(hours=3)):
        minutes_rules.save_draft(secretary, m_done, DraftInput(
            present_count=12, residents_count=9, body="会议讨论了六个议题。",
            resolutions=[ResolutionInput(topic_id=t.id, kind="vote", question="是否同意？",
                                         options="同意\n反对\n弃权")
                         for t in chain.values()]))
        minutes_rules.publish(secretary, m_done)
        db.session.commit()

    electorate = [resident, neighbour]
    closed = {}
    for name in ("t_voted", "t_publicised", "t_implementing", "t_done"):
        closed[name] = _vote(chain[name], secretary, a, NOW - 24 * DAY, NOW - 22 * DAY,
                             electorate)
    with clock.frozen(NOW - 21 * DAY):
        for vote in closed.values():
            votes.close(vote)  # stored now, as the scheduled close would have
        for name in ("t_implementing", "t_done"):
            outcomes.publish(secretary, chain[name], "同意，按方案实施。", days=5, act=True)
        db.session.commit()
    with clock.frozen(NOW - 15 * DAY):
        outcomes.settle_due_outcomes()
        db.session.commit()
    with clock.frozen(NOW - 3 * DAY):
        outcomes.mark_done(secretary, chain["t_done"], "已完工")
        db.session.commit()
    with clock.frozen(NOW - DAY):
        publicised = outcomes.publish(secretary, chain["t_publicised"], "同意翻修。", days=7)
        db.session.commit()
    voting = _vote(chain["t_voting"], secretary, a, NOW - DAY, NOW + 6 * DAY)
    papers = _paper_ballots(voting, grid_worker, factories.grid_worker(g1, "钱网格员"),
                            neighbour, neighbour2)
    # Proxies in the open vote (a residents' vote: each verified resident of A is an elector):
    # the neighbour asks the outsider (by phone) to vote for them, not accepted yet; a signed
    # paper form, with its scan, makes the outsider the resident's proxy.
    with clock.frozen(NOW - timedelta(hours=6)):
        outsider.phone = "13900000009"
        p_pending, _replaced, _known = vote_proxies.grant(
            neighbour, voting, votes.electors_of(neighbour, voting)[0], "外社区居民",
            outsider.phone)
        p_active, _replaced = vote_proxies.record_paper(
            secretary, voting, votes.electors_of(resident, voting)[0], "外社区居民",
            outsider.phone, "委托书 001", b"%PDF-1.4 signed form")
        e_neighbour2 = votes.electors_of(neighbour2, voting)[0].id
        db.session.commit()
    with clock.frozen(NOW - timedelta(hours=12)):
        objection = outcomes.lodge_objection(neighbour, chain["t_publicised"], "施工期太长。")
        db.session.commit()

    with clock.frozen(NOW - 2 * DAY):
        m_draft = factories.meeting(hall, NOW - 2 * DAY, title="上周议事会", topics=[t_agenda])
        minutes_rules.save_draft(secretary, m_draft, DraftInput(
            present_count=8, residents_count=6, resolutions=[ResolutionInput(
                topic_id=t_agenda.id, kind="vote", question="是否同意停车规划？",
                options="同意\n反对")]))
        db.session.commit()

    with clock.frozen(NOW - timedelta(minutes=5)):
        c_mine = _comment(t_open, resident, "音量应该限制在晚上九点以前。",
                          NOW - timedelta(minutes=5))  # still inside the edit window
        c_neighbour = _comment(t_open, neighbour, "赞成，老人需要休息。", NOW - DAY)
        c_reported = _comment(t_open, neighbour, "跳舞的人太自私了。", NOW - DAY,
                              open_report_count=1)
        db.session.add(CommentReport(comment_id=c_reported.id, reporter_id=neighbour2.id,
                                     reason="人身攻击", created_at=NOW - DAY))
        c_hidden = _comment(t_open, neighbour2, "广告内容", NOW - DAY, hidden_at=NOW - DAY,
                            hidden_by_id=secretary.id, hidden_reason="广告")
        db.session.commit()

    with clock.frozen(NOW):
        m_upcoming = factories.meeting(hall, NOW + 3 * DAY, title="十二月居民议事会",
                                       topics=[t_agenda])
        m_registered = factories.meeting(hall, NOW + 4 * DAY, title="停车专题会",
                                         topics=[t_agenda])
        halls.register(resident, m_registered)

        s_upcoming = factories.studio_session(studio, representative, local("2026-12-01 09:00"))
        s_open = factories.studio_session(studio, representative, local("2026-12-02 09:00"))
        s_past = factories.studio_session(studio, representative, local("2026-11-29 09:00"))
        r_mine = Reservation(session_id=s_upcoming.id, resident_id=resident.id,
                             slot_start=local("2026-12-01 09:00"),
                             slot_end=local("2026-12-01 09:20"), category="other",
                             matter="楼道灯坏了")
        r_attended = Reservation(session_id=s_past.id, resident_id=neighbour2.id,
                                 slot_start=local("2026-11-29 09:00"),
                                 slot_end=local("2026-11-29 09:20"), category="safety",
                                 matter="北门路灯坏了三个月，晚上出门不安全")
        r_waiting = Reservation(session_id=s_past.id, resident_id=neighbour.id,
                                slot_start=local("2026-11-29 09:20"),
                                slot_end=local("2026-11-29 09:40"), category="other",
                                matter="噪音扰民")
        db.session.add_all([r_mine, r_attended, r_waiting])
        db.session.flush()
        record = ReceptionRecord(reservation_id=r_attended.id, attendance="attended",
                                 raised="路灯坏了，已联系物业", follow_up="两周内答复",
                                 recorded_at=NOW - DAY, recorded_by_id=representative.id)
        db.session.add(record)
        # The resident's own matter, answered: they may rate it.
        r_answered = Reservation(session_id=s_past.id, resident_id=resident.id,
                                 slot_start=local("2026-11-29 09:40"),
                                 slot_end=local("2026-11-29 10:00"), category="property",
                                 matter="3栋电梯经常停运")
        db.session.add(r_answered)
        db.session.flush()
        db.session.add(ReceptionRecord(reservation_id=r_answered.id, attendance="attended",
                                       raised="3栋电梯每周停运两次", matter_status="answered",
                                       answer="物业已更换电梯控制板", answered_at=NOW - DAY,
                                       recorded_at=NOW - DAY, recorded_by_id=representative.id))
        everybody = [resident, unverified, outsider, other_secretary, secretary,
                     representative, admin, platform_admin, grid_worker]
        notify([p.id for p in everybody], "topic.reply", {
            "title": t_open.title, "name": neighbour.name, "topic_id": t_open.id},
            f"/topics/{t_open.id}#comment-{c_mine.id}")
        tokens = {name: create_token(person, "测试手机")
                  for name, person in (("unverified", unverified), ("outsider", outsider),
                                       ("resident", resident),
                                       ("other_secretary", other_secretary),
                                       ("secretary", secretary),
                                       ("representative", representative), ("admin", admin),
                                       ("platform_admin", platform_admin),
                                       ("grid_worker", grid_worker),
                                       ("admin_of_other", admin_of_other),
                                       ("no_roles", no_roles), ("neighbour", neighbour),
                                       ("second_rep", second_rep),
                                       ("unattached_rep", unattached_rep),
                                       ("other_grid_worker", other_grid_worker))}
        consent = Consent(resident_id=resident.id, grid_id=g1.id, scope="vote_comment",
                          source="online", evidence="", starts_at=NOW - DAY,
                          ends_at=NOW + 60 * DAY)
        db.session.add(consent)
        db.session.flush()
        db.session.commit()

    secretary_grant = db.session.scalar(db.select(RoleGrant).where(
        RoleGrant.user_id == secretary.id))
    second_attachment = db.session.scalar(db.select(StudioRepresentative).where(
        StudioRepresentative.user_id == second_rep.id))
    pending = db.session.scalar(db.select(Residency).where(
        Residency.user_id == unverified.id))
    ids.update({
        "community": a.id, "other_community": b.id, "grid": g1.id, "empty_grid": empty_grid.id,
        "building": b2.id, "empty_building": empty_building.id,
        "empty_unit": b2.units[0].id, "secretary_grant": secretary_grant.id,
        "pending_residency": pending.id, "hall": hall.id,
        "m_upcoming": m_upcoming.id, "m_registered": m_registered.id, "m_done": m_done.id,
        "m_draft": m_draft.id, "t_agenda": t_agenda.id,
        "t_draft": t_draft.id, "t_proposed": t_proposed.id, "t_cosigned": t_cosigned.id,
        "t_mine": t_mine.id, "t_review": t_review.id, "t_open": t_open.id,
        "t_ended": t_ended.id, **{name: t.id for name, t in chain.items()},
        "v_voting": voting.id, "v_voted": closed["t_voted"].id,
        "paper_building": b1.id, "p_disputed": papers["disputed"].id,
        "paper_photo": papers["photo"].id,
        "p_pending": p_pending.id, "p_active": p_active.id, "e_neighbour2": e_neighbour2,
        "outcome": publicised.id, "objection": objection.id,
        "c_mine": c_mine.id, "c_neighbour": c_neighbour.id, "c_reported": c_reported.id,
        "c_hidden": c_hidden.id,
        "studio": studio.id, "spare_room": studio.rooms[2].id, "room2": studio.rooms[1].id,
        "hours": studio.hours[-1].id, "second_attachment": second_attachment.id,
        "unattached_rep": unattached_rep.id, "rep": representative.id,
        "s_upcoming": s_upcoming.id, "s_open": s_open.id, "s_past": s_past.id,
        "r_mine": r_mine.id, "r_waiting": r_waiting.id, "r_answered": r_answered.id,
        "r_attended": r_attended.id, "reception_record": record.id,
        "notification": db.session.scalar(db.select(Notification.id).where(
            Notification.user_id == resident.id)),
        "bystander": bystander.id,
        "resident_token": tokens["resident"][0].id,
        "consent": consent.id, "resident_user": resident.id,
        **_failures(resident),
        **_data_export(resident),
    })
    w.text.update({
        "free_slot": local("2026-12-02 09:40").strftime(SLOT_KEY_FORMAT),
        "bystander_phone": bystander.phone,
        "paper_serial": papers["printed"].serial,
        "mydata_section": "comments",
        "reset_token": _reset_link(bystander),
        "unsubscribe_token": unsubscribe_token(resident.id, "replies"),
        **_activation_code(a, b2.units[1], secretary),
    })
    personas = {"unverified": unverified, "outsider": outsider, "resident": resident,
                "other_secretary": other_secretary, "secretary": secretary,
                "representative": representative, "admin": admin,
                "platform_admin": platform_admin, "grid_worker": grid_worker,
                # beyond the ten personas (see the module's docstring)
                "admin_of_other": admin_of_other, "no_roles": no_roles, "neighbour": neighbour,
                "second_rep": second_rep, "unattached_rep": unattached_rep,
                "other_grid_worker": other_grid_worker}
    for name, user in personas.items():
        w.people[name] = Person(user.id, user.email, user.session_token, tokens[name][1])
    return w


# The table a writing statement names ("INSERT INTO x", "UPDATE x", "DELETE FROM x").
_WRITTEN_TABLE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([A-Za-z_][\w]*)"?\s',
                            re.IGNORECASE)


# --- the rig: one app and one world per test module, restored after a test changes it -------

class Rig:
    """An app on its own database holding the access world, built once for a test module.

    A test that changes the database marks the rig dirty; the next test first restores the
    world: on SQLite by copying back the file saved after building it, on PostgreSQL by
    emptying the tables written since and inserting again their rows saved after building it.
    """

    def __init__(self, template, directory: Path, config: dict | None = None, *,
                 name: str = "access"):
        from tests.conftest import ON_POSTGRES, base_config

        self.on_postgres = ON_POSTGRES
        if ON_POSTGRES:
            # A database of its own: under pytest-xdist other modules' tests may run between
            # this module's tests and empty the worker's database.
            url = _own_postgres_database(template, name)
        else:
            self.path = directory / "world.sqlite3"
            self.saved = directory / "world-saved.sqlite3"
            shutil.copyfile(template, self.path)
            url = f"sqlite:///{self.path}"
        # The rig's own instance folder, without leaving it set for the tests that follow.
        previous = os.environ.get("CONSULT_INSTANCE_PATH")
        os.environ["CONSULT_INSTANCE_PATH"] = str(directory / "instance")
        try:
            self.app = create_app({**base_config(url), **(config or {})})
        finally:
            if previous is None:
                del os.environ["CONSULT_INSTANCE_PATH"]
            else:
                os.environ["CONSULT_INSTANCE_PATH"] = previous
        with self.app.app_context():
            self.tables = [t.name for t in db.metadata.sorted_tables]
        self.dirty = False
        with self.app.app_context():
            if ON_POSTGRES:  # left over from an earlier module in this process
                with db.engine.begin() as conn:
                    conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in self.tables)
                                      + " RESTART IDENTITY CASCADE"))
            self.world = build()
            if ON_POSTGRES:
                with db.engine.connect() as conn:
                    self.rows = {t: [dict(r._mapping) for r in conn.execute(t.select())]
                                 for t in db.metadata.sorted_tables}
                self._touched: set[str] = set()
                event.listen(db.engine, "after_cursor_execute", self._saw)
            db.session.remove()
            db.engine.dispose()  # SQLite: the WAL is folded into the file before it is saved
        if not ON_POSTGRES:
            shutil.copyfile(self.path, self.saved)
        # Files of the world (a download of "my data", photos) are put back too: a test that
        # closes an account removes that person's files.
        self.instance = directory / "instance"
        self.instance_saved = directory / "instance-saved"
        if self.instance.exists():
            shutil.copytree(self.instance, self.instance_saved)

    def _saw(self, _conn, _cursor, statement, *_args) -> None:
        """Note the table a writing statement of this process names (PostgreSQL)."""
        head = statement.lstrip()[:8].upper()
        if not head.startswith(("INSERT", "UPDATE", "DELETE", "WITH", "TRUNCATE", "ALTER",
                                "DROP", "CREATE")):
            return
        match = _WRITTEN_TABLE.match(statement)
        self._touched.add(match.group(1) if match else "*")

    def _changed_tables(self) -> list:
        """The tables to put back: those a statement wrote to, those whose rows a cascade of
        theirs can change (ON DELETE CASCADE or SET NULL), and any whose count differs from the
        saved world (a write this process did not see). Every table if a statement was not
        understood."""
        tables = db.metadata.sorted_tables
        if "*" in self._touched:
            return tables
        names = set(self._touched)
        while True:
            more = {t.name for t in tables for fk in t.foreign_keys
                    if fk.column.table.name in names and fk.ondelete is not None} - names
            if not more:
                break
            names |= more
        counted = self.counts()
        names |= {t.name for t in tables if counted[t.name] != len(self.rows[t])}
        return [t for t in tables if t.name in names]

    def _refill(self) -> None:
        with self.app.app_context(), db.engine.begin() as conn:
            changed = self._changed_tables()
            # DELETE is quicker than TRUNCATE on tables this small; with triggers off
            # (session_replication_role) the audit log's append-only trigger lets it through.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in reversed(changed):
                conn.execute(table.delete())
            conn.execute(text("SET LOCAL session_replication_role = origin"))
            for table in changed:
                rows = self.rows[table]
                if rows:
                    conn.execute(table.insert(), rows)
                if "id" in table.c:  # the next id continues after the saved rows
                    conn.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                        f'COALESCE(max(id), 0) + 1, false) FROM "{table.name}"'))
        self._touched.clear()  # after the statements above, which it saw too

    def restore(self) -> None:
        if self.on_postgres:
            self._refill()
        else:
            with self.app.app_context():
                db.session.remove()
                db.engine.dispose()
            for suffix in ("-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(self.saved, self.path)
        written.written_elsewhere()  # nothing kept from the changed world holds
        if self.instance_saved.exists():
            shutil.rmtree(self.instance, ignore_errors=True)
            shutil.copytree(self.instance_saved, self.instance)
        self.dirty = False

    def fresh(self) -> None:
        """Restore the world if the last test changed it."""
        if self.dirty:
            self.restore()

    def query(self, sql: str) -> list:
        with self.app.app_context():
            return [tuple(row) for row in db.session.execute(text(sql))]

    def counts(self) -> dict[str, int]:
        """Rows in every table, in one statement."""
        with self.app.app_context():
            row = db.session.execute(text("SELECT " + ", ".join(
                f'(SELECT count(*) FROM "{t}")' for t in self.tables))).one()
        return dict(zip(self.tables, row))

    def client(self, persona: str, *, session: bool = True):
        """A test client as ``persona``: logged in through the session cookie, unless
        ``session`` is false (API calls carry the bearer token instead)."""
        client = self.app.test_client()
        client.set_cookie("lang", "en")
        if persona != "visitor" and session:
            person = self.world.people[persona]
            with client.session_transaction() as sess:
                sess["_user_id"] = f"{person.id}:{person.session_token}"
                sess["_fresh"] = True
        return client

    def bearer(self, persona: str) -> dict:
        if persona == "visitor":
            return {}
        return {"Authorization": f"Bearer {self.world.people[persona].api_token}"}

    def close(self) -> None:
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


_MIGRATED: set[str] = set()


def _own_postgres_database(template_url: str, name: str) -> str:
    """``<worker database>_<name>``, created and migrated once per test process."""
    from flask_migrate import upgrade

    from tests.conftest import base_config, postgres_database

    url = postgres_database(template_url, name)
    if url in _MIGRATED:
        return url
    app = create_app(base_config(url))
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()
    _MIGRATED.add(url)
    return url


def changed_tables(before: dict[str, int], after: dict[str, int]) -> list[str]:
    return [f"{t} {before[t]}→{after[t]}" for t in before if before[t] != after[t]]
