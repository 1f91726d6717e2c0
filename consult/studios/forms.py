"""Forms of the studio pages. They check shape only (filled in, length, a whole number);
the rules (opening hours, clashes, limits) are in the service modules, which also parse the
dates and times, so a form keeps exactly what was typed."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from consult.studios import booking, reception, rules, service
from consult.studios.labels import (
    ATTENDANCE_LABELS, BODY_LABELS, CATEGORY_LABELS, KIND_LABELS, WEEKDAY_LABELS,
)


def _at_most(n: int) -> Length:
    return Length(max=n, message=_l("At most %(max)d characters."))


def _required(message=None):
    return DataRequired(message or _l("Please fill this in."))


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _date_field(label, description=None) -> StringField:
    # A date input where the browser has one; the service parses the text.
    return StringField(label, validators=[_required(_l("Enter a date like 2026-12-01."))],
                       description=description, render_kw={"type": "date"})


def _time_field(label, example="09:00") -> StringField:
    return StringField(label, validators=[_required(_l("Enter a time like %(t)s.", t=example))],
                       render_kw={"type": "time", "step": "300"})


# --- administration ------------------------------------------------------------------------

class StudioForm(FlaskForm):
    kind = SelectField(_l("Kind of studio"), choices=_choices(KIND_LABELS),
                       validators=[InputRequired(_l("Choose the kind of studio."))],
                       invalid_choice_message=_l("Choose the kind of studio."))
    name = StringField(_l("Name"), validators=[_required(), _at_most(service.NAME_MAX)],
                       description=_l("For example: 幸福里社区人大代表工作室."))
    address = StringField(_l("Address"), validators=[_required(),
                                                     _at_most(service.ADDRESS_MAX)])


class RoomForm(FlaskForm):
    name = StringField(_l("Name of the room"), validators=[_required(),
                                                           _at_most(service.NAME_MAX)])


class HoursForm(FlaskForm):
    weekday = SelectField(_l("Day of the week"), coerce=_int_or_none,
                          choices=[SelectChoice(i, label) for i, label in enumerate(WEEKDAY_LABELS)],
                          validators=[InputRequired(_l("Choose a day of the week."))],
                          invalid_choice_message=_l("Choose a day of the week."))
    opens = _time_field(_l("Opens at"), "09:00")
    closes = _time_field(_l("Closes at"), "17:30")


class AttachForm(FlaskForm):
    user = SelectField(_l("Representative"), coerce=_int_or_none,
                       validators=[InputRequired(_l("Choose a representative."))],
                       invalid_choice_message=_l("Choose one of the representatives listed."))

    def set_people(self, people) -> None:
        self.user.choices = [SelectChoice(u.id, u.name) for u in people]


class ProfileForm(FlaskForm):
    body = SelectField(_l("Body"), choices=_choices(BODY_LABELS),
                       validators=[InputRequired(_l("Choose the body the representative "
                                                    "belongs to."))],
                       invalid_choice_message=_l("Choose the body the representative "
                                                 "belongs to."))
    area_served = StringField(_l("Area served"),
                              validators=[_required(), _at_most(service.AREA_MAX)],
                              description=_l("For example: 东风街道第三选区 (幸福里社区、和平里社区)."))
    bio = TextAreaField(_l("About the representative (optional)"),
                        validators=[Optional(), _at_most(service.BIO_MAX)])


# --- representatives -----------------------------------------------------------------------

class BookingForm(FlaskForm):
    room = SelectField(_l("Room"), coerce=_int_or_none,
                       validators=[InputRequired(_l("Choose a room."))],
                       invalid_choice_message=_l("Choose one of the rooms of this studio."))
    day = _date_field(_l("Date"), _l("The first date, when the booking repeats."))
    start = _time_field(_l("Start"), "09:00")
    end = _time_field(_l("End"), "11:00")
    focus = StringField(_l("Focus (optional)"),
                        validators=[Optional(), _at_most(booking.FOCUS_MAX)],
                        description=_l("For example: old buildings getting lifts."))
    slot_minutes = IntegerField(
        _l("Length of a reception slot (minutes)"), default=booking.SLOT_DEFAULT,
        validators=[InputRequired(_l("Enter a whole number.")),
                    NumberRange(booking.SLOT_MIN, booking.SLOT_MAX,
                                _l("Choose from %(min)d to %(max)d minutes."))],
        render_kw={"min": booking.SLOT_MIN, "max": booking.SLOT_MAX, "step": 5})
    weeks = IntegerField(
        _l("Repeat every week for (weeks)"), default=1,
        validators=[InputRequired(_l("Enter a whole number.")),
                    NumberRange(1, booking.WEEKS_MAX, _l("Choose from %(min)d to %(max)d."))],
        description=_l("1 books only this date. For example 8: the same weekday and time for "
                       "8 weeks; dates that clash are skipped and listed."),
        render_kw={"min": 1, "max": booking.WEEKS_MAX})

    def set_rooms(self, rooms) -> None:
        self.room.choices = [SelectChoice(r.id, r.name) for r in rooms]


class CancelSessionForm(FlaskForm):
    reason = TextAreaField(_l("Reason for cancelling"),
                           validators=[_required(_l("Say why the session is cancelled; "
                                                    "residents will see it.")),
                                       _at_most(booking.REASON_MAX)],
                           description=_l("Residents who reserved a slot are notified."))


# --- residents -----------------------------------------------------------------------------

class ReserveForm(FlaskForm):
    slot = RadioField(_l("Choose a time"), validators=[InputRequired(_l("Choose a free slot."))],
                      invalid_choice_message=_l("Choose one of the free slots."))
    category = SelectField(_l("What is it about?"), choices=_choices(CATEGORY_LABELS),
                           validators=[InputRequired(_l("Choose what the matter is about."))],
                           invalid_choice_message=_l("Choose what the matter is about."))
    matter = TextAreaField(_l("Your matter in a few words"),
                           validators=[_required(_l("Say in a few words what you want to "
                                                    "raise.")),
                                       _at_most(reception.MATTER_MAX)],
                           description=_l("Only the representative sees this."))

    def set_slots(self, slots, label) -> None:
        self.slot.choices = [SelectChoice(s.key, label(s)) for s in slots]


class RecordForm(FlaskForm):
    attendance = RadioField(_l("Did the resident come?"), choices=_choices(ATTENDANCE_LABELS),
                            validators=[InputRequired(_l("Say whether the resident came."))],
                            invalid_choice_message=_l("Say whether the resident came."))
    raised = TextAreaField(_l("What was raised"),
                           validators=[Optional(), _at_most(reception.RECORD_MAX)])
    follow_up = TextAreaField(_l("Follow-up promised (optional)"),
                              validators=[Optional(), _at_most(reception.RECORD_MAX)],
                              description=_l("The resident reads this record."))


# --- matters followed up -------------------------------------------------------------------

class DueForm(FlaskForm):
    due_on = _date_field(_l("Answer due by"),
                         _l("The date you promised the resident an answer by."))


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Your answer"),
                           validators=[_required(_l("Write the answer the resident will "
                                                    "read.")),
                                       _at_most(rules.ANSWER_MAX)],
                           description=_l("The resident reads it and rates it."))


class RateForm(FlaskForm):
    rating = RadioField(_l("How well does the answer settle your matter? (1 poor, 5 very "
                           "well)"), choices=[SelectChoice(str(n), str(n)) for n in rules.RATINGS],
                        validators=[InputRequired(_l("Choose from 1 to 5."))],
                        invalid_choice_message=_l("Choose from 1 to 5."))
    reason = TextAreaField(_l("Why? (needed for 1 or 2)"),
                           validators=[Optional(), _at_most(rules.REASON_MAX)],
                           description=_l("A rating of 1 or 2 with its reason sends the matter "
                                          "back to the representative, once."))

    def for_reservation(self, reservation_id: int) -> RateForm:
        """Ids of its own, as every answered matter of the page has a form."""
        self.rating.id = f"rating-{reservation_id}"
        self.reason.id = self.reason.label.field_id = f"reason-{reservation_id}"
        return self
