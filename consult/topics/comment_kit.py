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
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from consult.topics.labels import REACTION_LABELS

_PLACEHOLDER = "2147483646"  # an id no comment has; replaced by the comment's own


class IdUrl:
    """An address with an id in it: ``kit.url.react[c.id]``."""

    __slots__ = ("_head", "_tail")

    def __init__(self, endpoint: str, key: str = "comment_id"):
        address = url_for(endpoint, **{key: int(_PLACEHOLDER)})
        self._head, _found, self._tail = address.partition(_PLACEHOLDER)

    def __getitem__(self, comment_id) -> str:
        return f"{self._head}{comment_id}{self._tail}"


# The labels, marked for the catalogues (a plain call of a helper would not be extracted,
# and the page would show them untranslated).
_LABELS = {
    **REACTION_LABELS,  # "agree", "disagree", "pass"
    "your_view": _l("Your view of this comment"),
    "report": _l("Report"),
    "hide": _l("Hide"),
    "report_label": _l("What is wrong with this comment?"),
    "hide_label": _l("Reason for hiding (shown to everyone in its place)"),
    "report_hint": _l("Only the moderators see your report."),
    "hide_hint": _l("Up to 500 characters. Hiding is recorded in the topic's audit log."),
    "report_submit": _l("Send to the moderators"),
    "hide_submit": _l("Hide this comment"),
    "edit": _l("Edit"),
    "withdraw": _l("Withdraw"),
    "withdraw_hint": _l("The text will be removed; “comment withdrawn” stays in its place."),
    "withdraw_submit": _l("Withdraw this comment"),
    "reported": _l("You reported this comment."),
    "show_again": _l("Show again"),
    "withdrawn_by": _l("Withdrawn comment"),
    "you": _l("you"),
    "official": _l("Official answer"),
    "edited": _l("edited"),
    "withdrawn": _l("comment withdrawn"),
    "your_reply": _l("Your reply"),
    "your_comment": _l("Your comment"),
    "body_hint": _l("Plain text, up to 2000 characters. Everyone can read it; please keep "
                    "to the matter and be respectful."),
    "as_official": _l("Post as the official answer"),
    "as_official_hint": _l("Shown at the top of the comments as the community's answer; "
                           "the residents following the topic are told."),
    "post_reply": _l("Post reply"),
    "post_comment": _l("Post comment"),
    "replies": _l("Replies"),
    "reply": _l("Reply"),
    "group_agreement": _l("Agreement in each opinion group:"),
}


def _texts() -> dict[str, Markup]:
    """The labels of a comment in the request's language, as the template's ``_()`` would
    give them (Markup, ``%%`` read as ``%``)."""
    return {key: Markup(str(label)) % {} for key, label in _LABELS.items()}


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


def _article_key(v) -> tuple:
    """Every value templates/topics/_comment.html's ``article`` shows of ``v`` (a
    CommentView), read under the same conditions as the template reads them (no lazy load
    that the template would not do)."""
    c = v.comment
    support = v.support
    shown = v.state != "withdrawn"
    return (
        c.id, c.parent_id, v.state, v.show_body, v.mine, v.my_reaction, v.reported,
        v.can_edit, v.can_withdraw, v.can_react, v.can_report, v.can_moderate,
        (support.marks, support.groups) if support is not None else None,
        c.official, c.author_role, c.created_at, c.edited_at,
        v.author_name if shown else None,
        v.assisted_by_name if shown and c.assisted_by_id else None,
        c.body if v.show_body else None,
        (c.hidden_reason, v.hidden_by_name if v.show_body else None)
        if v.state == "hidden" else None,
        (c.agree_count, c.disagree_count, c.pass_count),
        c.open_report_count if v.can_moderate else None,
    )


def thread_item_key(v, sort: str, topic_id: int, can_comment: bool, can_answer: bool) -> tuple:
    """The key of one thread (a top-level comment, its replies and the reply form) as
    ``thread_item`` renders it: for :func:`consult.fragments.kept`."""
    return ("thread_item", sort, topic_id, bool(can_comment), bool(can_answer),
            _article_key(v), tuple(_article_key(r) for r in v.replies))
