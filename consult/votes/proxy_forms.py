"""Forms of proxies (委托投票): an owner's authorisation, a secretary's paper record, a proxy's
ballot. Accepting and revoking are buttons (consult.accounts.forms.EmptyForm)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import RadioField, SelectField, StringField

from consult.votes.proxies import NAME_MAX, REFERENCE_MAX


class GrantProxyForm(FlaskForm):
    elector = SelectField(_l("For"), validate_choice=False)  # when one votes for several
    name = StringField(_l("Your proxy's name"), render_kw={"maxlength": NAME_MAX,
                                                          "autocomplete": "off"})
    phone = StringField(_l("Your proxy's mobile phone"), render_kw={
        "maxlength": 20, "inputmode": "tel", "autocomplete": "off"}, description=_l(
        "If this number belongs to an account, that person sees your request when they log in "
        "and must accept it. If not, nobody is told automatically: tell them yourself."))


class PaperProxyForm(FlaskForm):
    elector = SelectField(_l("Homes"), validate_choice=False)
    name = StringField(_l("Proxy's name"), render_kw={"maxlength": NAME_MAX})
    phone = StringField(_l("Proxy's mobile phone"), render_kw={"maxlength": 20,
                                                              "inputmode": "tel"})
    reference = StringField(_l("Reference of the signed authorisation"), render_kw={
        "maxlength": REFERENCE_MAX}, description=_l("e.g. the number on the form"))
    scan = FileField(_l("Scan of the signed form (optional)"), render_kw={
        "accept": "image/jpeg,image/png,application/pdf"},
        description=_l("JPEG, PNG or PDF, at most 5 MB. Only secretaries can see it."))


class ProxyBallotForm(FlaskForm):
    option = RadioField(_l("Their choice"), validate_choice=False)
