"""Forms of the administration pages. They check shape (filled in, length, a whole number);
the rules (unique names, areas, refusals) are in :mod:`consult.admin.service`."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from consult.accounts.labels import ROLE_LABELS
from consult.admin.service import (
    DEFAULT_THRESHOLD, NAME_MAX, THRESHOLD_MAX, THRESHOLD_MIN, UNIT_NUMBER_MAX,
)
from consult.votes import rules as vote_rules


def _at_most(n: int) -> Length:
    return Length(max=n, message=_l("At most %(max)d characters."))


def _name(label, description=None) -> StringField:
    return StringField(label, validators=[DataRequired(_l("Please fill this in.")),
                                          _at_most(NAME_MAX)],
                       description=description)


def _threshold_in_range(form, field) -> None:
    # Silent when the input was not a number at all: that already has its message.
    if field.data is not None and not THRESHOLD_MIN <= field.data <= THRESHOLD_MAX:
        raise ValidationError(_l("Choose a number from %(min)d to %(max)d.",
                                 min=THRESHOLD_MIN, max=THRESHOLD_MAX))


def _int_or_none(value) -> int | None:
    """Coerce a submitted id; junk becomes ``None`` and fails as "not a valid choice"."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class CommunityForm(FlaskForm):
    name = _name(_l("Name of the community"))
    district = StringField(_l("District (optional)"), validators=[Optional(), _at_most(NAME_MAX)])
    street_office = StringField(_l("Street office (optional)"),
                                validators=[Optional(), _at_most(NAME_MAX)])
    cosign_threshold = IntegerField(
        _l("Co-signatures needed"), default=DEFAULT_THRESHOLD,
        invalid_value_message=_l("Enter a whole number."),
        validators=[InputRequired(_l("Enter a whole number.")), _threshold_in_range],
        render_kw={"min": THRESHOLD_MIN, "max": THRESHOLD_MAX},
        description=_l("How many residents must co-sign a proposal before it goes to review "
                       "(%(min)d to %(max)d).", min=THRESHOLD_MIN, max=THRESHOLD_MAX))


class NameForm(FlaskForm):
    """Add or rename a grid or a building."""

    name = _name(_l("Name"))


class BuildingForm(FlaskForm):
    grid = SelectField(_l("Grid"), coerce=_int_or_none,
                       validators=[InputRequired(_l("Choose a grid."))],
                       invalid_choice_message=_l("Choose one of the grids of this community."))
    name = _name(_l("Name of the building"), _l("For example: Building 3."))

    def set_grids(self, grids) -> None:
        self.grid.choices = [SelectChoice(g.id, g.name) for g in grids]


class UnitForm(FlaskForm):
    number = StringField(_l("Home number"),
                         validators=[DataRequired(_l("Please fill this in.")),
                                     _at_most(UNIT_NUMBER_MAX)],
                         description=_l("For example: 0301."))
    # Text, not a number input: the service checks it exactly and the form keeps what was typed.
    area_m2 = StringField(_l("Floor area (m²)"),
                          validators=[DataRequired(_l("Enter the floor area in square metres.")),
                                      _at_most(12)],
                          description=_l("The exclusive floor area, with at most two decimal "
                                         "places, for example 88.50."),
                          render_kw={"inputmode": "decimal", "autocomplete": "off"})


class GrantForm(FlaskForm):
    identifier = StringField(_l("Phone or e-mail of the person"),
                             validators=[DataRequired(_l("Enter a phone number or an e-mail "
                                                         "address.")), _at_most(254)],
                             description=_l("The person must already have an account."),
                             render_kw={"autocomplete": "off"})
    role = RadioField(_l("Role"), choices=[SelectChoice(v, label)
                                           for v, label in ROLE_LABELS.items()],
                      validators=[InputRequired(_l("Choose a role."))],
                      invalid_choice_message=_l("Choose a role."))
    grid = SelectField(_l("Grid (for a grid worker)"), coerce=_int_or_none,
                       validators=[Optional()],
                       invalid_choice_message=_l("Choose one of the grids of this community."),
                       description=_l("A grid worker serves one grid; grant the role once per "
                                      "grid."))

    def set_grids(self, grids) -> None:
        self.grid.choices = [SelectChoice(None, "—")] + [SelectChoice(g.id, g.name)
                                                         for g in grids]


def _days_in(low: int, high: int):
    def check(form, field) -> None:
        if field.data is not None and not low <= field.data <= high:
            raise ValidationError(_l("Choose a number of days from %(min)d to %(max)d.",
                                     min=low, max=high))
    return check


class VoteSettingsForm(FlaskForm):
    """The notice and length of the community's owners' votes (under the Civil Code)."""

    vote_notice_days = IntegerField(
        _l("Notice of an owners' vote (days)"), default=vote_rules.DEFAULT_NOTICE_DAYS,
        invalid_value_message=_l("Enter a whole number of days."),
        validators=[InputRequired(_l("Enter a whole number of days.")),
                    _days_in(vote_rules.NOTICE_DAYS_MIN, vote_rules.NOTICE_DAYS_MAX)],
        render_kw={"min": vote_rules.NOTICE_DAYS_MIN, "max": vote_rules.NOTICE_DAYS_MAX},
        description=_l("Days between the announcement of a vote under the Civil Code and its "
                       "opening (%(min)d to %(max)d; the Property Management Regulations ask "
                       "15 days' notice of an owners' meeting).",
                       min=vote_rules.NOTICE_DAYS_MIN, max=vote_rules.NOTICE_DAYS_MAX))
    vote_min_open_days = IntegerField(
        _l("Shortest voting time of an owners' vote (days)"),
        default=vote_rules.DEFAULT_MIN_OPEN_DAYS,
        invalid_value_message=_l("Enter a whole number of days."),
        validators=[InputRequired(_l("Enter a whole number of days.")),
                    _days_in(vote_rules.OPEN_DAYS_MIN, vote_rules.OPEN_DAYS_MAX)],
        render_kw={"min": vote_rules.OPEN_DAYS_MIN, "max": vote_rules.OPEN_DAYS_MAX},
        description=_l("How long a vote under the Civil Code stays open at least (%(min)d to "
                       "%(max)d).", min=vote_rules.OPEN_DAYS_MIN, max=vote_rules.OPEN_DAYS_MAX))
