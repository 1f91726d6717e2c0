"""The consent checkbox of registration and activation, and the agree page's button."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField
from wtforms.validators import DataRequired, Length

from consult.privacy.rules import VERSION_MAX


def consent_checkbox() -> BooleanField:
    """Never ticked beforehand: the person ticks it themselves."""
    return BooleanField(
        _l("I have read the privacy notice and agree to it"), default=False,
        validators=[DataRequired(_l("To continue, read the privacy notice and tick the box to "
                                    "agree to it. Without your agreement the site cannot hold "
                                    "your account."))])


def version_field() -> HiddenField:
    """The version the page showed, filled in by the page; checked against the one in force."""
    return HiddenField(validators=[Length(max=VERSION_MAX)])


class AgreeForm(FlaskForm):
    privacy_version = version_field()


def agreed_version(form) -> str | None:
    """The version a registration or activation form agreed to: the one the page showed, when
    the box is ticked; ``None`` otherwise."""
    return (form.privacy_version.data or None) if form.privacy.data else None


def show_version(form, current_id: str) -> None:
    """Before the form is drawn: it offers the version in force, and a box ticked for another
    version (the notice changed while the form was open) is ticked no longer."""
    if form.privacy_version.data and form.privacy_version.data != current_id:
        form.privacy.data = False
    form.privacy_version.data = current_id


def place_refusal(error) -> None:
    """A refusal of the version shows beside the checkbox, the field the reader sees."""
    if error.field == "privacy_version":
        error.field = "privacy"
