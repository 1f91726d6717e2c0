"""Pages as a person meets them, for tests that compare two answers.

Two renderings of the same page differ in what each request makes anew: the CSRF token (its
signature carries a timestamp in seconds, so two requests a second apart differ) and any nonce.
Comparing raw HTML therefore fails by chance when the machine is slow. :func:`seen` reduces a page
to what a reader notices (its visible text, in order) and what a form would send (each field's
name, type and value), with every per-request value masked.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

MASK = "<per-request>"
# Hidden fields and headers whose value is made anew for every request.
PER_REQUEST_FIELDS = frozenset({"csrf_token"})
_CSRF_HEADER = re.compile(r'("X-CSRFToken":\s*")[^"]*(")')
_NONCE = re.compile(r'(\bnonce=")[^"]*(")')
_SKIP_TEXT_IN = frozenset({"script", "style", "template"})


@dataclass
class Seen:
    """What a reader sees (visible text, whitespace folded) and what the forms would send."""
    text: list[str] = field(default_factory=list)
    fields: list[tuple[str, str, str]] = field(default_factory=list)
    masked: int = 0  # how many per-request values were masked


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.seen = Seen()
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag in _SKIP_TEXT_IN:
            self._skipping += 1
        if tag == "body" and "hx-headers" in values:
            self.seen.masked += 1
        if tag in ("input", "textarea", "select", "button") and values.get("name"):
            name = values["name"]
            value = values.get("value") or ""
            if name in PER_REQUEST_FIELDS:
                value = MASK
                self.seen.masked += 1
            self.seen.fields.append((name, values.get("type") or tag, value))

    def handle_endtag(self, tag):
        if tag in _SKIP_TEXT_IN and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        if self._skipping:
            return
        text = " ".join(data.split())
        if text:
            self.seen.text.append(text)


def seen(html: str) -> Seen:
    """The page reduced to its visible text and its form fields, per-request values masked."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.seen


def masked(html: str) -> str:
    """The whole page with per-request values (CSRF tokens, nonces) replaced by a mark."""
    html = re.sub(r'(name="csrf_token"[^>]*?value=")[^"]*(")', rf"\g<1>{MASK}\g<2>", html)
    html = _CSRF_HEADER.sub(rf"\g<1>{MASK}\g<2>", html)
    return _NONCE.sub(rf"\g<1>{MASK}\g<2>", html)
