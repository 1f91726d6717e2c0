"""Pure rules of the access record: the words for pages, fields and roles, which role a viewer
looked with, and masking (least exposure: 最小必要).

Least exposure, page by page (the inventory is in the README):

- a grid's page and its not-voted CSV show whole phone numbers only to the grid's workers and
  the community's secretaries, who phone owners (to remind them of a vote, to deliver a letter);
  the community's administrators and platform administrators see them masked;
- the grid worker's page for one resident shows the resident's whole number (only grid workers
  of the grid open it: they act for the resident);
- everywhere else (the verification queue, role grants, proxies, message failures, "my
  settings") numbers and addresses are masked, and nothing public carries them at all.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from consult.accounts.identity import mask_email, mask_phone  # noqa: F401 (the helpers)

PHONE, EMAIL, NOT_VOTED = "phone", "email", "not_voted"

FIELD_LABELS = {
    PHONE: _l("phone number"),
    EMAIL: _l("e-mail address"),
    NOT_VOTED: _l("has not voted yet"),
}

# The pages whose showing is recorded (stored by key, shown in the reader's language).
PAGE_LABELS = {
    "grid": _l("Grid page: owners, phones and who has voted"),
    "grid_not_voted_csv": _l("Grid's list of owners who have not voted (CSV)"),
    "grid_resident": _l("Grid worker's page for one resident"),
}

ROLE_LABELS = {
    "grid_worker": _l("Grid worker"),
    "secretary": _l("Secretary"),
    "admin": _l("Administrator"),
    "platform_admin": _l("Platform administrator"),
    "official": _l("Official"),
}


def viewer_role(held: set[str], works_grid: bool, platform_admin: bool) -> str:
    """The role a viewer saw a grid's people with: the grid worker's own errand first, then the
    community office, then the platform."""
    if works_grid:
        return "grid_worker"
    for role in ("secretary", "admin"):
        if role in held:
            return role
    return "platform_admin" if platform_admin else "official"


def join_fields(fields) -> str:
    """Fields in a stable order, comma-separated, as stored."""
    return ",".join(f for f in FIELD_LABELS if f in set(fields))


def split_fields(stored: str) -> list[str]:
    return [f for f in (stored or "").split(",") if f]
