"""Words for the stored codes of accounts: the roles granted in a community and what the audit
log records about an account. Pure data, for the administration pages and "my data" alike."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from consult.accounts.models import Role

ROLE_LABELS = {
    Role.SECRETARY.value: _l("Secretary"),
    Role.REPRESENTATIVE.value: _l("Representative"),
    Role.ADMIN.value: _l("Administrator"),
    Role.GRID_WORKER.value: _l("Grid worker"),
}

# What happened to an account, by its action in the audit log (the ones "my data" lists:
# consult.mydata.sections.ACCOUNT_ACTIONS).
ACTION_LABELS = {
    "account.register": _l("Registered the account"),
    "account.activate": _l("Activated the account"),
    "account.password_change": _l("Changed the password"),
    "account.password_reset_request": _l("Asked to reset the password"),
    "account.password_reset": _l("Reset the password"),
    "account.phone_change": _l("Changed the phone number"),
    "account.log_out_everywhere": _l("Logged out of every device"),
    "account.close": _l("Closed the account"),
    "api.token_create": _l("Logged in to an app"),
    "api.token_revoke": _l("Logged out of an app"),
}
