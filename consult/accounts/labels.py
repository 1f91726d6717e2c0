"""Words for the stored codes of accounts: the roles granted in a community. Pure data, for the
administration pages and "my data" alike."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from consult.accounts.models import Role

ROLE_LABELS = {
    Role.SECRETARY.value: _l("Secretary"),
    Role.REPRESENTATIVE.value: _l("Representative"),
    Role.ADMIN.value: _l("Administrator"),
    Role.GRID_WORKER.value: _l("Grid worker"),
}
