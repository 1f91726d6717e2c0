"""Phone-first pages (issue 16, "How it is checked"): the main pages of each role, each seen by
the role that uses it, at 360×640, 390×844 and 1280×900 in Simplified Chinese, and at 360×640
with large text (大字版, the ``text_size=large`` cookie the header's switch sets).

The world is tests/access_world.py's, built once for the module, with a vote announced to open
later and what residents paste from WeChat (a link in three topics' titles, a long Latin name).
Each page is loaded once per size (one browser, one context per size) and measured; the checks
below read the measurements, so a failure names the page, the size and the check:

* ``test_page_loads``: the page answered 200 to its reader, with no script error, CSP refusal
  or missing resource;
* ``test_no_horizontal_overflow``: the page never scrolls sideways
  (``document.documentElement.scrollWidth <= clientWidth``); the failure names the innermost
  elements past the edge;
* ``test_nothing_cut_off_or_scrolling_sideways``: on a phone no box cuts its content off or
  scrolls it sideways (a month calendar in a scrolling box hides Friday to Sunday);
* ``test_chart_text_is_readable``: on a phone no text in a chart (SVG ``<text>``) renders under
  12 px, counting the scaling of the SVG's viewBox;
* ``test_no_serious_accessibility_violation``: axe-core finds no serious or critical violation;
* ``test_primary_action_on_first_screen``: a topic page's primary action (``#primary-action``,
  which the topic page marks) ends inside the first screen;
* ``test_first_item_on_first_screen``: the topic list shows its first topic on a phone's first
  screen.

Full-page screenshots go to ``test-artifacts/screens/`` (git-ignored), named
``<page>-<size>-<mode>.png``: of every page and size when ``SCREENSHOT_DIR`` is set (to that
folder), otherwise only of a page a check will fail on (100 full-page screenshots cost time on
every run).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from consult import clock
from consult.config import PROJECT_ROOT
from consult.extensions import db
from consult.http import TEXT_SIZE_COOKIE
from consult.i18n import LANG_COOKIE
from tests.access_world import DAY, NOW, Rig
from tests.browser import a11y
from tests.browser.conftest import DEFAULT_TIMEOUT_MS, LiveServer, _watch_problems

SCREENSHOT_ALL = bool(os.environ.get("SCREENSHOT_DIR"))
SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR")
                      or PROJECT_ROOT / "test-artifacts" / "screens")
MIN_CHART_TEXT_PX = 12


@dataclass(frozen=True)
class Mode:
    name: str  # "360x640-normal"
    width: int
    height: int
    large_text: bool = False

    @property
    def phone(self) -> bool:
        return self.width < 600


MODES = [Mode("360x640-normal", 360, 640), Mode("390x844-normal", 390, 844),
         Mode("1280x900-normal", 1280, 900), Mode("360x640-large", 360, 640, large_text=True)]

# A topic page's primary action is marked id="primary-action"; where the page marks none for
# every topic page has it, each topic page below names the element that is its action now.
PRIMARY_ACTION = "#primary-action"


@dataclass(frozen=True)
class PageSpec:
    name: str
    persona: str  # who uses it (tests/access_world.py's personas; "visitor" logs in nobody)
    path: str  # formatted with the world's ids
    action: str | None = None  # a topic page's action for this reader (before #primary-action)
    first: str | None = None  # what a list must show on a phone's first screen
    chart: bool = False  # holds charts (SVG) whose text must stay readable


PAGES = [
    PageSpec("home", "resident", "/"),
    PageSpec("topics", "resident", "/topics", first=".topic-card h2"),
    PageSpec("topic-proposed", "resident", "/topics/{t_proposed}", action="#cosign"),
    PageSpec("topic-review", "secretary", "/topics/{t_review}", action="#review"),
    PageSpec("topic-commenting", "resident", "/topics/{t_open}", action="#new-comment"),
    PageSpec("topic-deliberating", "resident", "/topics/{t_agenda}"),
    PageSpec("topic-vote-announced", "resident", "/topics/{t_to_vote}"),
    PageSpec("topic-vote-open", "resident", "/topics/{t_voting}", action="#vote-link"),
    PageSpec("topic-vote-closed", "resident", "/topics/{t_voted}"),
    PageSpec("topic-publicised", "resident", "/topics/{t_publicised}", action="#objection-form"),
    PageSpec("topic-implementing", "resident", "/topics/{t_implementing}"),
    PageSpec("topic-done", "resident", "/topics/{t_done}", action="#rating-form"),
    PageSpec("vote-announced", "resident", "/votes/{v_announced}"),
    PageSpec("vote-open", "resident", "/votes/{v_voting}"),
    PageSpec("vote-result", "resident", "/votes/{v_voted}", chart=True),
    PageSpec("outcome-board", "resident", "/communities/{community}/outcomes"),
    PageSpec("hall", "resident", "/halls/{hall}"),
    PageSpec("meeting", "resident", "/meetings/{m_upcoming}"),
    PageSpec("minutes", "resident", "/meetings/{m_done}/minutes"),
    PageSpec("minutes-form", "secretary", "/meetings/{m_draft}/minutes/edit"),
    PageSpec("studio-week", "resident", "/studios/{studio}"),
    PageSpec("studio-session", "resident", "/studio-sessions/{s_open}"),
    PageSpec("desk", "secretary", "/me/desk"),
    PageSpec("notifications", "resident", "/me/notifications"),
    PageSpec("dashboard", "secretary", "/communities/{community}/dashboard", chart=True),
]
PAGE_BY_NAME = {p.name: p for p in PAGES}

# Checks that fail on main until another helper of issue 16 has merged: (check, page, mode or
# None for every mode) -> the reason. strict=False: the merger drops an entry once it passes.


@dataclass
class Seen:
    """What one page load at one size showed."""

    url: str
    status: int
    problems: list[str] = field(default_factory=list)  # script errors, CSP, missing files
    scroll_width: int = 0
    client_width: int = 0
    too_wide: list[str] = field(default_factory=list)  # elements past the right edge
    sideways: list[str] = field(default_factory=list)  # boxes cutting or scrolling content
    chart_texts: list[dict] = field(default_factory=list)  # every svg text: px and words
    action: dict | None = None  # selector and bounding box of the primary action
    first: dict | None = None  # selector and bounding box of a list's first item
    axe: str | None = None  # the failure report of serious/critical violations, if any
    screenshot: Path | None = None


MEASURE = """() => {
  const doc = document.documentElement;
  const width = doc.clientWidth;
  // The innermost elements reaching past the right edge, by their box or their content (a
  // long word overflows its heading without widening it): the ones to fix.
  const past = new Set();
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0) continue;
    if (Math.max(box.right, box.left + el.scrollWidth) > width + 0.5) past.add(el);
  }
  const tooWide = [];
  for (const el of past) {
    if ([...el.children].some(c => past.has(c))) continue;
    let name = el.tagName.toLowerCase();
    if (el.id) name += '#' + el.id;
    if (el.classList.length) name += '.' + [...el.classList].join('.');
    const box = el.getBoundingClientRect();
    const right = Math.round(Math.max(box.right, box.left + el.scrollWidth));
    tooWide.push(`${name} “${(el.textContent || '').trim().slice(0, 24)}” (to ${right} px)`);
  }
  // Boxes whose content is wider than they are and that cut it off or scroll it sideways
  // inside the page (a calendar cut after Thursday): text fields scroll by nature.
  const sideways = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.clientWidth <= 1 || el.matches('input, textarea, select')) continue;
    if (el.scrollWidth <= el.clientWidth + 1) continue;
    const x = getComputedStyle(el).overflowX;
    if (x === 'visible') continue;
    let name = el.tagName.toLowerCase();
    if (el.id) name += '#' + el.id;
    if (el.classList.length) name += '.' + [...el.classList].join('.');
    sideways.push(`${name} (${el.scrollWidth} px of content in ${el.clientWidth} px, ${x})`);
  }
  const chartTexts = [];
  for (const t of document.querySelectorAll('svg text')) {
    const m = t.getScreenCTM();
    const scale = m ? Math.sqrt(Math.abs(m.a * m.d - m.b * m.c)) : 1;
    const px = parseFloat(getComputedStyle(t).fontSize) * scale;
    chartTexts.push({px: Math.round(px * 10) / 10,
                     text: (t.textContent || '').trim().slice(0, 40)});
  }
  return {scrollWidth: doc.scrollWidth, clientWidth: width, tooWide: tooWide.slice(0, 8),
          sideways: sideways.slice(0, 8), chartTexts};
}"""

ACTION_BOX = """(selectors) => {
  for (const selector of selectors) {
    const el = document.querySelector(selector);
    if (!el) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // hidden
    return {selector, top: box.top + window.scrollY, bottom: box.bottom + window.scrollY};
  }
  return null;
}"""


class Site:
    """The world on a live server, the browser's contexts (one per size) and what each page
    showed, measured on first use."""

    def __init__(self, browser, rig: Rig, server: LiveServer):
        self.browser = browser
        self.rig = rig
        self.server = server
        self.values = rig.world.values()
        self._contexts: dict[str, tuple] = {}
        self._seen: dict[tuple[str, str], Seen] = {}
        with rig.app.test_request_context():
            serializer = rig.app.session_interface.get_signing_serializer(rig.app)
            self._sessions = {
                name: serializer.dumps({"_user_id": f"{p.id}:{p.session_token}",
                                        "_fresh": True})
                for name, p in rig.world.people.items()}
        self._session_cookie = rig.app.config["SESSION_COOKIE_NAME"]

    def _page_for(self, mode: Mode):
        if mode.name not in self._contexts:
            context = self.browser.new_context(
                base_url=self.server.url, viewport={"width": mode.width, "height": mode.height},
                locale="zh-CN")
            context.set_default_timeout(DEFAULT_TIMEOUT_MS)
            page = context.new_page()
            problems: list[str] = []
            _watch_problems(page, problems)
            watch = a11y.watch(page, __name__)
            self._contexts[mode.name] = (context, page, problems, watch)
        return self._contexts[mode.name]

    def _log_in(self, context, spec: PageSpec, mode: Mode) -> None:
        context.clear_cookies()
        cookies = {LANG_COOKIE: "zh_Hans"}
        if mode.large_text:
            cookies[TEXT_SIZE_COOKIE] = "large"
        if spec.persona != "visitor":
            cookies[self._session_cookie] = self._sessions[spec.persona]
        context.add_cookies([{"name": k, "value": v, "url": self.server.url}
                             for k, v in cookies.items()])

    def seen(self, page_name: str, mode_name: str) -> Seen:
        key = (page_name, mode_name)
        if key not in self._seen:
            self._seen[key] = self._visit(PAGE_BY_NAME[page_name],
                                          next(m for m in MODES if m.name == mode_name))
        return self._seen[key]

    def _visit(self, spec: PageSpec, mode: Mode) -> Seen:
        context, page, problems, watch = self._page_for(mode)
        self._log_in(context, spec, mode)
        problems.clear()
        response = page.goto(spec.path.format(**self.values))
        page.wait_for_load_state("load")
        seen = Seen(url=page.url, status=response.status if response else 0)
        measured = page.evaluate(MEASURE)
        seen.scroll_width = measured["scrollWidth"]
        seen.client_width = measured["clientWidth"]
        seen.too_wide = measured["tooWide"]
        seen.sideways = measured["sideways"]
        seen.chart_texts = measured["chartTexts"]
        if spec.action:
            seen.action = page.evaluate(ACTION_BOX, [PRIMARY_ACTION, spec.action])
        if spec.first:
            seen.first = page.evaluate(ACTION_BOX, [spec.first])
        watch.test = f"{__name__}::{spec.name}[{mode.name}]"  # named in a11y-pages.txt
        try:
            a11y.check_a11y(page)
        except pytest.fail.Exception as failure:
            seen.axe = str(failure)
        seen.problems = list(problems)
        if SCREENSHOT_ALL or _looks_wrong(seen, mode):
            SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
            seen.screenshot = SCREENSHOT_DIR / f"{spec.name}-{mode.name}.png"
            page.screenshot(path=str(seen.screenshot), full_page=True)
        return seen

    def close(self) -> None:
        for context, page, _problems, _watch in self._contexts.values():
            a11y.unwatch(page)
            context.close()


def _looks_wrong(seen: Seen, mode: Mode) -> bool:
    """Whether one of the checks below will fail on what ``seen`` measured (it gets a
    screenshot then)."""
    below = [box for box in (seen.action, seen.first) if box and box["bottom"] > mode.height]
    return bool(seen.status != 200 or "/login" in seen.url or seen.problems or seen.axe
                or seen.scroll_width > seen.client_width or seen.sideways or below
                or any(t["px"] < MIN_CHART_TEXT_PX for t in seen.chart_texts))


def _announced_vote(rig: Rig) -> int:
    """The topic waiting for its vote gets one, announced to open in two days."""
    from consult.accounts.models import User
    from consult.topics.models import Topic
    from consult.votes import service as votes

    with rig.app.app_context(), clock.frozen(NOW):
        topic = db.session.get(Topic, rig.world.ids["t_to_vote"])
        secretary = db.session.get(User, rig.world.people["secretary"].id)
        vote = votes.open_vote(secretary, topic, votes.VoteSpec(
                question=f"是否同意“{topic.title}”？", electorate="residents",
                rule="simple_majority", scope_key=f"community:{topic.community_id}",
                opens_at=NOW + 2 * DAY, closes_at=NOW + 9 * DAY))
        db.session.commit()
        return vote.id


LONG_WORD = "https://mp.weixin.qq.com/s/Zx9QvJ3kLmN7pRsT2uVwXy4AbCdEfGhIj"


def _long_words(rig: Rig) -> None:
    """What residents paste from WeChat: a link in a title, and a long name (of the neighbour,
    who proposed the topics), which must wrap wherever they are shown rather than push the
    page sideways."""
    from consult.accounts.models import User
    from consult.topics.models import Topic

    with rig.app.app_context():
        for key in ("t_publicised", "t_done", "t_voting"):
            topic = db.session.get(Topic, rig.world.ids[key])
            topic.title = f"{topic.title}（见 {LONG_WORD}）"
        neighbour = db.session.get(User, rig.world.people["neighbour"].id)
        neighbour.name = "李邻居Lilinjuwithalongnamewithoutspaces"
        db.session.commit()


@pytest.fixture(scope="module")
def site(browser, database_template, tmp_path_factory):
    rig = Rig(database_template, tmp_path_factory.mktemp("phone"), name="phone")
    rig.world.ids["v_announced"] = _announced_vote(rig)
    _long_words(rig)
    rig.world.ids["t_agenda"] = rig.query(  # on the agenda of the coming meeting
        "SELECT id FROM topics WHERE title = '公共区域停车规划'")[0][0]
    clock.set_frozen(NOW + timedelta(minutes=5))
    server = LiveServer(rig.app)
    server.start()
    site = Site(browser, rig, server)
    try:
        yield site
    finally:
        site.close()
        server.stop()
        clock.set_frozen(None)
        rig.close()


def _cells(check: str, pages, modes=MODES):
    cells = []
    for spec in pages:
        for mode in modes:
            cells.append(pytest.param(spec.name, mode.name, id=f"{spec.name}-{mode.name}"))
    return cells


def _where(seen: Seen) -> str:
    return f"{seen.url} (screenshot {seen.screenshot})" if seen.screenshot else seen.url


@pytest.mark.parametrize("page_name, mode", _cells("loads", PAGES))
def test_page_loads(site, page_name, mode):
    seen = site.seen(page_name, mode)
    assert seen.status == 200, f"{_where(seen)} answered {seen.status}"
    assert "/login" not in seen.url, f"{page_name}: sent to log in ({seen.url})"
    assert not seen.problems, f"{_where(seen)}: the browser reported " + "; ".join(seen.problems)


@pytest.mark.parametrize("page_name, mode", _cells("overflow", PAGES))
def test_no_horizontal_overflow(site, page_name, mode):
    seen = site.seen(page_name, mode)
    assert seen.scroll_width <= seen.client_width, (
        f"{_where(seen)} scrolls sideways: {seen.scroll_width} px wide in a "
        f"{seen.client_width} px window; past the edge: {', '.join(seen.too_wide) or '?'}")


@pytest.mark.parametrize("page_name, mode", _cells("cut", PAGES, [m for m in MODES if m.phone]))
def test_nothing_cut_off_or_scrolling_sideways(site, page_name, mode):
    """On a phone nothing is cut off at the right or hidden in a box that scrolls sideways
    (the page itself not overflowing is not enough: a calendar in a scrolling box still hides
    Friday to Sunday)."""
    seen = site.seen(page_name, mode)
    assert not seen.sideways, f"{_where(seen)}: content cut or scrolling sideways in " + \
        "; ".join(seen.sideways)


@pytest.mark.parametrize("page_name, mode", _cells(
    "chart-text", [p for p in PAGES if p.chart], [m for m in MODES if m.phone]))
def test_chart_text_is_readable(site, page_name, mode):
    seen = site.seen(page_name, mode)
    assert seen.chart_texts, f"{_where(seen)} shows no chart text to check"
    small = [t for t in seen.chart_texts if t["px"] < MIN_CHART_TEXT_PX]
    assert not small, (f"{_where(seen)}: chart text under {MIN_CHART_TEXT_PX} px: "
                       + "; ".join(f"{t['px']} px “{t['text']}”" for t in small[:8]))


@pytest.mark.parametrize("page_name, mode", _cells("axe", PAGES))
def test_no_serious_accessibility_violation(site, page_name, mode):
    seen = site.seen(page_name, mode)
    assert seen.axe is None, seen.axe


@pytest.mark.parametrize("page_name, mode", _cells("action", [p for p in PAGES if p.action]))
def test_primary_action_on_first_screen(site, page_name, mode):
    seen = site.seen(page_name, mode)
    height = next(m.height for m in MODES if m.name == mode)
    assert seen.action is not None, (
        f"{_where(seen)}: no primary action found ({PRIMARY_ACTION} or "
        f"{PAGE_BY_NAME[page_name].action})")
    assert seen.action["bottom"] <= height, (
        f"{_where(seen)}: the primary action ({seen.action['selector']}) ends at "
        f"{round(seen.action['bottom'])} px, below the first screen ({height} px)")


@pytest.mark.parametrize("page_name, mode", _cells(
    "first", [p for p in PAGES if p.first], [m for m in MODES if m.phone]))
def test_first_item_on_first_screen(site, page_name, mode):
    """A list shows its first item on a phone's first screen (the filters fold away)."""
    seen = site.seen(page_name, mode)
    height = next(m.height for m in MODES if m.name == mode)
    selector = PAGE_BY_NAME[page_name].first
    assert seen.first is not None, f"{_where(seen)}: nothing matches {selector}"
    assert seen.first["bottom"] <= height, (
        f"{_where(seen)}: the first item ({selector}) ends at {round(seen.first['bottom'])} px, "
        f"below the first screen ({height} px)")


