"""Browser test rig: the real app on a live server, driven by headless Chromium.

* ``live_server``: the app of the ``app`` fixture (same per-test database as every other test,
  SQLite copy or emptied PostgreSQL) served by werkzeug on 127.0.0.1, with CSRF ON (real forms)
  and rate limits off. The test thread keeps the ``app`` fixture's app context, so factories and
  ``db.session.commit()`` put data where the server sees it. Call ``db.session.rollback()``
  before reading what the browser changed (it ends the test's own transaction and snapshot).
* ``browser``: one Chromium per session (``CHROMIUM_PATH``, default /usr/bin/chromium). Missing
  Chromium is a failure, not a skip: CI installs it.
* ``page``: a fresh context and page per test, phone-sized (360×740), with ``base_url`` set to the
  live server; ``new_page(...)`` makes more (another viewport, JavaScript off, a second user).
  Every page is checked with axe-core (see ``tests/browser/a11y.py``); on failure a screenshot
  and the HTML go to ``test-artifacts/``.
"""
from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from consult.config import PROJECT_ROOT
from tests.browser import a11y

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PHONE = {"width": 360, "height": 740}
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
DEFAULT_TIMEOUT_MS = 30_000  # generous: a busy machine is slow, never wrong

_BROWSER_DIR = Path(__file__).resolve().parent
_REPORTS = pytest.StashKey[dict]()


# --- marking and reporting --------------------------------------------------------------------

def pytest_collection_modifyitems(config, items):
    """Everything under tests/browser is a browser test (``-m "not browser"`` leaves it out)."""
    for item in items:
        if _BROWSER_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


def pytest_sessionfinish(session, exitstatus):
    if not a11y.CHECKED:
        return
    worker = getattr(session.config, "workerinput", {}).get("workerid")
    ARTIFACTS.mkdir(exist_ok=True)
    name = f"a11y-pages-{worker}.txt" if worker else "a11y-pages.txt"
    (ARTIFACTS / name).write_text(a11y.format_coverage(), encoding="utf-8")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if a11y.CHECKED:
        failing = sum(1 for c in a11y.CHECKED if c.failing)
        checked = sum(1 for c in a11y.CHECKED if not c.skipped)
        terminalreporter.write_line(
            f"axe-core: {checked} page loads checked, {failing} with serious/critical "
            f"violations; list in {ARTIFACTS / 'a11y-pages.txt'}")


# --- the live server ----------------------------------------------------------------------------

@pytest.fixture
def app_config():
    """Browser tests post real forms: CSRF on. Rate limits off so tests may log in often."""
    return {"WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": False}


class LiveServer:
    def __init__(self, app):
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name=f"live-server-{self.port}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()


@pytest.fixture
def live_server(app):
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()


# --- the browser --------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    if not (os.path.isfile(CHROMIUM_PATH) and os.access(CHROMIUM_PATH, os.X_OK)):
        pytest.fail(f"Chromium not found at {CHROMIUM_PATH}: browser tests need it. Install it "
                    f"(Debian: apt-get install chromium) or set CHROMIUM_PATH to its binary.",
                    pytrace=False)
    from playwright.sync_api import Error, sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM_PATH, headless=True,
                                              args=CHROMIUM_ARGS)
    except Error as error:
        playwright.stop()
        pytest.fail(f"Chromium at {CHROMIUM_PATH} did not start: {error}", pytrace=False)
    yield chromium
    chromium.close()
    playwright.stop()


def _artifact_name(nodeid: str, suffix: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / (re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_") + suffix)


def _save_artifacts(page, nodeid: str, n: int) -> list[Path]:
    saved = []
    tag = f"-{n}" if n else ""
    try:
        shot = _artifact_name(nodeid, f"{tag}.png")
        page.screenshot(path=str(shot), full_page=True)
        saved.append(shot)
        html = _artifact_name(nodeid, f"{tag}.html")
        html.write_text(page.content(), encoding="utf-8")
        saved.append(html)
    except Exception as error:  # a crashed page must not hide the original failure
        print(f"could not save artifacts for {nodeid}: {error}")
    return saved


def _watch_problems(page, problems: list[str]) -> None:
    """Collect what a resident would meet as breakage: script errors, CSP refusals (reported
    on the console), and stylesheets/scripts/images that fail to load. Chromium's own request
    for /favicon.ico (the pages link their icons elsewhere) is not a page defect."""

    def _console(msg):
        # A failed resource is reported below with its URL instead.
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            problems.append(f"console error: {msg.text}")

    def _response(response):
        request = response.request
        if (response.status >= 400 and request.resource_type != "document"
                and not request.url.endswith("/favicon.ico")):
            problems.append(f"{request.resource_type} {request.url} answered {response.status}")

    def _failed(request):
        # Chromium fetches the page's icon and manifest in the background ("other",
        # "manifest") and drops the fetch when the page moves on: that is no defect.
        dropped = (request.failure or "").startswith("net::ERR_ABORTED") \
            and request.resource_type in ("other", "manifest")
        if request.resource_type != "document" and not dropped:
            problems.append(f"{request.resource_type} {request.url} failed: {request.failure}")

    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    page.on("console", _console)
    page.on("response", _response)
    page.on("requestfailed", _failed)


@pytest.fixture
def new_page(browser, live_server, request):
    """``new_page(viewport=..., java_script_enabled=...)``: a page in a fresh context (its own
    cookies), watched for accessibility. Teardown checks each page's last document, fails if a
    page loaded a document nobody checked, and saves artifacts when the test failed."""
    opened = []

    def _new_page(*, viewport: dict | None = None, java_script_enabled: bool = True, **options):
        context = browser.new_context(base_url=live_server.url, viewport=viewport or PHONE,
                                      java_script_enabled=java_script_enabled,
                                      locale="zh-CN", **options)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        page = context.new_page()
        problems: list[str] = []
        _watch_problems(page, problems)
        a11y.watch(page, request.node.nodeid, javascript=java_script_enabled)
        opened.append((context, page, problems))
        return page

    yield _new_page

    reports = request.node.stash.get(_REPORTS, {})
    failed = any(r.failed for r in reports.values())
    errors: list[str] = []
    for n, (context, page, problems) in enumerate(opened):
        if not failed:
            errors.extend(a11y.finish(page))
        a11y.unwatch(page)
        if problems:
            message = "the browser reported errors:\n  " + "\n  ".join(problems)
            if failed:
                print(message)  # shown with the failure, which it may explain
            else:
                errors.append(message)
        if (failed or errors) and not page.is_closed():
            saved = _save_artifacts(page, request.node.nodeid, n)
            if saved:
                print("saved " + ", ".join(str(p) for p in saved))
        context.close()
    if errors:
        pytest.fail("\n".join(errors), pytrace=False)


@pytest.fixture
def page(new_page):
    return new_page()

