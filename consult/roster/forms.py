from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional

from consult.roster.importer import COMMUNITY_NAME_MAX


class RosterUploadForm(FlaskForm):
    """Upload a roster (花名册) into a community the user manages, or (platform administrators
    only) into a new one."""

    # Choices are not validated by WTForms: the view checks the chosen community against the
    # permission table, so a forged id is refused with 403 rather than a form error.
    community = SelectField(_l("Community"), validate_choice=False)
    new_community = StringField(
        _l("Or a new community"),
        validators=[Optional(), Length(max=COMMUNITY_NAME_MAX)],
        description=_l("Only when the community is not in the list yet: it is created."))
    file = FileField(
        _l("Roster file (CSV)"),
        validators=[FileRequired(_l("Choose the roster file.")),
                    FileAllowed(["csv"], _l("The roster must be a .csv file."))],
        description=_l("In your spreadsheet, save the roster as “CSV UTF-8”."))

    @classmethod
    def for_user(cls, communities, may_create: bool) -> RosterUploadForm:
        form = cls()
        choices = [(str(c.id), c.name) for c in communities]
        if may_create or len(choices) != 1:
            choices.insert(0, ("", _l("Choose…")))
        form.community.choices = choices
        if not may_create:
            del form.new_community
        return form

    @property
    def new_community_name(self) -> str:
        return (self.new_community.data or "").strip() if self.new_community else ""

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.community.data and self.new_community_name:
            self.community.errors.append(_l("Choose a community or name a new one, not both."))
            return False
        if not self.community.data and not self.new_community_name:
            self.community.errors.append(_l("Choose the community."))
            return False
        return True
