"""What every comment of a thread repeats, made once per page rather than once per comment.

A topic page shows thirty comments and their replies, each with a reaction, report and reply
form. Translating the same labels and building the same addresses for each of them was half
the page's cost (hundreds of ``gettext`` and ``url_for`` calls). :func:`comment_kit` gives
templates/topics/_comment.html the labels translated once per language, the comment
addresses built once per request with a placeholder for the id, and the CSRF field; the page
reads the same as before.
"""
from __future__ import annotations

from flask import g, url_for
from flask_babel import get_locale, gettext
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

_PLACEHOLDER = "2147483646"  # an id no comment has; replaced by the comment's own


class IdUrl:
    """An address with an id in it: ``kit.url.react[c.id]``."""

    __slots__ = ("_head", "_tail")

    def __init__(self, endpoint: str, key: str = "comment_id"):
        address = url_for(endpoint, **{key: int(_PLACEHOLDER)})
        self._head, _found, self._tail = address.partition(_PLACEHOLDER)

    def __getitem__(self, comment_id) -> str:
        return f"{self._head}{comment_id}{self._tail}"


def _texts() -> dict[str, Markup]:
    """The labels of a comment, as the template's ``_()`` would give them (Markup, ``%%``
    read as ``%``)."""
    def t(message: str) -> Markup:
        return Markup(gettext(message)) % {}

    return {
        "agree": t("Agree"),
        "disagree": t("Disagree"),
        "pass": t("Pass"),
        "your_view": t("Your view of this comment"),
        "report": t("Report"),
        "hide": t("Hide"),
        "report_label": t("What is wrong with this comment?"),
        "hide_label": t("Reason for hiding (shown to everyone in its place)"),
        "report_hint": t("Only the moderators see your report."),
        "hide_hint": t("Up to 500 characters. Hiding is recorded in the topic's audit log."),
        "report_submit": t("Send to the moderators"),
        "hide_submit": t("Hide this comment"),
        "edit": t("Edit"),
        "withdraw": t("Withdraw"),
        "withdraw_hint": t("The text will be removed; “comment withdrawn” stays in its place."),
        "withdraw_submit": t("Withdraw this comment"),
        "reported": t("You reported this comment."),
        "show_again": t("Show again"),
        "withdrawn_by": t("Withdrawn comment"),
        "you": t("you"),
        "official": t("Official answer"),
        "edited": t("edited"),
        "withdrawn": t("comment withdrawn"),
        "your_reply": t("Your reply"),
        "your_comment": t("Your comment"),
        "body_hint": t("Plain text, up to 2000 characters. Everyone can read it; please keep "
                       "to the matter and be respectful."),
        "as_official": t("Post as the official answer"),
        "as_official_hint": t("Shown at the top of the comments as the community's answer; "
                              "the residents following the topic are told."),
        "post_reply": t("Post reply"),
        "post_comment": t("Post comment"),
        "replies": t("Replies"),
        "reply": t("Reply"),
        "group_agreement": t("Agreement in each opinion group:"),
    }


# Per language, for the life of the worker: the catalogues are loaded once too.
_TEXTS: dict[str, dict[str, Markup]] = {}


class CommentKit:
    __slots__ = ("t", "url", "create", "csrf")

    def __init__(self):
        locale = str(get_locale())
        texts = _TEXTS.get(locale)
        if texts is None:
            texts = _TEXTS[locale] = _texts()
        self.t = texts
        self.url = {name: IdUrl("comments." + name)
                    for name in ("react", "report", "hide", "withdraw", "restore")}
        self.create = IdUrl("comments.create", "topic_id")  # a comment or reply on a topic
        self.csrf = Markup('<input type="hidden" name="csrf_token" value="{}">').format(
            generate_csrf())


def comment_kit() -> CommentKit:
    """The request's kit (made on first use)."""
    kit = g.get("_comment_kit")
    if kit is None:
        kit = g._comment_kit = CommentKit()
    return kit
