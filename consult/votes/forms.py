from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, IntegerField, RadioField, SelectField
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from consult.votes.labels import ELECTORATE_LABELS, RULE_LABELS
from consult.votes.models import Electorate
from consult.votes.tally import Rule

KIND_LABELS = {"yes_no": _l("Agree / oppose / abstain"),
               "choice": _l("A choice between options")}
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class OpenVoteForm(FlaskForm):
    question = TextAreaField(_l("Question"), render_kw={"rows": 3, "maxlength": 500})
    kind = RadioField(_l("Kind of vote"), choices=list(KIND_LABELS.items()), default="yes_no",
                      validate_choice=False)
    options = TextAreaField(_l("Options of a choice vote"), render_kw={"rows": 4},
                            description=_l("One per line, 2 to 8."))
    electorate = SelectField(_l("Who votes"), choices=list(ELECTORATE_LABELS.items()),
                             default=Electorate.OWNERS.value, validate_choice=False)
    scope = SelectField(_l("Area"), validate_choice=False)
    rule = SelectField(_l("Rule"), choices=list(RULE_LABELS.items()),
                       default=Rule.CIVIL_CODE_ORDINARY.value, validate_choice=False)
    quorum_percent = IntegerField(_l("Participation quorum in percent (optional)"),
                                  validators=[Optional()],
                                  description=_l("Only for the simple majority and two-thirds "
                                                 "rules."))
    opens_at = DateTimeLocalField(_l("Opens (Beijing time)"), format=DATETIME_FORMAT,
                                  validators=[InputRequired(_l("Give the opening time."))])
    closes_at = DateTimeLocalField(_l("Closes (Beijing time)"), format=DATETIME_FORMAT,
                                   validators=[InputRequired(_l("Give the closing time."))])
    secret = BooleanField(_l("Secret ballot (the ballot list shows no homes)"), description=_l(
        "Owner votes are usually named: the published ballot list shows each ballot's homes."))


class BallotForm(FlaskForm):
    option = RadioField(_l("Your choice"), validate_choice=False,
                        validators=[InputRequired(_l("Choose one of the options."))])
    replace_other = BooleanField(_l("Yes, replace the ballot someone else cast for my home"))


class CancelVoteForm(FlaskForm):
    # Length is the service's to check (10 to 1000, with its message); maxlength stops typing.
    reason = TextAreaField(_l("Why is the vote cancelled? (shown publicly)"),
                           validators=[InputRequired(_l("Give the reason for cancelling; it is "
                                                        "shown publicly.")),
                                       Length(max=4000, message=_l("Too long."))],
                           render_kw={"rows": 4, "maxlength": 1000},
                           description=_l("10 to 1000 characters. The electors are told; a "
                                          "corrected vote is opened as a new vote."))
