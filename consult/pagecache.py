"""Rendered public pages kept for visitors who are not logged in.

Most reading is done by visitors following a link from a group chat to a topic, a vote result
or the outcomes board; they all see the same page. Each worker keeps the pages it rendered for
them and serves them again while nothing has been written since and ``PAGE_CACHE_SECONDS`` have
not passed (texts such as "closes in 3 hours" age). Logged-in users, requests carrying a flash
message, and requests asking ``Cache-Control: no-cache`` always get a fresh page.

Writes are seen through SQLAlchemy's session events: a commit that wrote anything touches a
generation file under the instance folder, which every worker on the host checks (one ``stat``)
before serving a kept page. Several app hosts each see their own writes at once and the others'
within ``PAGE_CACHE_SECONDS``.

The page's CSRF token belongs to the session that rendered it, so it is kept as a marker and
replaced with the current visitor's own token when the page is served.
"""
from __future__ import annotations

import functools
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from flask import Flask, Response, current_app, has_app_context, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event
from sqlalchemy.orm import Session

from consult.http import is_htmx, large_text
from consult.i18n import select_locale

MAX_PAGES = 1024
_CSRF_MARKER = "\x00csrf\x00"
_KEPT_HEADERS = ("Content-Type", "Content-Language", "Vary")


@dataclass
class _Page:
    generation: int
    expires: float
    status: int
    headers: list[tuple[str, str]]
    body: str


class PageCache:
    def __init__(self, generation_file: str, seconds: float):
        self.generation_file = generation_file
        self.seconds = seconds
        self._pages: OrderedDict[tuple, _Page] = OrderedDict()
        self._lock = threading.Lock()

    # --- the write generation ------------------------------------------------------------------
    def generation(self) -> int:
        try:
            return os.stat(self.generation_file).st_mtime_ns
        except FileNotFoundError:
            return 0

    def data_changed(self) -> None:
        """Called after a commit that wrote: every kept page is now stale."""
        with open(self.generation_file, "a"):
            pass
        os.utime(self.generation_file, ns=(time.time_ns(), time.time_ns()))

    # --- pages -------------------------------------------------------------------------------
    def get(self, key: tuple) -> _Page | None:
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                return None
            if page.expires < time.monotonic() or page.generation != self.generation():
                del self._pages[key]
                return None
            self._pages.move_to_end(key)
            return page

    def put(self, key: tuple, page: _Page) -> None:
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


def _cache() -> PageCache | None:
    return current_app.extensions.get("consult_page_cache")


def _cacheable_request() -> bool:
    if request.method != "GET" or "no-cache" in request.headers.get("Cache-Control", ""):
        return False
    if "_flashes" in session or current_user.is_authenticated:
        return False
    return True


def _key() -> tuple:
    return (request.full_path, select_locale(), large_text(), is_htmx())


def for_visitors(view):
    """Serve this GET view's page from the cache to visitors who are not logged in."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        cache = _cache()
        if cache is None or not _cacheable_request():
            return view(*args, **kwargs)
        key = _key()
        generation = cache.generation()  # read before rendering: a write meanwhile wins
        page = cache.get(key)
        if page is not None:
            response = Response(page.body.replace(_CSRF_MARKER, generate_csrf()),
                                status=page.status, headers=page.headers)
            response.headers["X-Page-Cache"] = "hit"
            return response
        response = current_app.make_response(view(*args, **kwargs))
        if response.status_code == 200 and response.mimetype == "text/html" \
                and "_flashes" not in session:
            body = response.get_data(as_text=True).replace(generate_csrf(), _CSRF_MARKER)
            headers = [(h, v) for h, v in response.headers.items() if h in _KEPT_HEADERS]
            cache.put(key, _Page(generation, time.monotonic() + cache.seconds,
                                 response.status_code, headers, body))
            response.headers["X-Page-Cache"] = "miss"
        return response

    return wrapper


def _wrote(session_: Session, *_args) -> None:
    session_.info["consult_wrote"] = True


def _after_orm_execute(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info["consult_wrote"] = True


def _committed(session_: Session) -> None:
    if session_.info.pop("consult_wrote", False) and has_app_context():
        cache = _cache()
        if cache is not None:
            try:
                cache.data_changed()
            except OSError:
                current_app.logger.exception("could not mark the page cache stale")
                cache.clear()


def _rolled_back(session_: Session, *_args) -> None:
    session_.info.pop("consult_wrote", None)


# On the Session class, once: every session (the app's, the CLI's) is seen.
event.listen(Session, "after_flush", _wrote)
event.listen(Session, "do_orm_execute", _after_orm_execute)
event.listen(Session, "after_commit", _committed)
event.listen(Session, "after_rollback", _rolled_back)


def init_app(app: Flask) -> None:
    seconds = float(app.config.get("PAGE_CACHE_SECONDS") or 0)
    if seconds <= 0:
        return
    os.makedirs(app.instance_path, exist_ok=True)
    app.extensions["consult_page_cache"] = PageCache(
        os.path.join(app.instance_path, "page-cache-generation"), seconds)