def test_the_measurements_see_what_they_check(browser):
    """The measurements behind the checks above do catch a page that scrolls sideways, a box
    that hides a calendar's last columns, small chart text (counting the viewBox's scaling) and
    an action below the first screen; and pass a page that has none of these."""
    context = browser.new_context(viewport={"width": 360, "height": 640})
    try:
        page = context.new_page()
        page.set_content("""<body style="margin:0">
          <div id="wide" style="width:500px">wide</div>
          <div class="box" style="width:200px; overflow-x:auto"><table style="width:700px">
            <tr><td>一</td><td>日</td></tr></table></div>
          <svg viewBox="0 0 640 40" width="100%"><text x="0" y="20" font-size="14">同意</text>
          </svg>
          <div style="height:900px"></div><button id="act">附议</button></body>""")
        bad = page.evaluate(MEASURE)
        bad_action = page.evaluate(ACTION_BOX, [PRIMARY_ACTION, "#act"])
        page.set_content("""<body style="margin:0">
          <svg viewBox="0 0 320 40" width="320"><text x="0" y="20" font-size="14">同意</text>
          </svg><button id="act">附议</button></body>""")
        good = page.evaluate(MEASURE)
        good_action = page.evaluate(ACTION_BOX, [PRIMARY_ACTION, "#act"])
    finally:
        context.close()
    assert bad["scrollWidth"] > bad["clientWidth"] == 360
    assert any(w.startswith("div#wide") for w in bad["tooWide"])
    assert any(w.startswith("div.box") for w in bad["sideways"])
    assert bad["chartTexts"] == [{"px": 7.9, "text": "同意"}]  # 14 px × 360/640
    assert bad_action["selector"] == "#act" and bad_action["bottom"] > 640
    assert good["scrollWidth"] <= good["clientWidth"]
    assert not good["tooWide"] and not good["sideways"]
    assert good["chartTexts"] == [{"px": 14, "text": "同意"}]
    assert good_action["selector"] == "#act" and good_action["bottom"] <= 640
