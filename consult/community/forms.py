from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from consult.community.rules import RELATION_LABELS


class ResidencyRequestForm(FlaskForm):
    unit = SelectField(_l("Your home"), coerce=int,
                       validators=[DataRequired(_l("Choose your home."))])
    relation = RadioField(_l("You live there as"),
                          choices=list(RELATION_LABELS.items()),
                          validators=[DataRequired(_l("Choose how you live there."))])
    note = TextAreaField(_l("Note for the office (optional)"),
                         validators=[Optional(), Length(max=500)],
                         description=_l("For example: since when you live there."))


class DecisionForm(FlaskForm):
    reason = TextAreaField(_l("Reason for refusing"), validators=[Optional(), Length(max=500)])
