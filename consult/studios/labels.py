"""Words for the stored codes of studios, shown on pages and in forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from consult.studios.models import Attendance, Body, MatterStatus, StudioKind

KIND_LABELS = {
    StudioKind.PEOPLES_CONGRESS.value: _l("People's congress deputies' studio"),
    StudioKind.CPPCC.value: _l("CPPCC members' studio"),
    StudioKind.LIAISON.value: _l("Deputies' liaison station"),
}

BODY_LABELS = {
    Body.DISTRICT_PC.value: _l("District people's congress deputy"),
    Body.CITY_PC.value: _l("City people's congress deputy"),
    Body.PROVINCIAL_PC.value: _l("Provincial people's congress deputy"),
    Body.NATIONAL_PC.value: _l("National People's Congress deputy"),
    Body.DISTRICT_CPPCC.value: _l("District CPPCC member"),
    Body.CITY_CPPCC.value: _l("City CPPCC member"),
}

# The same codes as topic categories, so a matter can become a topic proposal unchanged.
CATEGORY_LABELS = {
    "environment": _l("Environment and cleanliness"),
    "property": _l("Property management and repairs"),
    "safety": _l("Safety"),
    "elderly_children": _l("Elderly care and children"),
    "parking": _l("Parking and traffic"),
    "culture": _l("Culture and activities"),
    "other": _l("Other"),
}

ATTENDANCE_LABELS = {
    Attendance.ATTENDED.value: _l("Attended"),
    Attendance.NO_SHOW.value: _l("Did not come"),
}

WEEKDAY_LABELS = [_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
                  _l("Saturday"), _l("Sunday")]

MATTER_STATUS_LABELS = {
    MatterStatus.RECORDED.value: _l("Recorded"),
    MatterStatus.HANDLING.value: _l("Being handled"),
    MatterStatus.ANSWERED.value: _l("Answered"),
}
