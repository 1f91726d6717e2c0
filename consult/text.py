"""Turning what users type into safe HTML.

Markdown is rendered with raw HTML switched off, and the result is sanitized again with nh3 so
that no tag, attribute or URL scheme outside a short allow-list survives, whatever the parser
does. Plain texts (comments, reasons) are escaped and keep their line breaks.
"""
from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_markdown.disable("image")  # no pictures from other sites in a topic: tracking and layout

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre",
                "h2", "h3", "h4", "a", "hr"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}


def render_markdown(source: str) -> str:
    """Markdown to sanitized HTML (a string to store; mark it safe when showing it)."""
    html = _markdown.render(source or "")
    # Headings of a description sit under the topic's own h1: shift # and ## down.
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes=ALLOWED_SCHEMES, link_rel="nofollow noopener noreferrer")


def plain_paragraphs(text: str) -> Markup:
    """Escaped plain text with blank lines as paragraphs and single line breaks kept."""
    blocks = [b.strip() for b in (text or "").replace("\r\n", "\n").split("\n\n") if b.strip()]
    return Markup("").join(
        Markup("<p>{}</p>").format(Markup("<br>").join(escape(line) for line in b.split("\n")))
        for b in blocks)
