"""The administrators' export form (a GET form: no CSRF on a download)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import InputRequired

# The longest period one export covers.
MAX_DAYS = 366


class ExportForm(FlaskForm):
    class Meta:
        csrf = False

    start = DateField(_l("From (first day)"), validators=[InputRequired(
        _l("Give the first day, e.g. 2026-01-01."))])
    end = DateField(_l("Until (last day)"), validators=[InputRequired(
        _l("Give the last day, e.g. 2026-12-31."))])
    community = SelectField(_l("Community"), validate_choice=False)
