"""The phone's bottom tab bar (首页 / 议题 / 表决 / 工作室 / 我的): which tab a page belongs to.

Pure: it reads only the request's endpoint, blueprint, path and query arguments, so the rule is
tested without a request and the template marks the tab with ``aria-current="page"``.
"""
from __future__ import annotations

from collections.abc import Mapping

HOME, TOPICS, VOTES, STUDIOS, ME = "home", "topics", "votes", "studios", "me"
TABS = (HOME, TOPICS, VOTES, STUDIOS, ME)
# The 表决 tab opens the topic list at the voting stage: the site has no separate vote list.
VOTING_STAGE = "voting"

# The account menu (/me) and every page it leads to belong to 我的.
_ME_BLUEPRINTS = frozenset({"notifications", "mydata", "devices", "messages", "desk", "grids",
                            "admin", "roster", "closing"})
_ME_ENDPOINTS = frozenset({
    "main.me", "accounts.password", "accounts.change_phone", "accounts.confirm_phone",
    "accounts.login", "accounts.register_view", "community.my_residency",
    "community.verifications", "comments.moderation",
})


def current_tab(endpoint: str | None, blueprint: str | None, path: str,
                args: Mapping[str, str]) -> str | None:
    """The tab of the page at ``path`` (answered by ``endpoint`` of ``blueprint``), or None for
    a page that belongs to none of them (an error page, the privacy notice)."""
    if endpoint == "main.home":
        return HOME
    if endpoint in _ME_ENDPOINTS or blueprint in _ME_BLUEPRINTS or path.startswith("/me/"):
        return ME
    if blueprint in ("votes", "vote_proxies") or (endpoint == "topics.index"
                                and args.get("stage") == VOTING_STAGE):
        return VOTES
    if blueprint in ("topics", "comments", "outcomes"):
        return TOPICS
    if blueprint == "studios":
        return STUDIOS
    return None
