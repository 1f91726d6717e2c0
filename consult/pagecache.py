"""Rendered public pages kept for visitors who are not logged in.

Most reading is done by visitors following a link from a group chat to a topic, a vote result
or the outcomes board; they all see the same page. Each worker keeps the pages it rendered for
them and serves them again while nothing has been written since and ``PAGE_CACHE_SECONDS`` have
not passed (texts such as "closes in 3 hours" age). Logged-in users, requests carrying a flash
message, and requests asking ``Cache-Control: no-cache`` always get a fresh page.

Writes are seen through SQLAlchemy's session events: a commit that wrote anything moves the
"something was written" generation on, and a kept page is served only while the generation is
the one it was rendered under (read once per request). Where the generation lives:

- ``REDIS_URL`` set: a counter in Redis (``INCR`` per writing commit, ``GET`` per visitor
  request), shared by every worker on every app host, so a write through one host ends the
  kept pages of all the others at once. When Redis cannot be reached, visitors get fresh pages
  (never an error, never a kept page) and the host drops what it kept; a write that could not
  be counted is counted when Redis answers again. A restarted Redis has lost the counter: it
  starts again from a random number, so no page kept before can match it.
- otherwise: the modification time of a file under the instance folder (one ``stat``), seen
  by every worker on the host; other app hosts would see a write only within
  ``PAGE_CACHE_SECONDS``.

The page's CSRF token belongs to the session that rendered it, so it is kept as a marker and
replaced with the current visitor's own token when the page is served.
"""
from __future__ import annotations

import functools
import logging
import os
import secrets
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


log = logging.getLogger(__name__)

REDIS_KEY = "consult:page-cache:generation"
# A kept page is a saving, not a need: a slow Redis must not hold a visitor's page up long.
REDIS_TIMEOUT_SECONDS = 0.5


class GenerationUnavailable(Exception):
    """The generation could not be read or moved on (Redis is down or too slow)."""


class FileGeneration:
    """The generation of one host: the modification time of a file under the instance folder."""

    def __init__(self, path: str):
        self.path = path

    def read(self) -> int:
        try:
            return os.stat(self.path).st_mtime_ns
        except FileNotFoundError:
            return 0
        except OSError as error:
            raise GenerationUnavailable(str(error)) from error

    def bump(self) -> None:
        try:
            with open(self.path, "a"):
                pass
            now = time.time_ns()
            os.utime(self.path, ns=(now, now))
        except OSError as error:
            raise GenerationUnavailable(str(error)) from error


class RedisGeneration:
    """The generation of every host sharing one Redis: a counter, ``INCR`` on each write."""

    def __init__(self, url: str):
        import redis

        self._errors = (redis.RedisError, OSError)
        self.client = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_SECONDS,
                                           socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
        self._unsent_bump = False

    @staticmethod
    def _start() -> int:
        # A fresh counter (first start, or a restarted Redis that lost it) begins at a random
        # number: a page kept under the lost counter's value cannot match the new one.
        return secrets.randbits(62)

    def read(self) -> int:
        try:
            if self._unsent_bump:
                self.bump()
            value = self.client.get(REDIS_KEY)
            if value is None:
                self.client.set(REDIS_KEY, self._start(), nx=True)
                value = self.client.get(REDIS_KEY)
            return int(value)
        except self._errors as error:
            raise GenerationUnavailable(str(error)) from error

    def bump(self) -> None:
        try:
            pipe = self.client.pipeline(transaction=True)
            pipe.set(REDIS_KEY, self._start(), nx=True)
            pipe.incr(REDIS_KEY)
            pipe.execute()
            self._unsent_bump = False
        except self._errors as error:
            self._unsent_bump = True  # counted at the next request that reaches Redis
            raise GenerationUnavailable(str(error)) from error


class PageCache:
    def __init__(self, generation: FileGeneration | RedisGeneration, seconds: float):
        self.generation_source = generation
        self.seconds = seconds
        self._pages: OrderedDict[tuple, _Page] = OrderedDict()
        self._lock = threading.Lock()
        self._unavailable = False

    # --- the write generation ------------------------------------------------------------------
    def generation_if_known(self) -> int | None:
        """:meth:`generation`, or None when it cannot be read (for values kept elsewhere)."""
        try:
            return self.generation()
        except GenerationUnavailable:
            return None

    def generation(self) -> int:
        """The current generation; raises :class:`GenerationUnavailable`, and then drops the
        pages kept so far: writes may be going on unseen."""
        try:
            value = self.generation_source.read()
        except GenerationUnavailable as error:
            self.clear()
            if not self._unavailable:  # once per outage, not once per request
                log.warning("page cache: the write generation is unavailable (%s); visitors "
                            "get fresh pages until it is back", error)
            self._unavailable = True
            raise
        if self._unavailable:
            log.warning("page cache: the write generation is available again")
            self._unavailable = False
        return value

    def data_changed(self) -> None:
        """Called after a commit that wrote: every kept page is now stale."""
        try:
            self.generation_source.bump()
        finally:
            self.clear()  # this worker's own pages, at once, even if the bump did not get through

    # --- pages -------------------------------------------------------------------------------
    def get(self, key: tuple, generation: int) -> _Page | None:
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                return None
            if page.expires < time.monotonic() or page.generation != generation:
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
        try:
            generation = cache.generation()  # read before rendering: a write meanwhile wins
        except GenerationUnavailable:
            return view(*args, **kwargs)  # fresh, and not kept
        page = cache.get(key, generation)
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
            except GenerationUnavailable:
                current_app.logger.exception("could not mark the page cache stale")


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
    if app.config.get("REDIS_URL"):
        generation = RedisGeneration(app.config["REDIS_URL"])
    else:
        os.makedirs(app.instance_path, exist_ok=True)
        generation = FileGeneration(os.path.join(app.instance_path, "page-cache-generation"))
    app.extensions["consult_page_cache"] = PageCache(generation, seconds)
