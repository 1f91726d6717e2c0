from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from consult.accounts.passwords import MIN_LENGTH
from consult.privacy.forms import consent_checkbox, version_field


class IssueForm(FlaskForm):
    """Issue codes for a scope's owners without an account: letters, or messages."""

    scope = SelectField(_l("For the owners of"), validate_choice=False,
                        validators=[DataRequired(_l("Choose whose codes to issue."))])
    channel = RadioField(_l("How the codes reach the owners"), default="letter", choices=[
        ("letter", _l("Print a letter for each owner")),
        ("message", _l("Send the code by SMS or e-mail to owners with a phone or e-mail on "
                       "the roster; print letters for the others"))])


class ActivateForm(FlaskForm):
    identifier = StringField(
        _l("Phone or e-mail"), validators=[Optional(), Length(max=254, message=_l(
            "At most %(max)d characters."))],
        description=_l("The phone number or e-mail address the community has for you. Not "
                       "needed when you came by the link or QR code of your letter."),
        render_kw={"autocomplete": "username"})
    code = StringField(_l("Activation code"), validators=[
        DataRequired(_l("Enter the code from your letter or message.")),
        Length(max=40, message=_l("At most %(max)d characters."))],
        description=_l("Ten letters and digits, like ABCDE-FGHJK."),
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "characters",
                   "spellcheck": "false"})
    password = PasswordField(_l("Choose a password"), validators=[
        DataRequired(_l("Please choose a password.")),
        Length(min=MIN_LENGTH, max=128,
               message=_l("The password must be at least %(n)d characters.", n=MIN_LENGTH))],
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Password again"), validators=[
        EqualTo("password", _l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"})
    privacy = consent_checkbox()
    privacy_version = version_field()
