from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField
from wtforms.validators import InputRequired

from consult.messages import rules

HOURS = [(h, f"{h:02d}:00") for h in range(24)]


def preferences_form(*, phone: bool, email: bool, formdata=None, **data):
    """One choice per category, the channel for messages at once, and the quiet hours."""

    class PreferencesForm(FlaskForm):
        channel = RadioField(
            _l("Messages at once go by"),
            choices=[(c, rules.CHANNEL_LABELS[c]) for c, ok in
                     ((rules.SMS, phone), (rules.EMAIL, email)) if ok],
            validators=[InputRequired(_l("Choose SMS or e-mail."))] if (phone or email) else [])
        quiet_start = SelectField(_l("No SMS from"), choices=HOURS, coerce=int,
                                  description=_l("Except one-time codes. Times are Beijing time."))
        quiet_end = SelectField(_l("until"), choices=HOURS, coerce=int)

    for category in rules.CATEGORIES:
        setattr(PreferencesForm, f"mode_{category.key}", RadioField(
            category.label, choices=[(m, rules.MODE_LABELS[m]) for m in rules.MODES],
            validators=[InputRequired(_l("Choose how to receive these messages."))]))
    form = PreferencesForm(formdata=formdata, data=data) if formdata is not None \
        else PreferencesForm(data=data)
    return form
