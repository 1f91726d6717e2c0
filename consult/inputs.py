"""Input no page or service can store, caught once for every request before any view runs.

PostgreSQL text cannot hold a NUL character, and no database can hold a lone UTF-16 surrogate
(``"\\ud800"`` in a JSON string); a JSON body nested thousands of levels deep exhausts the
parser's recursion. Such input is never typed by a person, so the request is refused as a whole
with a clear message (a 400 page, or a problem document in the API) before a view or a service
sees it, instead of failing deep inside with a server error. Values that are only out of range
(a year 1 date, a 20-digit id) are answered by the error handlers in :mod:`consult.web`.
"""
from __future__ import annotations

import json

from flask import request

# Deeper than any body the API accepts (its objects are two levels deep at most).
MAX_JSON_DEPTH = 32


def unstorable(text: str) -> bool:
    """A NUL character, or a lone surrogate that has no UTF-8 form."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _json_problem(raw: bytes) -> str | None:
    try:
        data = json.loads(raw)
    except RecursionError:
        return "body"
    except ValueError:
        return None  # not JSON at all: the view answers that in its own words
    stack = [(data, 1, "body")]
    while stack:
        value, depth, where = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return "body"
        if isinstance(value, str):
            if unstorable(value):
                return where
        elif isinstance(value, dict):
            for key, item in value.items():
                if unstorable(key):
                    return "body"
                stack.append((item, depth + 1, key if depth == 1 else where))
        elif isinstance(value, list):
            stack.extend((item, depth + 1, where) for item in value)
    return None


def request_problem() -> str | None:
    """The name of the first field (or ``"body"``) holding input nothing can store, if any."""
    for source in (request.args, request.form):
        for name, value in source.items(multi=True):
            if unstorable(name) or unstorable(value):
                return name if not unstorable(name) else "?"
    for name, upload in request.files.items(multi=True):
        if unstorable(name) or unstorable(upload.filename or ""):
            return name
    if request.is_json:
        return _json_problem(request.get_data(cache=True))
    return None
