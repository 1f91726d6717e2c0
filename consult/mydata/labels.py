"""Words for the codes "my data" shows that no other package has words for: the ones its own
queries make up (consult/mydata/sections.py: a comment's state, a proxy's direction and status,
the consent rows of the grid help, the settings row of the message settings) and the downloads'
format and status; how a proxy was recorded and where a paper ballot stands are the votes
package's words. Pure data; the page shows them, the JSON keeps the codes."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from consult.mydata.models import ExportFormat, ExportStatus

# sections._comments
COMMENT_STATE_LABELS = {
    "visible": _l("Shown"),
    "hidden": _l("Hidden by the moderators"),
    "withdrawn": _l("Withdrawn"),
}

# sections._proxies
PROXY_DIRECTION_LABELS = {
    "given": _l("I authorised a proxy"),
    "held": _l("I am the proxy"),
}
PROXY_STATUS_LABELS = {
    "waiting": _l("Waiting for acceptance"),
    "active": _l("Active"),
    "ended": _l("No longer in force"),
}
# sections._grid_help: a consent row (the acts have consult.grids.rules.ACT_LABELS)
CONSENT = {"consent": _l("Consent")}
# sections._message_settings: the row of the settings that are not per category
SETTINGS = {"settings": _l("Channel, quiet hours and language")}

FORMAT_LABELS = {
    ExportFormat.JSON.value: "JSON",
    ExportFormat.CSV.value: _l("CSV (zip)"),
}
EXPORT_STATUS_LABELS = {
    ExportStatus.PREPARING.value: _l("Being prepared"),
    ExportStatus.READY.value: _l("Ready to download"),
    ExportStatus.FAILED.value: _l("Failed"),
    ExportStatus.EXPIRED.value: _l("Expired"),
}
