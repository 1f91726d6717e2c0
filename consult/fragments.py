"""Rendered pieces of pages kept in the worker, each under a key of everything it shows.

A logged-in page is rendered for its reader, but most of it reads the same for every reader
of the same language: a comment's article, for one, shows its text, author, counts and the
reader's standing towards it (may react, has reported, is its author), and the standing of
most readers is the same. A template puts such a piece in ``{% call kept(key) %} ...
{% endcall %}``: the first reader renders it, the next readers with the same key get the same
text. The key must hold every value the piece shows (the caller builds it from the rows it
shows, so a changed row is a new key, never a stale piece); the language, the site's address
prefix and the app are added here.

The CSRF field is the one thing of a reader's own a piece may hold: it is kept with a mark in
its place and the reader's own field is put back on the way out, so no reader is ever given
another's token.

Bounded per worker by ``FRAGMENTS_KEPT_CHARS`` (characters of the pieces and of the text in
their keys, about twice the rendered text), the least recently read dropped first; ``0`` turns
keeping off (every piece rendered afresh).
"""
from __future__ import annotations

import threading
from collections import OrderedDict

from flask import current_app, has_request_context, request
from flask_babel import get_locale
from markupsafe import Markup

_HOLE = "<csrf-field>"  # never in rendered text: a reader's "<" is always escaped


class KeptFragments:
    """An LRU of rendered pieces, bounded by characters."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.chars = 0
        self._kept: OrderedDict[tuple, tuple[str, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._kept)

    def get(self, key: tuple) -> str | None:
        with self._lock:
            found = self._kept.get(key)
            if found is None:
                self.misses += 1
                return None
            self._kept.move_to_end(key)
            self.hits += 1
            return found[0]

    def put(self, key: tuple, text: str, key_chars: int) -> None:
        size = len(text) + key_chars
        if size > self.limit // 4:
            return  # a piece that would push out a quarter of the rest is not worth keeping
        with self._lock:
            old = self._kept.pop(key, None)
            if old is not None:
                self.chars -= old[1]
            self._kept[key] = (text, size)
            self.chars += size
            while self.chars > self.limit:
                _key, (_text, dropped) = self._kept.popitem(last=False)
                self.chars -= dropped

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self.chars = 0


def store_of(app) -> KeptFragments | None:
    """The app's kept pieces (None while keeping is off)."""
    limit = int(app.config.get("FRAGMENTS_KEPT_CHARS", 0) or 0)
    if limit <= 0:
        return None
    store = app.extensions.get("consult_fragments")
    if store is None or store.limit != limit:
        store = app.extensions["consult_fragments"] = KeptFragments(limit)
    return store


def key_chars(key) -> int:
    """The characters of the text in ``key`` (nested tuples of values)."""
    total = 0
    for part in key:
        if isinstance(part, str):
            total += len(part)
        elif isinstance(part, tuple):
            total += key_chars(part)
    return total


def kept(key: tuple, csrf_field: str = "", *, caller) -> Markup:
    """The piece ``caller`` renders, as kept under ``key`` (with this request's language and
    address prefix) or rendered now and kept. ``csrf_field``: the reader's CSRF field as the
    piece holds it, if it holds one."""
    app = current_app._get_current_object()
    store = store_of(app)
    if store is None or not has_request_context():  # a job's or a mail's template: no reader
        return caller()
    full = (id(app), str(get_locale()), request.script_root, key)
    text = store.get(full)
    if text is not None:
        return Markup(text.replace(_HOLE, csrf_field) if csrf_field else text)
    rendered = caller()
    store.put(full, str(rendered).replace(csrf_field, _HOLE) if csrf_field else str(rendered),
              key_chars(key))
    return rendered


def init_app(app) -> None:
    app.jinja_env.globals["kept"] = kept
