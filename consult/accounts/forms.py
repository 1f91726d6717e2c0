from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, TelField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from consult.accounts.passwords import MIN_LENGTH
from consult.privacy.forms import consent_checkbox, version_field


def _new_password(label) -> PasswordField:
    """A password being chosen (registration, reset): long enough, not too long."""
    return PasswordField(label, validators=[
        DataRequired(_l("Please choose a password.")),
        Length(min=MIN_LENGTH, max=128,
               message=_l("The password must be at least %(n)d characters.", n=MIN_LENGTH))],
        render_kw={"autocomplete": "new-password"})


def _password_again(label) -> PasswordField:
    return PasswordField(label, validators=[EqualTo("password", _l("The two passwords differ."))],
                         render_kw={"autocomplete": "new-password"})


class RegisterForm(FlaskForm):
    name = StringField(lazy_pgettext("a person's name", "Name"),
                       validators=[DataRequired(_l("Please enter your name.")),
                                   Length(max=50, message=_l("At most %(max)d characters."))],
                       render_kw={"autocomplete": "name"})
    phone = TelField(_l("Mobile phone"), validators=[Optional(), Length(max=20, message=_l("At most %(max)d characters."))],
                     render_kw={"autocomplete": "tel", "inputmode": "tel"})
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=254, message=_l("At most %(max)d characters."))],
                       render_kw={"autocomplete": "email"})
    password = _new_password(_l("Password"))
    confirm = _password_again(_l("Password again"))
    privacy = consent_checkbox()
    privacy_version = version_field()


class RegistrationCodeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(_l("Enter the code we sent.")),
                                               Length(max=20, message=_l(
                                                   "At most %(max)d characters."))],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric",
                                  "maxlength": 12})


class LoginForm(FlaskForm):
    identifier = StringField(_l("Phone or e-mail"),
                             validators=[DataRequired(_l("Enter your phone or e-mail."))],
                             render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"),
                             validators=[DataRequired(_l("Enter your password."))],
                             render_kw={"autocomplete": "current-password"})


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("New password"), validators=[
        DataRequired(),
        Length(min=MIN_LENGTH, max=128,
               message=_l("The password must be at least %(n)d characters.", n=MIN_LENGTH))],
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("New password again"), validators=[
        EqualTo("new_password", _l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"})


class EmptyForm(FlaskForm):
    """A button that posts: CSRF token only."""


class ForgotPasswordForm(FlaskForm):
    identifier = StringField(_l("Phone or e-mail"),
                             validators=[DataRequired(_l("Enter your phone or e-mail."))],
                             description=_l("The phone number or e-mail address you log in "
                                            "with."),
                             render_kw={"autocomplete": "username"})


class ResetPasswordForm(FlaskForm):
    password = _new_password(_l("New password"))
    confirm = _password_again(_l("New password again"))


def _code_field() -> StringField:
    return StringField(_l("Code"), validators=[DataRequired(_l("Enter the code we sent.")),
                                               Length(max=20, message=_l(
                                                   "At most %(max)d characters."))],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric",
                                  "maxlength": 12})


class ResetCodeForm(FlaskForm):
    """A new password with the code sent by SMS."""
    code = _code_field()
    password = _new_password(_l("New password"))
    confirm = _password_again(_l("New password again"))


class ChangePhoneForm(FlaskForm):
    phone = TelField(_l("New mobile phone"),
                     validators=[DataRequired(_l("Enter the new phone number.")),
                                 Length(max=20, message=_l("At most %(max)d characters."))],
                     render_kw={"autocomplete": "tel", "inputmode": "tel"})
    password = PasswordField(_l("Current password"),
                             validators=[DataRequired(_l("Enter your password."))],
                             render_kw={"autocomplete": "current-password"})


class PhoneCodeForm(FlaskForm):
    code = _code_field()


class CloseAccountForm(FlaskForm):
    """Closing the account (注销账号): the password again, and a tick that it is understood."""

    password = PasswordField(_l("Your password"), validators=[
        DataRequired(_l("Type your password to close the account."))],
        render_kw={"autocomplete": "current-password"})
    understood = BooleanField(
        _l("I understand that my account is closed for good and cannot be opened again."),
        validators=[DataRequired(_l("Tick the box to confirm that you want to close the "
                                    "account."))])
