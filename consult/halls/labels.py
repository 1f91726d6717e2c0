"""Words for the stored codes of meetings, shown on pages and in "my data"."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from consult.halls.models import RegistrationStatus

REGISTRATION_STATUS_LABELS = {
    RegistrationStatus.CONFIRMED.value: _l("Seat kept"),
    RegistrationStatus.WAITING.value: _l("On the waiting list"),
}
