"""Forms of the hall pages. They check shape only; the rules (clashes, agenda, resolutions)
are in :mod:`consult.halls.service` and :mod:`consult.halls.minutes`, which also parse dates
and times, so a refused form keeps exactly what was typed."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from consult.halls import minutes, service


def _at_most(n: int) -> Length:
    return Length(max=n, message=_l("At most %(max)d characters."))


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class HallForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Give the hall a name.")),
                                               _at_most(service.NAME_MAX)],
                       description=_l("For example: 幸福里社区居民议事厅."))
    address = StringField(_l("Address"), validators=[Optional(), _at_most(service.ADDRESS_MAX)])
    capacity = IntegerField(_l("Seats for residents"), default=30,
                            validators=[InputRequired(_l("Enter a number of seats.")),
                                        NumberRange(1, service.CAPACITY_MAX, _l(
                                            "The capacity is a number of seats from 1 to "
                                            "%(max)s."))])
    accessibility = TextAreaField(
        _l("Accessibility"), validators=[Optional(), _at_most(service.ACCESSIBILITY_MAX)],
        description=_l("Step-free entrance, lift, hearing loop, accessible toilet…"),
        render_kw={"rows": 3})


class _When(FlaskForm):
    hall = SelectField(_l("Hall"), coerce=_int_or_none,
                       validators=[InputRequired(_l("Choose a hall."))],
                       invalid_choice_message=_l("Choose one of the halls of this community."))
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the meeting a title.")),
                                                 _at_most(service.TITLE_MAX)],
                        description=_l("For example: 十二月居民议事会."))
    day = StringField(_l("Date"), validators=[DataRequired(_l("Enter a date like 2026-12-01."))],
                      render_kw={"type": "date"})
    start = StringField(_l("Start"), validators=[DataRequired(_l("Enter a time like 19:00."))],
                        render_kw={"type": "time", "step": "300"})
    end = StringField(_l("End"), validators=[DataRequired(_l("Enter a time like 21:00."))],
                      render_kw={"type": "time", "step": "300"})


class MeetingForm(_When):
    # Checked against the community's topics by the service (an id of another community's
    # topic is refused there with a clear message).
    topics = SelectMultipleField(_l("Agenda"), coerce=str, validate_choice=False,
                                 description=_l("Topics whose comment period ends before the "
                                                "meeting starts, and topics already in "
                                                "deliberation."))


class RescheduleForm(_When):
    pass


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Reason for cancelling"),
                           validators=[DataRequired(_l("Say why the meeting is cancelled; "
                                                       "residents will see it.")),
                                       _at_most(service.REASON_MAX)],
                           description=_l("Registered residents are notified."),
                           render_kw={"rows": 3})


class MinutesForm(FlaskForm):
    """Attendance and the body; each topic's resolution has fields named ``res-<id>-...``,
    read by the view."""

    present_count = IntegerField(_l("Number present"), default=0,
                                 validators=[InputRequired(_l("Enter a whole number."))],
                                 render_kw={"min": 0})
    officials_present = TextAreaField(
        _l("Representatives and committee members present"),
        validators=[Optional(), _at_most(minutes.OFFICIALS_MAX)],
        description=_l("Names, separated by commas."), render_kw={"rows": 2})
    residents_count = IntegerField(_l("Residents present"), default=0,
                                   validators=[InputRequired(_l("Enter a whole number."))],
                                   render_kw={"min": 0})
    body = TextAreaField(_l("Minutes"), validators=[Optional(), _at_most(minutes.BODY_MAX)],
                         description=_l("What happened at the meeting. You can use Markdown: "
                                        "**bold**, lists with “- ”, headings with “## ”."),
                         render_kw={"rows": 12})


class CorrectionForm(FlaskForm):
    note = TextAreaField(_l("What does the correction change?"),
                         validators=[DataRequired(_l("Say what the correction changes; the "
                                                     "note is published with it.")),
                                     _at_most(minutes.NOTE_MAX)],
                         description=_l("Published with the corrected minutes."),
                         render_kw={"rows": 3})
