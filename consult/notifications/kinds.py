"""The words for each kind of notification. A domain registers its kinds at import time:

    register("topic.accepted", _l("“%(title)s” was accepted; comments are open until %(until)s."))

Parameters are filled in when the notification is shown, in the reader's language.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

_KINDS: dict[str, object] = {}


def register(kind: str, message) -> None:
    _KINDS[kind] = message


def registered(kind: str) -> bool:
    return kind in _KINDS


def known() -> list[str]:
    """Every kind registered so far."""
    return list(_KINDS)


def render(kind: str, params: dict) -> str:
    message = _KINDS.get(kind)
    if message is None:
        return str(params.get("title") or kind)
    try:
        return str(message) % params
    except (KeyError, TypeError, ValueError):
        # An old notification whose parameters no longer fit must still show something.
        return str(params.get("title") or kind)


register("generic", _l("%(text)s"))
