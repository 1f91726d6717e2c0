"""Stored XSS (issue 9): every text a user can enter is stored as a hostile payload (see
tests/xss_world.py), then every page, fragment, feed, download and API answer that shows it is
read back. On a page, nothing the payload brought may act: no <script>, no on* handler, no
javascript: (or vbscript:, data:) URL, no htmx trigger; and the text itself must still be
there for the reader, as text. Feeds carry it as escaped text, CSV downloads defuse cells a
spreadsheet would run (= + - @, tab, CR), and the API gives it back raw, as JSON.

One world per kind of payload is built once for this module (building one takes a second;
reading a page a few milliseconds); every test only reads it, except those at the end, which
write on their own small world.
"""
from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from html.parser import HTMLParser

import icalendar
import pytest
from sqlalchemy import select

from consult import clock, create_app
from consult.clock import to_local
from consult.extensions import db
from consult.topics.models import Comment
from tests import factories
from tests import xss_world as xw
from tests.conftest import (
    ON_POSTGRES, _migrate, _worker_postgres_url, base_config, fresh_database,
)

# --- reading a page the way a browser would ----------------------------------------------------

MARKER = re.compile(r"zx\d{3}")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster",
                  "background", "cite", "srcset", "ping", "hx-get", "hx-post", "hx-put",
                  "hx-patch", "hx-delete"}
# Elements no page of ours has and no user text may bring (but the header's logo mark, an <img>
# from /static/ with no user text in it).
FORBIDDEN_ELEMENTS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base",
                      "style", "math", "img"}
_CONTROL = re.compile(r"[\x00-\x20]+")


def _fields_in(text: str) -> str:
    found = sorted({xw.FIELD_OF_MARKER.get(m, m) for m in MARKER.findall(text or "")})
    return ", ".join(found) or "no field marker"


def dangerous_url(value: str) -> bool:
    """What a browser would run or render as a document: it drops control characters and
    spaces from a URL before reading its scheme."""
    url = _CONTROL.sub("", value or "").lower()
    return url.startswith(("javascript:", "vbscript:", "data:"))


