from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def public_url(endpoint: str, **values) -> str:
    """The absolute address of a page for a link that leaves the site (a message, a feed, a
    calendar, a printed sheet), built from the configured ``PUBLIC_URL``: the request's Host and
    X-Forwarded-Host headers are never used (anyone can set them), and it works outside a
    request too (commands, background jobs)."""
    from urllib.parse import quote

    base = urlsplit(current_app.config["PUBLIC_URL"])
    anchor = values.pop("_anchor", None)
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/",
                                       url_scheme=base.scheme)
    url = adapter.build(endpoint, values, force_external=True)
    return f"{url}#{quote(anchor)}" if anchor else url


def public_root() -> str:
    """``PUBLIC_URL`` itself, for documents that hold a base address (the Atom feed)."""
    return current_app.config["PUBLIC_URL"]


def safe_next_url(target: str | None) -> str | None:
    """Only a path on this site may follow a login: no scheme, no host, no "//evil"."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return None
    return target
