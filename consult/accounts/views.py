from __future__ import annotations

from flask import (
    Blueprint, flash, make_response, redirect, render_template, request, session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from consult import delivery, unit_of_work
from consult.accounts import phone, phonecodes, reset, signup
from consult.accounts.forms import (
    ChangePasswordForm, ChangePhoneForm, EmptyForm, ForgotPasswordForm, LoginForm,
    PhoneCodeForm, RegisterForm, RegistrationCodeForm, ResetCodeForm, ResetPasswordForm,
)
from consult.accounts.identity import mask_phone
from consult.accounts.lockout import LoginRefused
from consult.accounts.models import PhoneCode, RegistrationCode
from consult.accounts.service import authenticate, change_password
from consult.extensions import db
from consult.privacy import forms as privacy_forms
from consult.privacy.rules import current as current_privacy
from consult.ratelimits import (
    login_limit, phone_change_limit, register_limit, reset_request_limit,
)
from consult.refusals import Refused
from consult.urls import public_url, safe_next_url

bp = Blueprint("accounts", __name__)
REGISTRATION = "registration"  # the session key of a registration waiting for its code
RESET_CODE = "reset_code"  # ... of a password reset waiting for its code by SMS
PHONE_CODE = "phone_code"  # ... of a change of phone number waiting for its code


def _start_session(user) -> None:
    # A fresh session on login: nothing set before (by anyone) carries over.
    session.clear()
    # Residents on a shared family phone log out explicitly; everyone else stays logged in for
    # PERMANENT_SESSION_LIFETIME rather than until the browser closes.
    session.permanent = True
    login_user(user)


@bp.route("/register", methods=["GET", "POST"])
@register_limit
def register_view():
    """Step one: what the account will be. The answer is the same whether or not the phone or
    e-mail address is taken (consult/accounts/signup.py): a code is on its way."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            row = signup.start(form.name.data, form.email.data, form.phone.data,
                               form.password.data,
                               privacy_version=privacy_forms.agreed_version(form))
        except Refused as error:
            privacy_forms.place_refusal(error)
            unit_of_work.refused(error, form)
        else:
            session[REGISTRATION] = row.id
            return redirect(url_for(".register_confirm"))
    privacy_forms.show_version(form, current_privacy().id)
    return render_template("accounts/register.html", form=form, notice=current_privacy())


def _registration() -> RegistrationCode | None:
    row_id = session.get(REGISTRATION)
    row = db.session.get(RegistrationCode, row_id) if isinstance(row_id, int) else None
    return row if row is not None and row.used_at is None else None


@bp.route("/register/confirm", methods=["GET", "POST"])
def register_confirm():
    """Step two: the code sent to the phone or e-mail address makes the account."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    row = _registration()
    if row is None:
        flash(_("Start by registering: the code comes after."), "info")
        return redirect(url_for(".register_view"))
    form = RegistrationCodeForm()
    if form.validate_on_submit():
        try:
            user = signup.confirm(row, form.code.data)
        except Refused as error:
            unit_of_work.keep(error, form)  # a wrong code counts towards the five tries
        else:
            _start_session(user)
            flash(_("Welcome, %(name)s. Ask to be verified to your home so you can take part.",
                    name=user.name), "success")
            return redirect(url_for("community.my_residency"))
    return render_template("accounts/register_confirm.html", form=form,
                           where=signup.destination(row), delivery=delivery.mode(),
                           minutes=int(signup.LIFETIME.total_seconds() // 60))


@bp.route("/register/resend", methods=["POST"])
@register_limit
def register_resend():
    row = _registration()
    form = EmptyForm()
    if row is None:
        return redirect(url_for(".register_view"))
    if form.validate_on_submit():
        try:
            signup.resend(row)
        except Refused as error:
            unit_of_work.refused(error)
        else:
            flash(_("A new code is on its way; the one before no longer works."), "success")
    return redirect(url_for(".register_confirm"))


@bp.route("/login", methods=["GET", "POST"])
@login_limit
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.identifier.data, form.password.data)
        except LoginRefused as refusal:
            unit_of_work.keep()  # the wrong attempt counts towards the lock
            form.password.errors.append(refusal.message)
        else:
            _start_session(user)
            flash(_("You are logged in."), "success")
            return redirect(safe_next_url(request.args.get("next")) or url_for("main.home"))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        # Rotating the token voids this session everywhere it may have been copied.
        current_user.rotate_session_token()
        logout_user()
        session.clear()
        flash(_("You are logged out."), "success")
    return redirect(url_for("main.home"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_password(current_user, form.current_password.data, form.new_password.data)
        except Refused as error:
            unit_of_work.refused(error, form)
        else:
            _start_session(current_user._get_current_object())
            flash(_("Your password is changed. Other devices have been logged out."), "success")
            return redirect(url_for("community.my_residency"))
    return render_template("accounts/password.html", form=form)


# --- forgotten password (找回密码) -----------------------------------------------------------

@bp.route("/password/forgot", methods=["GET", "POST"])
@reset_request_limit
def forgot_password():
    form = ForgotPasswordForm()
    minutes = int(reset.lifetime().total_seconds() // 60)
    if form.validate_on_submit():
        to_phone = reset.by_code(form.identifier.data)
        if to_phone is None:
            issued = reset.request_link(form.identifier.data)
            # The link is flushed; it is committed when the request ends, a moment after it is
            # sent. Should that commit fail, the page is an error and the link says it is not
            # valid.
            if issued is not None:
                user, token = issued
                reset.deliver_reset_link(
                    user, public_url("accounts.reset_password", token=token))
            # The same answer whether or not an account has what was typed.
            return render_template("accounts/forgot_password.html", form=None, sent=True,
                                   minutes=minutes)
        # A phone number with an SMS provider set up: a code instead of a link, and the code
        # page whether or not an account has the number.
        try:
            row = reset.request_code(to_phone)
        except Refused as error:
            unit_of_work.refused(error, form)
        else:
            session[RESET_CODE] = row.id
            return redirect(url_for(".reset_with_code"))
    return render_template("accounts/forgot_password.html", form=form, sent=False,
                           minutes=minutes, sms=delivery.sms_configured())


def _pending_code(key: str, purpose: str) -> PhoneCode | None:
    row_id = session.get(key)
    row = db.session.get(PhoneCode, row_id) if isinstance(row_id, int) else None
    return row if row is not None and row.purpose == purpose and row.used_at is None else None


@bp.route("/password/code", methods=["GET", "POST"])
def reset_with_code():
    """A new password with the code sent by SMS. The page reads the same whether or not an
    account has the number (see consult/accounts/reset.py)."""
    row = _pending_code(RESET_CODE, phonecodes.RESET)
    if row is None:
        flash(_("Start by typing your phone number: the code comes after."), "info")
        return redirect(url_for(".forgot_password"))
    form = ResetCodeForm()
    if form.validate_on_submit():
        try:
            user = reset.use_code(row, form.code.data, form.password.data)
        except Refused as error:
            unit_of_work.keep(error, form)  # a wrong code uses up one of the five tries
        else:
            _start_session(user)
            flash(_("Your new password is saved and you are logged in. Every other device "
                    "has been logged out."), "success")
            return redirect(url_for("main.home"))
    response = make_response(render_template(
        "accounts/reset_code.html", form=form, where=mask_phone(row.phone),
        minutes=phonecodes.minutes(), delivery=delivery.mode()))
    response.headers["Cache-Control"] = "no-store"
    return response


# --- changing the phone number (更换手机号) ------------------------------------------------------

@bp.route("/account/phone", methods=["GET", "POST"])
@login_required
@phone_change_limit
def change_phone():
    form = ChangePhoneForm()
    if form.validate_on_submit():
        try:
            row = phone.request_change(current_user._get_current_object(), form.phone.data,
                                       form.password.data)
        except Refused as error:
            unit_of_work.refused(error, form)
        else:
            session[PHONE_CODE] = row.id
            return redirect(url_for(".confirm_phone"))
    return render_template("accounts/phone.html", form=form,
                           current=mask_phone(current_user.phone))


@bp.route("/account/phone/confirm", methods=["GET", "POST"])
@login_required
def confirm_phone():
    row = _pending_code(PHONE_CODE, phonecodes.PHONE)
    if row is None or row.user_id != current_user.id:
        flash(_("Start by typing the new phone number: the code comes after."), "info")
        return redirect(url_for(".change_phone"))
    form = PhoneCodeForm()
    if form.validate_on_submit():
        try:
            phone.confirm_change(current_user._get_current_object(), row, form.code.data)
        except Refused as error:
            unit_of_work.keep(error, form)  # a wrong code uses up one of the five tries
        else:
            session.pop(PHONE_CODE, None)
            flash(_("Your phone number is changed to %(phone)s.",
                    phone=mask_phone(current_user.phone)), "success")
            return redirect(url_for(".password"))
    return render_template("accounts/phone_confirm.html", form=form,
                           where=mask_phone(row.phone), minutes=phonecodes.minutes(),
                           delivery=delivery.mode())


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        link = reset.check_link(token)
    except reset.ResetRefused as refusal:
        return _reset_page(refusal=refusal.message, status=refusal.status)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = reset.use_link(token, form.password.data)
        except reset.ResetRefused as refusal:
            unit_of_work.refused()
            if refusal.field is None:
                return _reset_page(refusal=refusal.message, status=refusal.status)
            form.password.errors.append(refusal.message)
        else:
            _start_session(user)
            flash(_("Your new password is saved and you are logged in. Every other device "
                    "has been logged out."), "success")
            return redirect(url_for("main.home"))
    return _reset_page(form=form, user=link.user)


def _reset_page(*, refusal=None, status: int = 200, form=None, user=None):
    response = make_response(render_template("accounts/reset_password.html", refusal=refusal,
                                             form=form, user=user), status)
    # The URL holds the token: keep the page out of caches and out of Referer headers.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
