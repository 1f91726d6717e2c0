"""What a request says about its reader, for every layer above: whether htmx sent it, the
larger-text cookie, and what a person typed into a form (never a secret), so that a refused
page can offer it back."""
from __future__ import annotations

from flask import request

TEXT_SIZE_COOKIE = "text_size"
# Fields never echoed back into a page.
SECRET_FIELDS = frozenset({"csrf_token", "password", "new_password", "current_password",
                           "confirm"})


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def large_text() -> bool:
    return request.cookies.get(TEXT_SIZE_COOKIE) == "large"


def typed_fields() -> list[tuple[str, str]]:
    """The posted form's fields as (name, value), secrets left out; none for a GET or an
    upload."""
    if request.method != "POST" or request.files:
        return []
    return [(k, v) for k, values in request.form.lists() for v in values
            if k not in SECRET_FIELDS]
