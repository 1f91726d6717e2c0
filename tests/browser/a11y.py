"""Accessibility checks for browser tests: axe-core on every page a test reaches.

Tests call :func:`visit` to open a page, or :func:`check_a11y` after an action that loaded a new
page (a form post, a link). The ``page`` fixture checks the last page again at teardown and fails
the test if it reached a page that was never checked, so a forgotten call does not go unnoticed.
Violations of impact "serious" or "critical" fail the test; milder ones are only recorded in
``test-artifacts/a11y-pages.txt`` next to every URL checked.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urldefrag

import pytest
from axe_playwright_python.sync_playwright import Axe

FAILING_IMPACTS = frozenset({"serious", "critical"})

_axe = Axe()


@dataclass
class CheckedPage:
    test: str
    url: str
    lang: str
    failing: list[str]  # rule ids of serious/critical violations
    milder: list[str]  # "rule-id (impact)" of the rest
    skipped: bool = False  # JavaScript off: axe cannot run


@dataclass
class PageWatch:
    """What happened to one page: documents it loaded since the last check."""

    test: str
    unchecked: list[str] = field(default_factory=list)
    last_url: str | None = None
    javascript: bool = True


# Every check of the session, in order, for the coverage list.
CHECKED: list[CheckedPage] = []
_WATCHES: dict[object, PageWatch] = {}


def watch(page, test: str, javascript: bool = True) -> PageWatch:
    """Start following ``page``'s main-frame navigations (called by the ``page`` fixture)."""
    state = PageWatch(test=test, javascript=javascript)

    def _navigated(frame):
        if frame != page.main_frame:
            return
        url = frame.url
        if url == "about:blank":
            return
        previous = state.last_url
        state.last_url = url
        # A change of #fragment only (a skip link) stays on the same document.
        if previous is not None:
            (base, frag), (prev_base, prev_frag) = urldefrag(url), urldefrag(previous)
            if base == prev_base and frag != prev_frag:
                return
        state.unchecked.append(url)

    page.on("framenavigated", _navigated)
    _WATCHES[page] = state
    return state


def unwatch(page) -> PageWatch | None:
    return _WATCHES.pop(page, None)


def _format(violation: dict) -> str:
    lines = [f"  [{violation['impact']}] {violation['id']}: {violation['help']}",
             f"    {violation.get('helpUrl', '')}"]
    for node in violation["nodes"]:
        target = " ".join(str(t) for t in node["target"])
        lines.append(f"    - {target}")
        html = (node.get("html") or "").replace("\n", " ")
        if html:
            lines.append(f"      {html[:300]}")
        summary = (node.get("failureSummary") or "").replace("\n", " ")
        if summary:
            lines.append(f"      {summary[:400]}")
    return "\n".join(lines)


def check_a11y(page) -> CheckedPage:
    """Run axe-core on the page as it is now; fail on serious or critical violations."""
    page.wait_for_load_state("load")
    state = _WATCHES.get(page)
    test = state.test if state else "?"
    url = page.url
    lang = page.locator("html").get_attribute("lang") or ""
    if state is not None and not state.javascript:
        # axe runs as a script in the page, which JavaScript off forbids (evaluate would hang);
        # the same templates are checked in the tests with JavaScript on.
        state.unchecked.clear()
        record = CheckedPage(test, url, lang, [], [], skipped=True)
        CHECKED.append(record)
        return record
    results = _axe.run(page).response
    violations = results["violations"]
    failing = [v for v in violations if v.get("impact") in FAILING_IMPACTS]
    record = CheckedPage(
        test, url, lang, [v["id"] for v in failing],
        [f"{v['id']} ({v.get('impact')})" for v in violations if v not in failing])
    CHECKED.append(record)
    if state is not None:
        state.unchecked.clear()
    if failing:
        report = "\n".join(_format(v) for v in failing)
        pytest.fail(f"accessibility: {len(failing)} serious/critical axe violation(s) on "
                    f"{url} (lang={lang}):\n{report}", pytrace=False)
    return record


def finish(page) -> list[str]:
    """At the end of a test: check the page's last document if nobody did, and say which
    earlier documents were never checked. Returns the problems found."""
    state = _WATCHES.get(page)
    if state is None or page.is_closed():
        return []
    problems = []
    if skipped := state.unchecked[:-1]:
        problems.append("pages reached but never checked for accessibility (call "
                        "check_a11y(page) after each page loads): " + ", ".join(skipped))
    if state.unchecked:
        try:
            check_a11y(page)
        except pytest.fail.Exception as error:
            problems.append(str(error))
    return problems


def visit(page, path: str):
    """Open ``path`` (relative to the live server) and check it. Returns the response."""
    response = page.goto(path)
    check_a11y(page)
    return response


def format_coverage() -> str:
    lines = [f"# {sum(not c.skipped for c in CHECKED)} page loads checked with axe-core "
             f"(failing impacts: {', '.join(sorted(FAILING_IMPACTS))}); "
             f"'no-js' = loaded with JavaScript off, where axe cannot run"]
    for c in CHECKED:
        verdict = "FAIL " + ",".join(c.failing) if c.failing else "no-js" if c.skipped else "ok"
        extra = f"  [milder: {'; '.join(c.milder)}]" if c.milder else ""
        lines.append(f"{verdict:<6} {c.url}  lang={c.lang or '-'}  ({c.test}){extra}")
    return "\n".join(lines) + "\n"