class Page(HTMLParser):
    """The problems an HTML document has (each naming the fields whose markers it carries)
    and the text a reader sees in it."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.texts: list[str] = []
        self._script: list[str] | None = None  # the text of an inline script being read
        self.feed(html)
        self.close()

    def _problem(self, what: str, evidence: str) -> None:
        self.problems.append(f"{what} from {_fields_in(evidence)}: {evidence[:120]!r}")

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        evidence = self.get_starttag_text() or tag
        if tag == "script":
            src = attributes.get("src")
            if src is None:
                self._script = []  # reported at its end, naming the field of its text
            elif not src.startswith("/static/"):
                self._problem("<script> element", evidence)
        if tag == "img" and (attributes.get("src") or "").startswith("/static/") \
                and not MARKER.search(evidence):
            pass  # our own picture (the logo mark in the header), carrying no user text
        elif tag in FORBIDDEN_ELEMENTS or (tag == "svg" and MARKER.search(evidence)):
            self._problem(f"<{tag}> element", evidence)
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") or name.startswith(("hx-on", "data-hx-on")):
                self._problem(f"event handler {name}", evidence)
            elif name in ("hx-trigger", "data-hx-trigger", "srcdoc", "style"):
                self._problem(f"attribute {name}", evidence)
            elif name in URL_ATTRIBUTES and dangerous_url(value):
                self._problem(f"{name}={value[:30]!r}", evidence)
            elif MARKER.search(name):
                self._problem(f"attribute named {name!r}", evidence)
        if tag == "input" and attributes.get("type") != "hidden" and attributes.get("value"):
            self.texts.append(attributes["value"])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self._problem("inline <script>", "".join(self._script) or "<script></script>")
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self._script.append(data)
        else:
            self.texts.append(data)

    def close(self):
        super().close()
        self.handle_endtag("script")  # one left open to the end of the document

    @property
    def text(self) -> str:
        return " ".join("".join(self.texts).split())


def shows(text: str, wanted: str) -> bool:
    return " ".join(wanted.split()) in text


# --- the worlds ----------------------------------------------------------------------------------

class Site:
    """A built world of one kind, its app, and a logged-in test client per person."""

    def __init__(self, app, world: xw.World):
        self.app, self.world, self.kind = app, world, world.kind
        self.text, self.ids = world.text, world.ids
        self._clients: dict = {}

    def client(self, who: str | None):
        if who not in self._clients:
            c = self.app.test_client()
            if who is not None:
                with c.session_transaction() as session:
                    session["_user_id"] = self.world.users[who].get_id()
                    session["_fresh"] = True
            self._clients[who] = c
        return self._clients[who]

    def url(self, template: str) -> str:
        return template.format(**self.ids)

    def request(self, who, method: str, url: str, **kwargs):
        with clock.frozen(xw.NOW):
            return self.client(who).open(self.url(url), method=method, **kwargs)

    def get(self, who, url, **kwargs):
        return self.request(who, "GET", url, **kwargs)


@pytest.fixture(scope="module")
def site_database(database_template, worker_id):
    """The worlds' own database, so the tests that write (with the usual ``app``) never
    empty it while a world is read: on PostgreSQL a second database of the worker."""
    if not ON_POSTGRES:
        return database_template
    url = _worker_postgres_url(f"{worker_id}_xss")
    _migrate(url)
    return url


@pytest.fixture(scope="module")
def site(request, site_database, tmp_path_factory):
    """The world of ``request.param`` (a kind of payload); tests choose it with
    ``@pytest.mark.parametrize("site", [...], indirect=True)``."""
    url = fresh_database(site_database, tmp_path_factory.mktemp("xss"))
    app = create_app(base_config(url))
    with app.app_context():
        try:
            yield Site(app, xw.build(request.param))
        finally:
            db.session.remove()
            db.engine.dispose()


HTML_KINDS = list(xw.HTML_KINDS)
ALL_KINDS = xw.KINDS


# --- the pages -----------------------------------------------------------------------------------

class P:
    """A page to read: who reads it, how, and the fields whose text it must show. A field
    given as ``(code, n)`` must show its first ``n`` characters (a shortened label)."""

    def __init__(self, name, url, fields="", *, who=None, data=None, htmx=False, files=False):
        self.name, self.url, self.who, self.data, self.htmx = name, url, who, data, htmx
        self.files = files  # data is a multipart form with a file
        self.fields = fields.split() if isinstance(fields, str) else list(fields)

    def fetch(self, site: Site):
        headers = {"HX-Request": "true"} if self.htmx else {}
        if self.data is None:
            return site.get(self.who, self.url, headers=headers)
        return site.request(self.who, "POST", self.url, data=self.data(site), headers=headers,
                            content_type="multipart/form-data" if self.files else None)


def _schedule(title_code, day, topic):
    def data(site):
        return {"hall": str(site.ids["hall"]), "title": site.text[title_code],
                "day": (to_local(xw.NOW).date() + timedelta(days=day)).isoformat(),
                "start": "19:00", "end": "20:00", "topics": str(site.ids[topic])}
    return data


def _roster_file(site):
    """A roster whose every problem quotes a cell back: a unit twice, a floor area that is
    no number, an owner listed twice, an e-mail that is no address."""
    t = site.text
    place = (t["roster.grid"], t["roster.building"], t["roster.unit"])
    rows = [(*place, "88.50", t["roster.owner"], "13900000099", ""),
            (*place, t["roster.area"], f"{t['roster.owner']};{t['roster.owner']}",
             "13900000098;13900000098", ""),
            (t["roster.grid"], t["roster.building"], "2", "60", t["roster.owner"], "",
             t["roster.email"])]
    return {"community": str(site.ids["community"]),
            "file": (io.BytesIO(factories.roster_csv(*rows)), "roster.csv")}


def _long(code, times):
    return lambda site: " ".join([site.text[code]] * times)


TOPIC_PAGE = ("community.name r0.name r1.name r2.name r3.name secretary.name topic.title "
              "topic.description comment.body comment.reply comment.edited comment.hide_reason "
              "comment.reported hall.name meeting.title vote.question outcome.decision "
              "objection.body objection.answer outcome.responsible progress.body done.note")
MINUTES = ("topic.title meeting.title minutes.officials minutes.summary minutes.question "
           "minutes.option minutes.body")
TREE = ("community.name community.district community.street_office grid.1 grid.2 grid.3 grid.4 "
        "building.1 building.2 building.3 building.4")

PAGES = [
    # What everyone can read.
    P("home", "/", "community.name community.district community.street_office proposed.title "
      "closing.title reservation.matter"),
    P("topic list", "/topics", "community.name topic.title rejected.title withdrawn.title "
      "proposed.title closing.title deliberating.title ready.title voted.title "
      "balloting.title reservation.matter"),
    P("topic list of a community", "/topics?community={community}",
      "grid.1 grid.2 grid.3 grid.4 building.1 building.2 building.3 building.4"),
    P("topic page", "/topics/{topic}", TOPIC_PAGE),
    P("rejected topic", "/topics/{rejected}", "rejected.title rejected.reason r1.name"),
    P("withdrawn topic", "/topics/{withdrawn}", "withdrawn.title withdrawn.reason r2.name"),
    P("proposal", "/topics/{proposed}", "proposed.title r3.name"),
    P("topic open for comment", "/topics/{closing}", "closing.title comment.fresh r1.name r4.name"),
    P("topic in deliberation", "/topics/{deliberating}", "deliberating.title hall.name "
      "cancelled_meeting.title upcoming_meeting.title r5.name"),
    P("topic from a reception", "/topics/{from_reception}",
      "reservation.matter reception.raised rep.name"),
    P("topic whose vote closed", "/topics/{voted}", "voted.title vote.question meeting.title"),
    P("topic being voted on", "/topics/{balloting}", "balloting.title vote.question"),
    P("comment fragment", "/comments/{comment}", "comment.body r1.name", htmx=True),
    P("reply fragment", "/comments/{reply}", "comment.reply r2.name", htmx=True),
    P("community page", "/communities/{community}", TREE),
    P("halls of the community", "/communities/{community}/halls",
      "hall.name hall.address cancelled_meeting.title upcoming_meeting.title"),
    P("hall page", "/halls/{hall}", "hall.name hall.address hall.accessibility meeting.title "
      "cancelled_meeting.title upcoming_meeting.title"),
    P("hall month calendar", "/halls/{hall}?month=2026-11", "hall.name meeting.title"),
    P("meeting with minutes", "/meetings/{meeting}",
      f"{MINUTES} minutes.body2 hall.name hall.address hall.accessibility"),
    P("cancelled meeting", "/meetings/{cancelled_meeting}",
      "cancelled_meeting.title meeting.cancel_reason deliberating.title hall.name"),
    P("upcoming meeting", "/meetings/{upcoming_meeting}",
      "upcoming_meeting.title deliberating.title hall.name"),
    P("minutes", "/meetings/{meeting}/minutes",
      f"{MINUTES} minutes.body2 minutes.correction hall.name"),
    P("printable minutes", "/meetings/{meeting}/minutes/print",
      f"{MINUTES} minutes.body2 minutes.correction community.name hall.name hall.address"),
    P("first revision of the minutes", "/meetings/{meeting}/minutes/revisions/1", MINUTES),
    P("correction of the minutes", "/meetings/{meeting}/minutes/revisions/2",
      f"{MINUTES} minutes.body2 minutes.correction"),
    P("vote and result", "/votes/{vote}", "topic.title vote.question vote.option.1 "
      "vote.option.2 vote.option.3 building.1 building.2 building.3 building.4"),
    P("ballot receipt", "/votes/{vote}/receipt?code={tracker}", "vote.question vote.option.1"),
    P("outcomes board", "/communities/{community}/outcomes",
      "community.name topic.title outcome.decision outcome.responsible"),
    P("community dashboard", "/communities/{community}/dashboard",
      ["community.name", ("topic.title", 10)]),
    P("studios", "/studios", "community.name studio.name studio.address rep.name"),
    P("studio week", "/studios/{studio}", "studio.name studio.address room.name "
      "session2.focus session.cancel_reason rep.name"),
    P("studio last week", "/studios/{studio}?week=2026-12-07", "session.focus"),
    P("representative", "/communities/{community}/representatives/{rep}",
      "rep.name studio.name room.name profile.area profile.bio session2.focus"),
    P("past studio session", "/studio-sessions/{session}",
      "rep.name studio.name studio.address room.name session.focus"),
    P("coming studio session", "/studio-sessions/{coming}", "session2.focus"),
    P("cancelled studio session", "/studio-sessions/{dropped}", "session.cancel_reason"),
    # What each person sees of their own.
    P("own draft in the topic list", "/topics", "draft.title", who="r0"),
    P("own draft", "/topics/{draft}", "draft.title draft.description", who="r0"),
    P("draft edit form", "/topics/{draft}/edit",
      "draft.title draft.description community.name grid.1 building.1", who="r0"),
    P("proposal form", "/topics/new", "community.name grid.1 building.1", who="r0"),
    P("proposer's notifications", "/me/notifications", "topic.title rejected.title "
      "rejected.reason closing.title deliberating.title progress.body", who="r0"),
    P("own residency", "/me/residency", "community.name grid.1 building.1 unit.1", who="r0"),
    P("own devices", "/me/devices", "token.name r0.name", who="r0"),
    P("commenter's notifications", "/me/notifications",
      "r2.name topic.title rep.name studio.name progress.body", who="r1"),
    P("own reservations with a record", "/me/reservations", "reservation.matter "
      "reception.raised reception.follow_up studio.name room.name rep.name", who="r1"),
    P("edit form of a comment", "/comments/{fresh}/edit", "comment.fresh closing.title",
      who="r1"),
    P("edit fragment of a comment", "/comments/{fresh}/edit", "comment.fresh", who="r1",
      htmx=True),
    P("registered resident's notifications", "/me/notifications",
      "cancelled_meeting.title meeting.cancel_reason", who="r2"),
    P("topic page for a rater", "/topics/{topic}", "rating.comment", who="r2"),
    P("own reservation not attended", "/me/reservations", "reservation.matter2", who="r2"),
    P("follower's notifications", "/me/notifications", "comment.hide_reason progress.body",
      who="r3"),
    P("own coming reservation", "/me/reservations", "reservation.matter3", who="r3"),
    P("ballot form", "/votes/{open_vote}", "balloting.title vote.question vote.option.1 "
      "vote.option.2 vote.option.3", who="r3"),
    P("ballot cast", "/votes/{open_vote}", "vote.question vote.option.1 vote.option.2",
      who="r0"),
    P("notifications of a cancelled session", "/me/notifications",
      "session.cancel_reason studio.name", who="r4"),
    P("own reservation in a cancelled session", "/me/reservations",
      "reservation.matter4 session.cancel_reason", who="r4"),
    P("refused residency", "/me/residency", "residency.refusal unit.3 refused.name",
      who="refused"),
    P("pending residency", "/me/residency", "unit.3 pending.name", who="pending"),
    # The community office.
    P("moderation queue", "/moderation",
      "topic.title comment.reported comment.report_reason r3.name", who="secretary"),
    P("verification requests", "/verifications", "pending.name residency.note unit.3",
      who="secretary"),
    P("topic page for a moderator", "/topics/{topic}", f"{TOPIC_PAGE} comment.hidden",
      who="secretary"),
    P("hidden comment fragment for a moderator", "/comments/{hidden}",
      "comment.hidden comment.hide_reason r3.name", who="secretary", htmx=True),
    P("meeting for the office", "/meetings/{meeting}", "meeting.title r1.name",
      who="secretary"),
    P("upcoming meeting for the office", "/meetings/{upcoming_meeting}",
      "upcoming_meeting.title r3.name", who="secretary"),
    P("reschedule form", "/meetings/{upcoming_meeting}/reschedule",
      "upcoming_meeting.title hall.name", who="secretary"),
    P("minutes form", "/meetings/{upcoming_meeting}/minutes/edit",
      "upcoming_meeting.title deliberating.title", who="secretary"),
    P("minutes correction form", "/meetings/{both_meeting}/minutes/edit",
      "meeting.title minutes.question minutes.option ready.title voted.title balloting.title "
      "draft_minutes.body draft_minutes.note", who="secretary"),
    P("minutes correction preview", "/meetings/{both_meeting}/minutes/preview",
      "draft_minutes.body draft_minutes.note minutes.question minutes.option",
      who="secretary"),
    P("schedule form", "/communities/{community}/meetings/new",
      "hall.name deliberating.title ready.title", who="secretary"),
    P("open vote form", "/topics/{ready}/votes/new",
      "ready.title minutes.question minutes.option", who="secretary"),
    P("publish outcome form", "/topics/{voted}/outcome/new", "voted.title vote.question",
      who="secretary"),
    # Representatives.
    P("own studio sessions", "/me/studio-sessions", "studio.name room.name", who="rep"),
    P("held session with its reservations", "/studio-sessions/{session}",
      "r1.name r2.name reservation.matter reservation.matter2 reception.raised "
      "reception.follow_up session.focus", who="rep"),
    P("reception record form", "/studio-sessions/{session}/reservations/{reservation}/record",
      "r1.name reservation.matter reception.raised reception.follow_up", who="rep"),
    P("coming session with its reservation", "/studio-sessions/{coming}",
      "r3.name reservation.matter3", who="rep"),
    P("booking form", "/studios/{studio}/book", "studio.name room.name", who="rep"),
    # Administration.
    P("administration", "/admin/", "community.name", who="admin"),
    P("community administration", "/admin/communities/{community}", TREE, who="admin"),
    P("grid administration", "/admin/communities/{community}/grids/{grid}",
      "grid.1 building.1", who="admin"),
    P("building administration", "/admin/communities/{community}/buildings/{building}",
      "building.1 unit.1 unit.2 unit.3", who="admin"),
    P("second building administration",
      "/admin/communities/{community}/buildings/{building2}", "building.2 unit.4 unit.5",
      who="admin"),
    P("third building administration",
      "/admin/communities/{community}/buildings/{building3}", "building.3 unit.6",
      who="admin"),
    P("home administration", "/admin/communities/{community}/units/{unit}", "unit.1",
      who="admin"),
    P("role grants", "/admin/communities/{community}/roles", "secretary.name rep.name",
      who="admin"),
    P("studios administration", "/admin/communities/{community}/studios",
      "studio.name rep.name", who="admin"),
    P("studio administration", "/admin/studios/{studio}",
      "studio.name studio.address room.name rep.name", who="admin"),
    P("representative profile form",
      "/admin/communities/{community}/representatives/{rep}/profile",
      "rep.name profile.area profile.bio", who="admin"),
    P("roster upload", "/admin/roster/", "community.name", who="admin"),
    P("hall edit form", "/halls/{hall}/edit", "hall.name hall.address hall.accessibility",
      who="admin"),
    P("admin's own name", "/", "admin.name", who="admin"),
    # Refused forms, shown again with what was typed and a message that may quote a name.
    # None of these writes anything.
    P("role already held", "/admin/communities/{community}/roles", "secretary.name",
      who="admin", data=lambda s: {"identifier": s.world.users["secretary"].email,
                                   "role": "secretary"}),
    P("meeting that clashes", "/communities/{community}/meetings/new",
      "typed.meeting_title upcoming_meeting.title hall.name", who="secretary",
      data=_schedule("typed.meeting_title", 5, "deliberating")),
    # Its comments close at 20:00 today, after a meeting at 19:00 today would start.
    P("agenda topic still open for comment", "/communities/{community}/meetings/new",
      "typed.meeting_title closing.title", who="secretary",
      data=_schedule("typed.meeting_title", 0, "closing")),
    P("studio session that clashes", "/studios/{studio}/book", "typed.focus room.name rep.name",
      who="rep", data=lambda s: {
          "room": str(s.ids["room"]), "day": (to_local(xw.NOW).date()
                                              + timedelta(days=2)).isoformat(),
          "start": "14:30", "end": "15:30", "focus": s.text["typed.focus"],
          "slot_minutes": "30", "weeks": "1"}),
    P("roster with errors", "/admin/roster/", "roster.grid roster.building roster.unit "
      "roster.area roster.owner roster.email", who="admin", data=_roster_file, files=True),
    P("proposal form refused", "/topics/new", "typed.title typed.description", who="r0",
      data=lambda s: {"title": s.text["typed.title"], "category": "nonsense",
                      "description": s.text["typed.description"],
                      "scope": f"community:{s.ids['community']}"}),
    P("registration refused", "/register", "typed.name",
      data=lambda s: {"name": s.text["typed.name"], "phone": "12", "password": "x" * 12,
                      "confirm": "y" * 12}),
    P("comment too long", "/topics/{closing}/comments", "typed.comment", who="r2",
      data=lambda s: {"body": _long("typed.comment", 80)(s)}),
    P("comment too long (htmx)", "/topics/{closing}/comments", "typed.comment", who="r2",
      htmx=True, data=lambda s: {"body": _long("typed.comment", 80)(s)}),
    P("report reason too long (htmx)", "/comments/{fresh}/report", "typed.reason comment.fresh",
      who="r2", htmx=True, data=lambda s: {"reason": _long("typed.reason", 20)(s)}),
    P("report reason too long", "/comments/{fresh}/report", "typed.reason", who="r2",
      data=lambda s: {"reason": _long("typed.reason", 20)(s)}),
    P("hall name taken", "/communities/{community}/halls/new", "hall.name typed.address",
      who="admin", data=lambda s: {"name": s.text["hall.name"], "capacity": "20",
                                   "address": s.text["typed.address"]}),
]
NAMES = [p.name for p in PAGES]
assert len(set(NAMES)) == len(NAMES), "each page needs its own name"
# Stored, but shown on no page: owners of record are counted on pages, never named.
SHOWN_NOWHERE = {"owner.name"}


def _expected(site: Site, spec) -> tuple[str, str]:
    code, n = spec if isinstance(spec, tuple) else (spec, None)
    text = xw.first_line(site.text[code])
    return code, text[:n] if n else text


@pytest.mark.parametrize("site", HTML_KINDS, indirect=True)
@pytest.mark.parametrize("page", PAGES, ids=NAMES)
def test_page_shows_the_text_and_runs_none_of_it(site, page):
    response = page.fetch(site)
    assert response.status_code < 500 and not 300 <= response.status_code < 400, \
        f"{page.name}: answered {response.status_code}"
    assert response.mimetype == "text/html"
    html = Page(response.get_data(as_text=True))
    assert not html.problems, f"{page.name} ({site.kind}): " + "; ".join(html.problems)
    missing = [code for code, text in (_expected(site, f) for f in page.fields)
               if not shows(html.text, text)]
    assert not missing, f"{page.name} ({site.kind}) does not show the text of: {missing}"


def test_every_field_is_read_back_somewhere():
    read = {f if isinstance(f, str) else f[0] for p in PAGES for f in p.fields}
    assert set(xw.FIELDS) - read == SHOWN_NOWHERE


def test_the_checker_sees_what_a_browser_would_run():
    # The page test is only as good as this reader: each of these would act in a browser.
    acting = ["<script>alert('zx999')</script>", "<img src=x onerror=alert(1)>",
              "<svg/onload=alert(1)>", "<a href=' JaVa\tScRiPt:alert(1)'>x</a>",
              "<a href=\"vbscript:msgbox(1)\">x</a>", "<iframe src=\"data:text/html,x\">",
              "<div hx-get=\"/logout\" hx-trigger=\"load\">x</div>", "<p style=\"x\">",
              "<form><button formaction=\"javascript:alert(1)\">x</button></form>",
              "<script src=\"https://evil.test/x.js\"></script>"]
    for html in acting:
        assert Page(f"<p>{html}</p>").problems, html
    inert = ("<p>&lt;script&gt;alert('zx999')&lt;/script&gt; &quot;&gt;&lt;img src=x "
             "onerror=alert(1)&gt;</p><a href=\"/topics/1\" title=\"javascript:x\">t</a>"
             "<script src=\"/static/js/app.js\" defer></script>")
    page = Page(inert)
    assert not page.problems
    assert shows(page.text, "<script>alert('zx999')</script> \"><img src=x onerror=alert(1)>")


# --- markdown -----------------------------------------------------------------------------------

class Links(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.links: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.links.append(dict(attrs))


@pytest.mark.parametrize("site", HTML_KINDS, indirect=True)
@pytest.mark.parametrize("url, code", [("/topics/{topic}", "topic.description"),
                                       ("/meetings/{meeting}/minutes", "minutes.body")])
def test_markdown_keeps_its_safe_link_and_no_other(site, url, code):
    """Sanitizing must not cost the reader the formatting that is harmless: the https link
    of the text stays a link (opened without the referrer), every other one stays text."""
    html = site.get(None, url).get_data(as_text=True)
    marker = xw.MARKERS[code]
    links = [a for a in Links(html).links if marker in (a.get("href") or "")]
    assert [a["href"] for a in links] == [xw.SAFE_LINK.format(m=marker)]
    assert "noopener" in links[0].get("rel", "") and "nofollow" in links[0].get("rel", "")


# --- feeds ---------------------------------------------------------------------------------------

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.mark.parametrize("site", HTML_KINDS, indirect=True)
def test_atom_feed_carries_the_texts_as_text(site):
    response = site.get(None, "/communities/{community}/outcomes.atom")
    assert response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)  # well-formed: nothing broke out of an element
    t = site.text

    def as_read(element) -> str:
        """The text a feed reader shows: HTML content is rendered (so it must be inert)."""
        kind = element.get("type", "text")
        if kind == "html":
            page = Page(element.text or "")
            assert not page.problems, page.problems
            return page.text
        assert kind == "text", f"unexpected Atom content type {kind}"
        return element.text or ""

    assert t["community.name"] in as_read(feed.find(f"{ATOM}title"))
    assert feed.find(f"{ATOM}author/{ATOM}name").text == t["community.name"]
    (entry,) = feed.findall(f"{ATOM}entry")
    assert as_read(entry.find(f"{ATOM}title")) == t["topic.title"]
    assert shows(as_read(entry.find(f"{ATOM}content")), t["outcome.decision"])


def _meetings_calendar(site):
    t, ids = site.text, site.ids
    where = f"{t['hall.name']}, {t['hall.address']}"
    return {f"meeting-{ids['meeting']}@consult": (t["meeting.title"], where, None),
            f"meeting-{ids['both_meeting']}@consult": (t["meeting.title"], where, None),
            f"meeting-{ids['cancelled_meeting']}@consult":
                (t["cancelled_meeting.title"], where, t["meeting.cancel_reason"]),
            f"meeting-{ids['upcoming_meeting']}@consult":
                (t["upcoming_meeting.title"], where, None)}


def _sessions_calendar(site):
    t, ids = site.text, site.ids
    summary = f"{t['studio.name']} · {t['rep.name']}"
    where = f"{t['studio.address']}, {t['room.name']}"
    return {f"session-{ids['session']}@consult": (summary, where, t["session.focus"]),
            f"session-{ids['coming']}@consult": (summary, where, t["session2.focus"]),
            f"session-{ids['dropped']}@consult": (summary, where, t["session.cancel_reason"])}


CALENDARS = [
    ("hall", "/halls/{hall}/calendar.ics", "hall.name", _meetings_calendar),
    ("community meetings", "/communities/{community}/meetings.ics", "community.name",
     _meetings_calendar),
    ("studio", "/studios/{studio}/calendar.ics", "studio.name", _sessions_calendar),
    ("representative", "/communities/{community}/representatives/{rep}/calendar.ics",
     "rep.name", _sessions_calendar),
]


@pytest.mark.parametrize("site", HTML_KINDS, indirect=True)
@pytest.mark.parametrize("url, name_code, expected", [c[1:] for c in CALENDARS],
                         ids=[c[0] for c in CALENDARS])
def test_calendar_feed_keeps_each_text_inside_its_event(site, url, name_code, expected):
    """A calendar shows texts as they are; what matters is that a line break in a reason
    does not end the event and start one the attacker wrote."""
    response = site.get(None, url)
    assert response.mimetype == "text/calendar"
    lines = response.get_data(as_text=True).replace("\r\n ", "").split("\r\n")
    cal = icalendar.Calendar.from_ical(response.data)
    assert str(cal.get("X-WR-CALNAME")) == site.text[name_code]
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    wanted = expected(site)
    assert set(events) == set(wanted)
    assert lines.count("BEGIN:VEVENT") == len(wanted)
    assert sorted(line for line in lines if line.startswith("UID:")) == \
        sorted(f"UID:{uid}" for uid in wanted)
    for uid, (summary, location, description) in wanted.items():
        event = events[uid]
        assert str(event["SUMMARY"]) == summary
        assert str(event["LOCATION"]) == location
        assert str(event.get("DESCRIPTION", "")) == (description or "")


# --- CSV downloads -------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _defused(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _csv(response) -> list[list[str]]:
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


@pytest.mark.parametrize("site", ALL_KINDS, indirect=True)
def test_csv_downloads_give_the_texts_back_defused(site):
    t = site.text
    options = [t[f"vote.option.{n}"] for n in (1, 2, 3)]
    homes = [("grid.1", "building.1", "unit.1"), ("grid.1", "building.1", "unit.2"),
             ("grid.2", "building.2", "unit.4"), ("grid.2", "building.2", "unit.5"),
             ("grid.3", "building.3", "unit.6"), ("grid.4", "building.4", "unit.6")]
    labels = ["".join(t[c] for c in home) for home in homes]
    if site.kind == "formula":  # every start a spreadsheet runs is in the downloads
        assert {v[0] for v in options + labels} == set(FORMULA_STARTS)

    result = _csv(site.get(None, "/votes/{vote}/result.csv"))
    assert {row[0] for row in result[1:4]} == {_defused(o) for o in options}
    ballots = _csv(site.get(None, "/votes/{vote}/ballots.csv"))
    assert ballots[0] in (["回执码", "选项", "房屋", "投票方式"],
                          ["Receipt code", "Option", "Homes", "Channel"])
    assert sorted(row[2] for row in ballots[1:]) == sorted(_defused(lb) for lb in labels)
    assert {row[1] for row in ballots[1:]} == {_defused(o) for o in options}
    for row in result + ballots:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), f"a spreadsheet would run {cell!r}"


# --- the JSON API --------------------------------------------------------------------------------

API = [
    ("/api/v1/communities", "community.name community.district community.street_office"),
    ("/api/v1/topics?per_page=100", "topic.title rejected.title withdrawn.title proposed.title "
     "closing.title deliberating.title ready.title voted.title balloting.title"),
    ("/api/v1/topics/{topic}", "topic.title topic.description r0.name community.name"),
    ("/api/v1/topics/{topic}/comments", "comment.body comment.reply comment.edited "
     "comment.reported comment.hide_reason r1.name r2.name r3.name"),
    ("/api/v1/topics/{topic}/outcome", "outcome.decision objection.body objection.answer "
     "outcome.responsible progress.body"),
    ("/api/v1/communities/{community}/meetings", "upcoming_meeting.title "
     "cancelled_meeting.title hall.name hall.address"),
    ("/api/v1/meetings/{meeting}", "meeting.title topic.title hall.name"),
    ("/api/v1/meetings/{meeting}/minutes", "minutes.body minutes.officials minutes.summary "
     "minutes.question minutes.option minutes.correction"),
    ("/api/v1/votes/{vote}", "vote.question vote.option.1 vote.option.2 vote.option.3"),
    ("/api/v1/votes/{vote}/ballots", "vote.option.1 vote.option.2 vote.option.3"),
    ("/api/v1/studios/{studio}", "studio.name studio.address room.name"),
    ("/api/v1/studio-sessions/{coming}", "session2.focus studio.name rep.name"),
    ("/api/v1/communities/{community}/representatives/{rep}",
     "rep.name profile.area profile.bio studio.name"),
]


def _strings(value, key=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)
    elif isinstance(value, str):
        yield key, value


@pytest.mark.parametrize("site", HTML_KINDS, indirect=True)
@pytest.mark.parametrize("url, fields", API, ids=[a[0] for a in API])
def test_api_gives_the_raw_text_as_json(site, url, fields):
    """JSON, which no browser renders as a page, with the text exactly as typed (escaping it
    would be the client's job and would garble it); an HTML rendering it carries is
    sanitized."""
    response = site.get(None, url)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    strings = list(_strings(json.loads(response.data)))
    values = [v for _k, v in strings]
    missing = [f for f in fields.split() if not any(site.text[f] in v for v in values)]
    assert not missing, f"{url} does not give back as typed: {missing}"
    for key, value in strings:
        if key.endswith("_html"):
            page = Page(value)
            assert not page.problems, f"{url} {key}: {page.problems}"


# --- writing through the pages: the answers that echo what was just written ---------------------

def _inert(response, *texts, what=""):
    assert response.status_code < 400, f"{what}: answered {response.status_code}"
    page = Page(response.get_data(as_text=True))
    assert not page.problems, f"{what}: " + "; ".join(page.problems)
    missing = [t for t in texts if not shows(page.text, xw.first_line(t))]
    assert not missing, f"{what} does not show {missing}"
    return response.get_data(as_text=True)


def _flashes(html: str) -> str:
    return Page("".join(re.findall(r'<p class="flash[^>]*>.*?</p>', html, re.S))).text


@pytest.mark.parametrize("kind", HTML_KINDS)
def test_comment_fragments_after_posting_editing_and_hiding(app, client, login, monkeypatch,
                                                            kind):
    from tests import api_world

    w = api_world.build(monkeypatch)
    author, moderator = w.residents[2], w.secretary
    author.name = xw.payload(kind, "r2.name")
    moderator.name = xw.payload(kind, "secretary.name")
    db.session.commit()
    body, edited, reply = (xw.payload(kind, c) for c in
                           ("comment.body", "comment.edited", "comment.reply"))
    hx = {"HX-Request": "true"}
    login(author)
    posted = client.post(f"/topics/{w.topic.id}/comments", data={"body": body}, headers=hx)
    _inert(posted, body, author.name, what="the posted comment (htmx)")
    comment_id = db.session.scalars(select(Comment.id).where(Comment.body == body)).one()
    _inert(client.post(f"/comments/{comment_id}/edit", data={"body": edited}, headers=hx),
           edited, what="the edited comment (htmx)")
    _inert(client.post(f"/topics/{w.topic.id}/comments",
                       data={"body": reply, "parent_id": str(comment_id)}, headers=hx),
           reply, what="the posted reply (htmx)")
    _inert(client.post(f"/topics/{w.topic.id}/comments", data={"body": body},
                       follow_redirects=True), body, edited, reply,
           what="the topic page after posting without JavaScript")

    reason = xw.payload(kind, "comment.hide_reason")
    office = app.test_client()
    login(moderator, office)
    _inert(office.post(f"/comments/{comment_id}/hide", data={"reason": reason}, headers=hx),
           reason, edited, what="the hidden comment (htmx)")
    _inert(office.get(f"/topics/{w.topic.id}"), reason, edited,
           what="the topic page after hiding")


@pytest.mark.parametrize("kind", HTML_KINDS)
def test_messages_that_name_a_person_after_a_redirect(app, client, login, kind, caplog):
    """A flash message travels in the session cookie before it is shown: a name in it must
    come out as text on the next page."""
    import logging

    from consult.accounts.models import Role

    caplog.set_level(logging.WARNING)
    name = xw.payload(kind, "typed.name")
    client.post("/register", data={
        "name": name, "email": "new@xss.example", "password": factories.PASSWORD,
        "confirm": factories.PASSWORD, **factories.consent()})
    sent = [r.getMessage() for r in caplog.records if r.getMessage().startswith("MESSAGE ")]
    code = re.search(r"(?<!\d)(\d{6})(?!\d)", sent[-1]).group(1)
    welcome = client.post("/register/confirm", data={"code": code}, follow_redirects=True)
    assert shows(_flashes(_inert(welcome, name, what="the page after registering")), name)

    c = factories.community(xw.payload(kind, "community.name"))
    admin = factories.office_holder(c, Role.ADMIN)
    db.session.commit()
    office = app.test_client()
    login(admin, office)
    granted = office.post(f"/admin/communities/{c.id}/roles", data={
        "identifier": "new@xss.example", "role": "representative"}, follow_redirects=True)
    assert shows(_flashes(_inert(granted, name, c.name, what="the roles page after granting")),
                 name)

    platform = app.test_client()
    platform_admin = factories.user("平台管理员", platform_admin=True)
    db.session.commit()
    login(platform_admin, platform)
    new_name = xw.payload(kind, "roster.grid")
    roster = factories.roster_csv(("一网格", "1栋", "101", "80", name, "13900000123", ""))
    imported = platform.post("/admin/roster/", data={
        "community": "", "new_community": new_name,
        "file": (io.BytesIO(roster), "roster.csv")}, content_type="multipart/form-data",
        follow_redirects=True)
    assert shows(_flashes(_inert(imported, new_name, what="the roster page after importing")),
                 new_name)


@pytest.mark.parametrize("kind", HTML_KINDS)
def test_texts_written_through_the_api_read_back_inert(app, client, login, monkeypatch, kind):
    """The API stores through the same rules as the pages: what a mini-program sends comes
    back raw in JSON and inert on every page."""
    from consult.studios.slots import slots_of
    from tests import api_world

    w = api_world.build(monkeypatch)
    device, title, description, body, reply, matter = (xw.payload(kind, c) for c in (
        "token.name", "typed.title", "typed.description", "comment.body", "comment.reply",
        "reservation.matter"))
    api = app.test_client()
    token = api.post("/api/v1/tokens", json={"identifier": w.residents[0].email,
                                             "password": factories.PASSWORD,
                                             "name": device})
    assert token.status_code == 201
    auth = api_world.auth(token.get_json()["token"])
    answers = [
        api.post("/api/v1/topics", headers=auth, json={
            "title": title, "description": description, "category": "property",
            "scope": f"community:{w.community.id}"}),
        api.post(f"/api/v1/topics/{w.topic.id}/comments", headers=auth, json={"body": body}),
        api.post(f"/api/v1/comments/{w.comment.id}/replies", headers=auth,
                 json={"body": reply}),
        api.post(f"/api/v1/studio-sessions/{w.session.id}/reservations", headers=auth,
                 json={"slot": slots_of(w.session)[0].key, "category": "other",
                       "matter": matter}),
    ]
    for answer, text in zip(answers, (title, body, reply, matter)):
        assert answer.status_code == 201, answer.get_json()
        assert answer.mimetype == "application/json"
        assert text in {v for _k, v in _strings(answer.get_json())}
    proposed = answers[0].get_json()
    assert not Page(proposed["description_html"]).problems

    login(w.residents[0])
    _inert(client.get("/me/devices"), device, what="the devices page")
    _inert(client.get(f"/topics/{proposed['id']}"), title, description,
           what="the topic proposed through the API")
    _inert(client.get(f"/topics/{w.topic.id}"), body, reply,
           what="the topic commented through the API")
    _inert(client.get("/me/reservations"), matter, what="the reservations page")
