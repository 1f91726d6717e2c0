from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from consult.topics.labels import CATEGORY_LABELS
from consult.topics.lifecycle import COMMENT_DAYS_DEFAULT, COMMENT_DAYS_MAX, COMMENT_DAYS_MIN
from consult.topics.service import DESCRIPTION_MAX, TITLE_MAX, TITLE_MIN


class ProposalForm(FlaskForm):
    # Lengths are checked by the rules (consult.topics.service) so that web and API say the
    # same; the form only keeps what was typed.
    title = StringField(_l("Title"), description=_l(
        "%(min)d to %(max)d characters, e.g. “Install a ramp at the entrance of building 3”.",
        min=TITLE_MIN, max=TITLE_MAX), render_kw={"maxlength": TITLE_MAX, "autocomplete": "off"})
    description = TextAreaField(_l("Description"), description=_l(
        "What is the problem, and what do you propose? You can use Markdown: **bold**, "
        "lists with “- ”, links."), render_kw={"rows": 10, "maxlength": DESCRIPTION_MAX})
    category = RadioField(_l("Category"), choices=list(CATEGORY_LABELS.items()),
                          validate_choice=False)
    scope = SelectField(_l("Where does it apply?"), validate_choice=False, description=_l(
        "Only residents of this area can co-sign, comment and vote."))


class AcceptForm(FlaskForm):
    days = IntegerField(_l("Comment period in days"), default=COMMENT_DAYS_DEFAULT,
                        validators=[InputRequired(_l("Say how many days comments stay open.")),
                                    NumberRange(COMMENT_DAYS_MIN, COMMENT_DAYS_MAX, _l(
                                        "The comment period is from %(min)s to %(max)s days."))],
                        render_kw={"min": COMMENT_DAYS_MIN, "max": COMMENT_DAYS_MAX})


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason (shown publicly)"),
                           validators=[Optional(), Length(max=1000)], render_kw={"rows": 3})


class CloseCommentsForm(FlaskForm):
    """Close the comment period early (the secretary), with a public reason."""
    reason = TextAreaField(_l("Reason (shown publicly)"),
                           validators=[Optional(), Length(max=1000)], render_kw={"rows": 3})


class NewEndForm(FlaskForm):
    """A later end for a period (comments, an outcome's publicity window), with a public
    reason. The rules judge the end; the form keeps what was typed."""
    day = StringField(_l("New end: date"), description=_l("Like 2026-12-31."),
                      render_kw={"type": "date"})
    time = StringField(_l("New end: time"), default="20:00", description=_l("Like 20:00."),
                       render_kw={"type": "time"})
    reason = TextAreaField(_l("Reason (shown publicly)"),
                           validators=[Optional(), Length(max=1000)], render_kw={"rows": 3})

    def until(self):
        """The new end as naive UTC, or ``None`` when the date or time does not parse."""
        from consult.clock import local_to_utc
        from consult.studios.slots import parse_date, parse_time

        day, at = parse_date(self.day.data), parse_time(self.time.data)
        if day is None or at is None:
            return None
        return local_to_utc(datetime.combine(day, at))


SORTS = {
    "newest": _l("Newest"),
    "cosigned": _l("Most co-signed"),
    "closing": _l("Comments closing soonest"),
}


class TopicFilterForm(FlaskForm):
    """The GET form of the topic list; no CSRF on a search."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    stage = SelectField(_l("Stage"), validators=[Optional()])
    category = SelectField(_l("Category"), validators=[Optional()])
    community = SelectField(_l("Community"), validators=[Optional()])
    sort = SelectField(_l("Sort by"), choices=list(SORTS.items()), default="newest",
                       validators=[Optional()])
