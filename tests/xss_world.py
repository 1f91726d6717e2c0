"""A community whose every user-entered text is a hostile payload, for the stored-XSS tests.

Each text field has a code (``"topic.title"``) and a marker (``zx107``) that appears inside
its payload, so a script, an event handler or a ``javascript:`` URL found on a page can be
traced back to the field it came from. ``build(kind)`` takes the whole process through the
real services (roster import, registration, residency, proposal, comments and moderation,
meeting and minutes with a correction, a vote, the outcome with objection, implementation and
rating, a studio with sessions, reservations and reception records, an API token) with the
clock moved back, so every text is stored the way real use stores it.

Time: pages are read at NOW, Monday 2026-12-14 10:00 in Shanghai (02:00 UTC).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from consult import clock
from consult.accounts.models import Role
from consult.clock import to_local
from consult.extensions import db
from tests import factories

NOW = datetime(2026, 12, 14, 2, 0)

# code -> (what it is, the longest text the field takes, rendered as markdown)
FIELDS: dict[str, tuple[str, int, bool]] = {}


def _field(code: str, what: str, max_len: int, markdown: bool = False) -> None:
    FIELDS[code] = (what, max_len, markdown)


for _code, _what, _max in [
    ("community.name", "community name", 80),
    ("community.district", "community district", 80),
    ("community.street_office", "community street office", 80),
    ("grid.1", "grid name (roster)", 80),
    ("grid.2", "second grid name (roster)", 80),
    ("grid.3", "third grid name (roster)", 80),
    ("grid.4", "fourth grid name (roster)", 80),
    ("building.1", "building name (roster)", 80),
    ("building.2", "second building name (roster)", 80),
    ("building.3", "third building name (roster)", 80),
    ("building.4", "fourth building name (roster)", 80),
    ("unit.1", "home number (roster)", 40),
    ("unit.2", "second home number (roster)", 40),
    ("unit.3", "third home number (roster)", 40),
    ("unit.4", "fourth home number (roster)", 40),
    ("unit.5", "fifth home number (roster)", 40),
    ("unit.6", "sixth home number (roster)", 40),
    ("owner.name", "owner name (roster)", 50),
    ("admin.name", "administrator's name", 50),
    ("secretary.name", "secretary's name", 50),
    ("rep.name", "representative's name", 50),
    ("r0.name", "resident 0's name (proposer)", 50),
    ("r1.name", "resident 1's name", 50),
    ("r2.name", "resident 2's name", 50),
    ("r3.name", "resident 3's name", 50),
    ("r4.name", "resident 4's name", 50),
    ("r5.name", "resident 5's name", 50),
    ("pending.name", "name of a resident awaiting verification", 50),
    ("refused.name", "name of a resident refused verification", 50),
    ("residency.note", "residency request note", 500),
    ("residency.refusal", "residency refusal reason", 500),
    ("topic.title", "topic title", 80),
    ("comment.body", "comment", 2000),
    ("comment.reply", "reply to a comment", 2000),
    ("comment.edited", "edited comment", 2000),
    ("comment.hidden", "hidden comment", 2000),
    ("comment.hide_reason", "moderator's reason for hiding", 500),
    ("comment.reported", "reported comment", 2000),
    ("comment.report_reason", "report reason", 500),
    ("comment.fresh", "comment still open for editing", 2000),
    ("rejected.title", "title of a rejected topic", 80),
    ("rejected.reason", "rejection reason", 1000),
    ("withdrawn.title", "title of a withdrawn topic", 80),
    ("withdrawn.reason", "withdrawal reason", 1000),
    ("proposed.title", "title of a proposal gathering co-signatures", 80),
    ("draft.title", "draft title", 80),
    ("closing.title", "title of a topic whose comments close soon", 80),
    ("deliberating.title", "title of a topic in deliberation", 80),
    ("hall.name", "hall name", 80),
    ("hall.address", "hall address", 200),
    ("hall.accessibility", "hall accessibility note", 1000),
    ("meeting.title", "meeting title", 120),
    ("cancelled_meeting.title", "title of a cancelled meeting", 120),
    ("meeting.cancel_reason", "meeting cancel reason", 500),
    ("upcoming_meeting.title", "title of an upcoming meeting", 120),
    ("minutes.officials", "officials present (minutes)", 1000),
    ("minutes.summary", "resolution summary (minutes)", 5000),
    ("minutes.question", "question in the minutes", 300),
    ("minutes.option", "vote option in the minutes", 80),
    ("minutes.correction", "correction note (minutes)", 1000),
    ("vote.question", "vote question", 500),
    ("vote.option.1", "first vote option", 80),
    ("vote.option.2", "second vote option", 80),
    ("vote.option.3", "third vote option", 80),
    ("outcome.decision", "outcome decision", 5000),
    ("objection.body", "objection", 2000),
    ("objection.answer", "answer to an objection", 2000),
    ("outcome.responsible", "who is responsible for implementation", 200),
    ("progress.body", "implementation progress note", 2000),
    ("done.note", "implementation done note", 1000),
    ("rating.comment", "rating comment", 2000),
    ("studio.name", "studio name", 80),
    ("studio.address", "studio address", 200),
    ("room.name", "studio room name", 80),
    ("profile.area", "area a representative serves", 200),
    ("profile.bio", "representative biography", 2000),
    ("session.focus", "focus of a past studio session", 200),
    ("session2.focus", "focus of an upcoming studio session", 200),
    ("reservation.matter", "matter of a reservation (recorded, became a topic)", 500),
    ("reservation.matter2", "matter of a reservation not attended", 500),
    ("reservation.matter3", "matter of an upcoming reservation", 500),
    ("reservation.matter4", "matter of a reservation in a cancelled session", 500),
    ("reception.raised", "what was raised at a reception", 2000),
    ("reception.follow_up", "reception follow-up", 2000),
    ("session.cancel_reason", "studio session cancel reason", 500),
    ("token.name", "API device name", 80),
    ("ready.title", "title of a topic the minutes put to a vote", 80),
    ("voted.title", "title of a topic whose vote closed", 80),
    ("balloting.title", "title of a topic being voted on", 80),
    ("draft_minutes.note", "note of a correction still in draft", 1000),
    # Typed into a form that refuses it: the page shown again must keep it, inertly.
    ("typed.name", "name typed into the registration form", 50),
    ("typed.title", "title typed into the proposal form", 80),
    ("typed.comment", "comment typed into the comment form", 2000),
    ("typed.reason", "report reason typed into the report form", 500),
    ("typed.meeting_title", "meeting title typed into the schedule form", 120),
    ("typed.focus", "session focus typed into the booking form", 200),
    ("typed.address", "hall address typed into the new hall form", 200),
    ("roster.grid", "grid name in a roster file with errors", 80),
    ("roster.building", "building name in a roster file with errors", 80),
    ("roster.unit", "home number in a roster file with errors", 40),
    ("roster.area", "floor area cell in a roster file with errors", 80),
    ("roster.owner", "owner name in a roster file with errors", 50),
    ("roster.email", "owner e-mail in a roster file with errors", 254),
]:
    _field(_code, _what, _max)
_field("topic.description", "topic description", 10_000, markdown=True)
_field("draft.description", "draft description", 10_000, markdown=True)
_field("minutes.body", "minutes body", 30_000, markdown=True)
_field("minutes.body2", "text added by a minutes correction", 30_000, markdown=True)
_field("draft_minutes.body", "minutes body of a correction still in draft", 30_000,
       markdown=True)
_field("typed.description", "description typed into the proposal form", 10_000, markdown=True)

MARKERS = {code: f"zx{n}" for n, code in enumerate(FIELDS, start=100)}
FIELD_OF_MARKER = {m: code for code, m in MARKERS.items()}

# One kind of attack per world; ``{m}`` is the field's marker. Each fits the shortest field
# (40 characters); two carry a template expression that must stay literal text.
HTML_KINDS = {
    "script": "<script>alert('{m}')</script>{{{{7*7}}}}",
    "attribute": "\"'><img src=x onerror=alert('{m}')>",
    "svg": "<svg/onload=alert('{m}')>{{{{ 7*7 }}}}",
    "link": "<a href=javascript:alert('{m}')>x</a>",
    "markdown": "[{m}](javascript:alert('{m}'))",
}
# Markdown fields get, after the first line, the ways people sneak a script past a renderer.
MARKDOWN_EXTRA = "\n\n".join([
    "[{m}b](JaVaScRiPt:alert('{m}'))",
    "[{m}c](javascript&#58;alert('{m}'))",
    "<javascript:alert('{m}')>",
    "[{m}d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[{m}e](vbscript:msgbox('{m}'))",
    "![{m}f](javascript:alert('{m}'))",
    "[{m}g]\n\n[{m}g]: javascript:alert('{m}')",
    "<a href=\"javascript:alert('{m}')\" onclick=\"alert('{m}')\">{m}h</a>",
    "<div hx-get=\"/logout\" hx-trigger=\"load\">{m}i</div>",
    "[{m} safe](https://example.org/{m})",
])
SAFE_LINK = "https://example.org/{m}"  # the one link of a markdown field that must stay a link
# Calendar feeds: a line break must not end the event and start a forged one.
ICS_INJECTION = "\nEND:VEVENT\nBEGIN:VEVENT\nUID:forged@x.test\nSUMMARY:{m}"
MULTILINE = {"meeting.cancel_reason", "session.cancel_reason"}
# Spreadsheet formulas; the CSV downloads must defuse every one.
FORMULA_STARTS = ["=HYPERLINK(\"http://x.test\",\"{m}\")", "+{m}+cmd|' /C calc'!A0",
                  "-{m}-1+1", "@SUM(1+1)*{m}"]
# Text no form lets through (every service strips it), stored directly: the CSV must still
# defuse a cell that starts with a tab or a carriage return.
RAW_STARTS = {"grid.3": "\t=1+1{m}", "grid.4": "\r=1+1{m}"}
FORMULA_FIELDS = {"vote.option.1": 0, "vote.option.2": 1, "vote.option.3": 2, "grid.1": 3,
                  "grid.2": 0}
KINDS = [*HTML_KINDS, "formula"]


def payload(kind: str, code: str) -> str:
    """The text stored in field ``code`` in the world of ``kind``."""
    _what, max_len, markdown = FIELDS[code]
    m = MARKERS[code]
    if kind == "formula":
        text = FORMULA_STARTS[FORMULA_FIELDS.get(code, list(FIELDS).index(code) % 4)]
        text = text.format(m=m)
    else:
        text = HTML_KINDS[kind].format(m=m)
        if markdown:
            text += "\n\n" + MARKDOWN_EXTRA.format(m=m)
    if code in MULTILINE:
        text += ICS_INJECTION.format(m=m)
    assert len(text) <= max_len, (code, text)
    return text


def first_line(text: str) -> str:
    return text.split("\n", 1)[0]


@dataclass
class World:
    kind: str
    text: dict[str, str]  # field code -> the payload stored there
    ids: dict[str, int] = field(default_factory=dict)  # "topic", "meeting", "vote", ...
    users: dict[str, object] = field(default_factory=dict)  # "admin", "r0", ... -> User


def build(kind: str) -> World:
    """Build the world of ``kind`` and commit it."""
    from consult.accounts import service as accounts
    from consult.accounts.passwords import hash_password
    from consult.admin import service as admin_service
    from consult.api.tokens import create_token
    from consult.community import residency
    from consult.community.models import Grid, Unit
    from consult.halls import minutes, service as halls
    from consult.halls.minutes import DraftInput, ResolutionInput
    from consult.outcomes import service as outcomes
    from consult.permissions import forget_memberships
    from consult.privacy import rules as privacy_rules
    from consult.privacy import service as privacy
    from consult.roster.importer import import_roster
    from consult.roster.parsing import parse_roster
    from consult.studios import booking, reception, service as studios
    from consult.studios.slots import slots_of
    from consult.topics import comments, from_reception, service as topics
    from consult.votes import service as votes
    from consult.votes.service import VoteSpec

    t = {code: payload(kind, code) for code in FIELDS}
    w = World(kind, t)
    ids, users = w.ids, w.users

    def at(moment: datetime):
        return clock.frozen(moment.replace(microsecond=0))

    def local_day(moment: datetime, days: int = 0) -> str:
        return (to_local(moment).date() + timedelta(days=days)).isoformat()

    setup = NOW - timedelta(days=30)
    with at(setup):
        users["admin"] = factories.user(t["admin.name"], platform_admin=True)
        community = admin_service.create_community(
            users["admin"], name=t["community.name"], district=t["community.district"],
            street_office=t["community.street_office"], cosign_threshold=2)
        # The tree and one owner come from a roster file, as a community office uploads it.
        # For spreadsheet formulas, grids 3 and 4 get a leading tab / CR afterwards: the
        # roster trims cells, but the CSV downloads must not rely on that.
        g3, g4 = ("grid-3", "grid-4") if kind == "formula" else (t["grid.3"], t["grid.4"])
        rows = [(t["grid.1"], t["building.1"], t["unit.1"], "88.50", t["owner.name"],
                 "13912345678", ""),
                (t["grid.1"], t["building.1"], t["unit.2"], "90.00", "", "", ""),
                (t["grid.1"], t["building.1"], t["unit.3"], "76.25", "", "", ""),
                (t["grid.2"], t["building.2"], t["unit.4"], "101.00", "", "", ""),
                (t["grid.2"], t["building.2"], t["unit.5"], "66.00", "", "", ""),
                (g3, t["building.3"], t["unit.6"], "80.00", "", "", ""),
                (g4, t["building.4"], t["unit.6"], "80.00", "", "", "")]
        import_roster(community.name, parse_roster(factories.roster_csv(*rows)),
                      actor=users["admin"])
        if kind == "formula":
            grids = {g.name: g for g in db.session.scalars(
                select(Grid).where(Grid.community_id == community.id))}
            for name, code in (("grid-3", "grid.3"), ("grid-4", "grid.4")):
                grids[name].name = t[code] = RAW_STARTS[code].format(m=MARKERS[code])
            db.session.flush()
        units = db.session.scalars(select(Unit).order_by(Unit.id)).all()
        ids.update(community=community.id, grid=units[0].building.grid_id, unit=units[0].id,
                   building=units[0].building_id, building2=units[3].building_id,
                   building3=units[5].building_id)

        def person(key: str, n: int):
            u = accounts.create_account(t[f"{key}.name"], f"{key}{n}@xss.example", None,
                                        hash_password(factories.PASSWORD))
            # as registering records it (consult/accounts/signup.py)
            privacy.record(u, privacy_rules.current().id, "register")
            users[key] = u
            return u

        home_of = [0, 1, 3, 4, 5, 6]  # r4 and r5 live in grids 3 and 4
        for i in range(6):
            r = person(f"r{i}", i)
            res = residency.request_residency(r, units[home_of[i]], "owner",
                                              t["residency.note"] if i == 0 else "")
            residency.decide(users["admin"], res, True, "房产证原件已当面核对无误")
        pending = person("pending", 10)
        residency.request_residency(pending, units[2], "tenant", t["residency.note"])
        refused = person("refused", 11)
        res = residency.request_residency(refused, units[2], "family", "")
        residency.decide(users["admin"], res, False, t["residency.refusal"])
        for key, role in (("secretary", Role.SECRETARY), ("rep", Role.REPRESENTATIVE)):
            person(key, 20)
            admin_service.grant_role(users["admin"], community, users[key].email, role.value)
        forget_memberships()

        hall = halls.create_hall(users["admin"], community, name=t["hall.name"],
                                 address=t["hall.address"], capacity=30,
                                 accessibility=t["hall.accessibility"])
        studio = studios.create_studio(users["admin"], community, kind="peoples_congress",
                                       name=t["studio.name"], address=t["studio.address"])
        room = studios.add_room(users["admin"], studio, t["room.name"])
        for weekday in range(7):
            studios.add_hours(users["admin"], studio, weekday, "08:00", "21:00")
        studios.attach(users["admin"], studio, users["rep"].id)
        studios.save_profile(users["admin"], community, users["rep"], body="district_pc",
                             area_served=t["profile.area"], bio=t["profile.bio"])
        ids.update(hall=hall.id, studio=studio.id, room=room.id)
        create_token(users["r0"], t["token.name"])
    r0, r1, r2, r3, r4, r5 = (users[f"r{i}"] for i in range(6))
    secretary, rep = users["secretary"], users["rep"]
    scope = f"community:{community.id}"

    def propose(author, title, description, when, signers=()):
        with at(when):
            topic = topics.save_draft(author, title=title, description=description,
                                      category="property", scope_key=scope)
            topics.submit(author, topic)
        for n, who in enumerate(signers):
            with at(when + timedelta(hours=1 + n)):
                topics.cosign(who, topic)
        return topic

    # --- the topic taken all the way: comment, meeting, minutes, vote, outcome, rating ---
    d0 = NOW - timedelta(days=25)
    topic = propose(r0, t["topic.title"], t["topic.description"], d0, [r1, r2])
    with at(d0 + timedelta(hours=12)):
        topics.accept(secretary, topic, 3)
    talk = d0 + timedelta(days=1)
    with at(talk):
        c1 = comments.post(r1, topic, t["comment.body"])
        c2 = comments.post(r2, topic, t["comment.reply"], c1.id)
        c3 = comments.post(r3, topic, t["comment.hidden"])
        comments.hide(secretary, c3, t["comment.hide_reason"])
        c4 = comments.post(r2, topic, "先写一句，稍后补充。")
        c5 = comments.post(r3, topic, t["comment.reported"])
        comments.report(r1, c5, t["comment.report_reason"])
    with at(talk + timedelta(minutes=5)):
        comments.edit(r2, c4, t["comment.edited"])
    ids.update(topic=topic.id, comment=c1.id, reply=c2.id, hidden=c3.id, edited=c4.id,
               reported=c5.id)

    with at(d0 + timedelta(days=4)):
        meeting = halls.schedule_meeting(
            secretary, community, hall_id=hall.id, day=local_day(d0, 5), start="19:00",
            end="20:30", title=t["meeting.title"], topic_ids=[str(topic.id)])
        halls.register(r1, meeting)
    options = [t["vote.option.1"], t["vote.option.2"], t["vote.option.3"]]
    with at(meeting.ends_at + timedelta(hours=2)):
        resolution = ResolutionInput(
            topic_id=topic.id, summary=t["minutes.summary"], kind="vote",
            question=t["minutes.question"],
            options="\n".join([t["minutes.option"], "同意", "反对"]))
        draft = DraftInput(present_count=10, officials_present=t["minutes.officials"],
                           residents_count=8, body=t["minutes.body"], resolutions=[resolution])
        minutes.save_draft(secretary, meeting, draft)
        minutes.publish(secretary, meeting)
        minutes.start_correction(secretary, meeting, t["minutes.correction"])
        draft.body = t["minutes.body"] + "\n\n" + t["minutes.body2"]
        minutes.save_draft(secretary, meeting, draft)
        minutes.publish(secretary, meeting)
        opened = clock.utcnow()
        vote = votes.open_vote(secretary, topic, VoteSpec(
            question=t["vote.question"], electorate="households", rule="simple_majority",
            scope_key=scope, opens_at=opened, closes_at=opened + timedelta(days=3),
            options=tuple(options)))
        db.session.commit()  # the vote's electorate is frozen by its job when this commits
    ids.update(meeting=meeting.id, vote=vote.id)
    with at(opened + timedelta(hours=1)):
        for who, choice in zip((r0, r1, r2, r3, r4, r5), (0, 0, 1, 2, 0, 1)):
            votes.cast(who, vote, options[choice])
            ids.setdefault("tracker", votes.my_ballots(who, vote)[0].tracker)
    published = vote.closes_at + timedelta(hours=3)
    with at(published):
        votes.close(vote)
        outcomes.publish(secretary, topic, t["outcome.decision"], 7, act=True)
    with at(published + timedelta(days=1)):
        objection = outcomes.lodge_objection(r1, topic, t["objection.body"])
    with at(published + timedelta(days=2)):
        outcomes.answer_objection(secretary, objection, t["objection.answer"])
    effective = published + timedelta(days=7)
    outcomes.settle_due_outcomes(effective)
    with at(effective + timedelta(hours=2)):
        topics.follow(r3, topic)
        outcomes.plan(secretary, topic, t["outcome.responsible"],
                      to_local(effective).date() + timedelta(days=20))
    with at(effective + timedelta(days=1)):
        outcomes.post_progress(secretary, topic, t["progress.body"], 60)
    with at(effective + timedelta(days=2)):
        outcomes.mark_done(secretary, topic, t["done.note"])
    with at(effective + timedelta(days=2, hours=5)):
        outcomes.rate(r2, topic, 4, t["rating.comment"])

    # --- topics at the other stages ---
    rejected = propose(r1, t["rejected.title"], "要点", NOW - timedelta(days=10), [r0, r2])
    with at(NOW - timedelta(days=9)):
        topics.reject(secretary, rejected, t["rejected.reason"])
    withdrawn = propose(r2, t["withdrawn.title"], "要点", NOW - timedelta(days=10))
    with at(NOW - timedelta(days=9)):
        topics.withdraw(r2, withdrawn, t["withdrawn.reason"])
    proposed = propose(r3, t["proposed.title"], "要点", NOW - timedelta(days=1), [r0])
    with at(NOW - timedelta(days=1)):
        draft_topic = topics.save_draft(r0, title=t["draft.title"],
                                        description=t["draft.description"],
                                        category="property", scope_key=scope)
    closing = propose(r4, t["closing.title"], "要点", NOW - timedelta(days=3), [r0, r1])
    with at(NOW - timedelta(days=2, hours=14)):
        topics.accept(secretary, closing, 3)
    with at(NOW - timedelta(minutes=5)):
        fresh = comments.post(r1, closing, t["comment.fresh"])
    deliberating = propose(r5, t["deliberating.title"], "要点", NOW - timedelta(days=12),
                           [r0, r1])
    with at(NOW - timedelta(days=11)):
        topics.accept(secretary, deliberating, 3)
    with at(NOW - timedelta(days=7)):
        topics.move_to_deliberation(secretary, deliberating)
    ids.update(rejected=rejected.id, withdrawn=withdrawn.id, proposed=proposed.id,
               draft=draft_topic.id, closing=closing.id, fresh=fresh.id,
               deliberating=deliberating.id)

    # --- three topics of one past meeting: a vote to open, a closed vote to publish, and
    # a vote under way ---
    start = NOW - timedelta(days=20)
    ready = propose(r0, t["ready.title"], "要点", start, [r1, r2])
    voted = propose(r1, t["voted.title"], "要点", start, [r0, r2])
    balloting = propose(r2, t["balloting.title"], "要点", start, [r0, r1])
    agenda = (ready, voted, balloting)
    with at(start + timedelta(hours=12)):
        for item in agenda:
            topics.accept(secretary, item, 3)
    with at(start + timedelta(days=4)):
        both = halls.schedule_meeting(
            secretary, community, hall_id=hall.id, day=local_day(start, 5), start="19:00",
            end="20:30", title=t["meeting.title"], topic_ids=[str(i.id) for i in agenda])
    with at(both.ends_at + timedelta(hours=2)):
        decided = DraftInput(present_count=5, residents_count=5, resolutions=[
            ResolutionInput(topic_id=item.id, kind="vote", question=t["minutes.question"],
                            options="\n".join([t["minutes.option"], "同意", "反对"]))
            for item in agenda])
        minutes.save_draft(secretary, both, decided)
        minutes.publish(secretary, both)
        # A correction the office has begun and not yet published: its forms show it.
        minutes.start_correction(secretary, both, t["draft_minutes.note"])
        decided.body = t["draft_minutes.body"]
        minutes.save_draft(secretary, both, decided)
        opened = clock.utcnow()
        second = votes.open_vote(secretary, voted, VoteSpec(
            question=t["vote.question"], electorate="households", rule="simple_majority",
            scope_key=scope, opens_at=opened, closes_at=opened + timedelta(days=3),
            options=tuple(options)))
        db.session.commit()
    with at(opened + timedelta(hours=1)):
        for who, choice in zip((r0, r1, r2), (2, 2, 0)):
            votes.cast(who, second, options[choice])
    with at(second.closes_at + timedelta(hours=1)):
        votes.close(second)
    with at(NOW - timedelta(days=1)):
        ballot = votes.open_vote(secretary, balloting, VoteSpec(
            question=t["vote.question"], electorate="residents", rule="simple_majority",
            scope_key=scope, opens_at=clock.utcnow(), closes_at=NOW + timedelta(days=3),
            options=tuple(options)))
        db.session.commit()
        votes.cast(r0, ballot, options[1])
    ids.update(ready=ready.id, voted=voted.id, second_vote=second.id, both_meeting=both.id,
               balloting=balloting.id, open_vote=ballot.id,
               open_tracker=votes.my_ballots(r0, ballot)[0].tracker)

    # --- meetings still to come: one cancelled, one on ---
    with at(NOW - timedelta(days=1)):
        cancelled = halls.schedule_meeting(
            secretary, community, hall_id=hall.id, day=local_day(NOW, 3), start="19:00",
            end="20:30", title=t["cancelled_meeting.title"],
            topic_ids=[str(deliberating.id)])
        halls.register(r2, cancelled)
    with at(NOW - timedelta(hours=20)):
        halls.cancel_meeting(secretary, cancelled, t["meeting.cancel_reason"])
        upcoming = halls.schedule_meeting(
            secretary, community, hall_id=hall.id, day=local_day(NOW, 5), start="19:00",
            end="20:30", title=t["upcoming_meeting.title"], topic_ids=[str(deliberating.id)])
        halls.register(r3, upcoming)
    ids.update(cancelled_meeting=cancelled.id, upcoming_meeting=upcoming.id)

    # --- studio sessions: one held and recorded, one to come, one cancelled ---
    with at(NOW - timedelta(days=8)):
        (held,) = booking.book_sessions(rep, studio, room_id=room.id, day=local_day(NOW, -7),
                                        start="09:00", end="11:00", focus=t["session.focus"],
                                        slot_minutes=30).sessions
        free = slots_of(held)
        attended = reception.reserve(r1, held, free[0].key, "property",
                                     t["reservation.matter"])
        missed = reception.reserve(r2, held, free[1].key, "parking", t["reservation.matter2"])
    with at(held.ends_at + timedelta(hours=1)):
        rec = reception.record_reception(rep, attended, "attended", t["reception.raised"],
                                         t["reception.follow_up"])
        reception.record_reception(rep, missed, "no_show", "", "")
        from_topic = from_reception.propose_from_reception(rep, rec,
                                                           from_reception.AS_REPRESENTATIVE)
    with at(NOW - timedelta(days=1)):
        (coming,) = booking.book_sessions(rep, studio, room_id=room.id, day=local_day(NOW, 2),
                                          start="14:00", end="16:00",
                                          focus=t["session2.focus"], slot_minutes=30).sessions
        upcoming_res = reception.reserve(r3, coming, slots_of(coming)[0].key, "other",
                                         t["reservation.matter3"])
        (dropped,) = booking.book_sessions(rep, studio, room_id=room.id,
                                           day=local_day(NOW, 3), start="09:00", end="10:00",
                                           slot_minutes=30).sessions
        reception.reserve(r4, dropped, slots_of(dropped)[0].key, "other",
                          t["reservation.matter4"])
    with at(NOW - timedelta(hours=20)):
        booking.cancel_session(rep, dropped, t["session.cancel_reason"])
    ids.update(session=held.id, reservation=attended.id, missed=missed.id,
               from_reception=from_topic.id, coming=coming.id,
               upcoming_reservation=upcoming_res.id, dropped=dropped.id)
    db.session.commit()
    ids["rep"] = rep.id
    return w
