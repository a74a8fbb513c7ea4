"""Pages of a person's own sign-in: a forgotten password (a link by mail), a new password, the
sessions and API tokens they hold, each of which they can end."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask import session as flask_session
from flask.typing import ResponseReturnValue
from flask_login import login_required

from portal.accounts import passwords, two_step
from portal.accounts import sessions as held
from portal.accounts.forms import (
    ChangePasswordForm,
    CodeForm,
    ForgotPasswordForm,
    ResetPasswordForm,
    TurnOffTwoStepForm,
)
from portal.errors import NotFound, ValidationFailed
from portal.i18n import _
from portal.web.auth import current, current_session_id, sign_in_browser
from portal.web.confirmation import confirmation_page, confirmed
from portal.web.extensions import get_session, get_settings
from portal.web.feedback import report
from portal.web.forms import ConfirmForm
from portal.web.language import read_by

bp = Blueprint("account_security", __name__)
PENDING_SECRET = "two_step_pending_secret"  # noqa: S105 - a session key's name


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot() -> ResponseReturnValue:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        passwords.ask_for_reset(get_session(), form.email.data or "", get_settings().base_url)
        # The same answer whether or not the address has an account.
        flash(
            _(
                "If an account has this address, a link to choose a new password is on its way."
                " It works once, within an hour."
            ),
            "success",
        )
        return redirect(url_for("accounts.login"))
    return render_template("auth/forgot.html", form=form), 400 if form.errors else 200


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset(token: str) -> ResponseReturnValue:
    session = get_session()
    try:
        found = passwords.reset_for(session, token)
    except ValidationFailed as error:
        return render_template("auth/reset.html", refusal=error.message, form=None), 410
    read_by(found.user)
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        status = 400 if form.errors else 200
        return render_template("auth/reset.html", form=form, user=found.user), status
    try:
        user = passwords.reset_password(session, token, form.password.data or "")
    except ValidationFailed as error:
        report(error, form)
        return render_template("auth/reset.html", form=form, user=found.user), 400
    sign_in_browser(user)
    flash(_("Your new password is set; every other session of yours was ended."), "success")
    return redirect(url_for("accounts.home"))


@bp.get("/account/security")
@login_required
def security() -> ResponseReturnValue:
    return _security_page(ChangePasswordForm(formdata=None))


def _security_page(form: ChangePasswordForm, status: int = 200) -> ResponseReturnValue:
    session, user = get_session(), current()
    return render_template(
        "auth/security.html",
        form=form,
        end_form=ConfirmForm(formdata=None),
        sessions=held.sessions_of(session, user),
        tokens=held.tokens_of(session, user),
        this_session=current_session_id(),
    ), status


@bp.post("/account/password")
@login_required
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        flash(_("Please correct the highlighted fields."), "error")
        return _security_page(form, 400)
    try:
        passwords.change_password(
            get_session(),
            current(),
            form.current.data or "",
            form.password.data or "",
            current_session_id(),
        )
    except ValidationFailed as error:
        report(error, form)
        return _security_page(form, 400)
    flash(
        _("Your password is changed; every other session and token of yours was ended."), "success"
    )
    return redirect(url_for("account_security.security"))


@bp.post("/account/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int) -> ResponseReturnValue:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        held.end_session_of(get_session(), current(), session_id)
    except NotFound as error:  # ended meanwhile (another tab), or never one's own
        flash(error.message, "error")
        return redirect(url_for("account_security.security"))
    get_session().commit()
    if session_id == current_session_id():
        flash(_("You are signed out."), "success")
        return redirect(url_for("accounts.login"))
    flash(_("The session is ended."), "success")
    return redirect(url_for("account_security.security"))


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> ResponseReturnValue:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not confirmed():
        return confirmation_page(
            _("Revoke this API token?"),
            _("Whatever uses it can no longer reach the API; a new token must be made for it."),
            _("Yes, revoke the token"),
            url_for("account_security.security"),
        )
    try:
        held.revoke_token_of(get_session(), current(), token_id)
    except NotFound as error:
        flash(error.message, "error")
        return redirect(url_for("account_security.security"))
    get_session().commit()
    flash(_("The token is revoked: it no longer opens the API."), "success")
    return redirect(url_for("account_security.security"))


@bp.get("/account/two-step")
@login_required
def two_step_page() -> ResponseReturnValue:
    return _two_step_page(CodeForm(formdata=None))


def _two_step_page(form: CodeForm, status: int = 200) -> ResponseReturnValue:
    user = current()
    if user.has_two_step:
        return render_template(
            "auth/two_step.html",
            user=user,
            left=two_step.recovery_codes_left(get_session(), user),
            off_form=TurnOffTwoStepForm(formdata=None),
            required=two_step.required_of(user),
        ), status
    # One secret per enrolment, kept in the (signed) session until its first code proves it.
    secret = flask_session.get(PENDING_SECRET)
    if not isinstance(secret, str):
        secret = flask_session[PENDING_SECRET] = two_step.new_secret()
    uri = two_step.enrolment_uri(user, secret)
    return render_template(
        "auth/two_step.html",
        user=user,
        form=form,
        secret=secret,
        qr=two_step.qr_code(uri),
        required=two_step.required_of(user),
    ), status


@bp.post("/account/two-step")
@login_required
def turn_on_two_step() -> ResponseReturnValue:
    form = CodeForm()
    secret = flask_session.get(PENDING_SECRET)
    if not form.validate_on_submit() or not isinstance(secret, str):
        flash(_("Please correct the highlighted fields."), "error")
        return _two_step_page(form, 400)
    try:
        codes = two_step.turn_on(get_session(), current(), secret, form.code.data or "")
    except ValidationFailed as error:
        report(error, form)
        return _two_step_page(form, 400)
    flask_session.pop(PENDING_SECRET, None)
    flash(_("Two-step sign-in is on."), "success")
    return render_template("auth/recovery_codes.html", codes=codes)


@bp.post("/account/two-step/off")
@login_required
def turn_off_two_step() -> ResponseReturnValue:
    form = TurnOffTwoStepForm()
    if not form.validate_on_submit():
        return _two_step_page(CodeForm(formdata=None), 400)
    try:
        two_step.turn_off(get_session(), current(), form.password.data or "")
    except ValidationFailed as error:
        report(error, form)
        return redirect(url_for("account_security.two_step_page"))
    flash(_("Two-step sign-in is off."), "success")
    return redirect(url_for("account_security.security"))
