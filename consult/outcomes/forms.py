from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from consult.outcomes.service import (
    DECISION_MAX, RESPONSIBLE_MAX, TEXT_MAX, WINDOW_DAYS_DEFAULT, WINDOW_DAYS_MAX,
    WINDOW_DAYS_MIN,
)

# Lengths and ranges are checked by the rules (consult.outcomes.service); forms keep the text.

STAR_LABELS = {
    5: _l("5 stars: very satisfied"),
    4: _l("4 stars: satisfied"),
    3: _l("3 stars: neither satisfied nor dissatisfied"),
    2: _l("2 stars: dissatisfied"),
    1: _l("1 star: very dissatisfied"),
}


class PublishForm(FlaskForm):
    decision = TextAreaField(_l("Decision"), description=_l(
        "Pre-filled from the vote result; edit it into the decision residents will read."),
        render_kw={"rows": 8, "maxlength": DECISION_MAX})
    act = RadioField(_l("What follows from the decision?"), choices=[
        ("act", _l("Something is to be done: implementation follows")),
        ("none", _l("Nothing is to be done: the topic closes when the window ends"))],
        default="act", validate_choice=False)
    days = IntegerField(_l("Publicity window in days"), default=WINDOW_DAYS_DEFAULT,
                        validators=[InputRequired(_l("Say how many days the outcome is "
                                                     "publicised.")),
                                    NumberRange(WINDOW_DAYS_MIN, WINDOW_DAYS_MAX, _l(
                                        "The publicity window is from %(min)s to %(max)s "
                                        "days."))],
                        render_kw={"min": WINDOW_DAYS_MIN, "max": WINDOW_DAYS_MAX})


class ObjectionForm(FlaskForm):
    objection = TextAreaField(_l("Your objection and its reasons"), description=_l(
        "Shown publicly with your name; the community office answers it publicly."),
        render_kw={"rows": 4, "maxlength": TEXT_MAX})


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Public answer"), render_kw={"rows": 3, "maxlength": TEXT_MAX})
    uphold = BooleanField(_l("Uphold this objection: send the topic back to deliberation "
                             "(a new meeting and vote)"))


class PlanForm(FlaskForm):
    responsible = StringField(_l("Who is responsible"), description=_l(
        "A person, office or company, e.g. “物业服务中心 王经理”."),
        render_kw={"maxlength": RESPONSIBLE_MAX})
    target_date = DateField(_l("Target date"), validators=[Optional()],
                            description=_l("Like 2026-12-31."))


class ProgressForm(FlaskForm):
    progress = TextAreaField(_l("What has been done"), render_kw={"rows": 3,
                                                                 "maxlength": TEXT_MAX})
    percent = IntegerField(_l("Percent done"), validators=[Optional()],
                           render_kw={"min": 0, "max": 100})


class DoneForm(FlaskForm):
    note = TextAreaField(_l("Note (optional, shown in the timeline)"),
                         validators=[Optional()], render_kw={"rows": 2, "maxlength": 1000})


class RatingForm(FlaskForm):
    stars = RadioField(_l("How satisfied are you with the implementation?"),
                       choices=[(str(k), v) for k, v in STAR_LABELS.items()],
                       validate_choice=False)
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional()],
                            render_kw={"rows": 3, "maxlength": TEXT_MAX})
