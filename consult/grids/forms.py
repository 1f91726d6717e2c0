"""Forms of the grid pages and of the resident's assistance page. Lengths and choices are
checked by consult.grids.service so that every way in says the same."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, DateField, HiddenField, RadioField, SelectField, StringField, TextAreaField,
)
from wtforms.validators import Optional

from consult.grids.rules import EVIDENCE_MAX, SCOPE_LABELS, Scope
from consult.topics.comments import BODY_MAX


class _ConsentFields(FlaskForm):
    scope = RadioField(_l("What may the grid worker do for you?"),
                       choices=list(SCOPE_LABELS.items()),
                       default=Scope.VOTE_AND_COMMENT.value, validate_choice=False)
    last_day = DateField(_l("Until (last day)"), validators=[Optional()], description=_l(
        "At most a year. You can revoke it at any time before."))


class ConsentForm(_ConsentFields):
    """The resident allows the grid workers of their grid to act for them."""

    grid = SelectField(_l("Grid"), coerce=int, validate_choice=False)


class RecordConsentForm(_ConsentFields):
    """A grid worker records a consent the resident gave in person."""

    evidence = StringField(_l("How was it given?"), description=_l(
        "E.g. “signed form no. 12” or “in person, with witness Li Hua”, and the date."),
        render_kw={"maxlength": EVIDENCE_MAX})


class VoteForForm(FlaskForm):
    vote = HiddenField()
    option = RadioField(_l("The resident's choice"), validate_choice=False)
    replace_other = BooleanField(_l("Replace the ballot someone else cast for this home"))


class CommentForForm(FlaskForm):
    topic = SelectField(_l("Topic"), coerce=int, validate_choice=False)
    body = TextAreaField(_l("The resident's comment"),
                         render_kw={"rows": 5, "maxlength": BODY_MAX})
