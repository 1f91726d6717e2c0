"""Forms of the paper ballot desk: printing, entering a returned paper, resolving one."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import RadioField, SelectField, StringField
from wtforms.validators import InputRequired, Length

from consult.votes.paper_rules import SERIAL_INPUT_MAX

SPOILT = "__spoilt__"  # the choice "spoilt paper (废票)" among a vote's options


class PrintForm(FlaskForm):
    building = SelectField(_l("Print for"), validate_choice=False)


class PaperMarkForm(FlaskForm):
    """What the paper says, and optionally its photo."""

    option = RadioField(_l("What the paper says"), validate_choice=False,
                        validators=[InputRequired(_l("Choose what the paper says: one of the "
                                                     "options, or spoilt."))])
    photo = FileField(_l("Photo of the paper (optional)"), render_kw={
        "accept": "image/jpeg,image/png,image/webp"},
        description=_l("JPEG, PNG or WebP, at most 5 MB. Only the community's secretaries see "
                       "it."))


class PaperEntryForm(PaperMarkForm):
    serial = StringField(
        _l("Serial number"), validators=[
            InputRequired(_l("Type the serial number printed on the paper.")),
            Length(max=SERIAL_INPUT_MAX)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false",
                   "inputmode": "text", "maxlength": SERIAL_INPUT_MAX, "autofocus": True},
        description=_l("Type it, or scan the paper's QR code with the phone's scanner: "
                       "capitals, spaces and dashes do not matter."))


def with_choices(form: PaperMarkForm, options, label) -> PaperMarkForm:
    form.option.choices = [(o, label(o)) for o in options] + [
        (SPOILT, _l("Spoilt paper (废票): no choice, or more than one"))]
    return form
