"""A new billing contact's one-time link: choose a password, then sign in."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from portal.billing_requests.kinds.contact_change import accept_invitation, invitation_for
from portal.errors import ValidationFailed
from portal.i18n import _, _l
from portal.web.extensions import get_session
from portal.web.feedback import report

bp = Blueprint("invitations", __name__, url_prefix="/invitations")


class SetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )
    submit = SubmitField(_l("Set my password"))


@bp.route("/<token>", methods=["GET", "POST"])
def accept(token: str) -> ResponseReturnValue:
    session = get_session()
    try:
        invitation = invitation_for(session, token)
    except ValidationFailed as error:
        return render_template("invitation.html", refusal=error.message, form=None), 410
    form = SetPasswordForm()
    if not form.validate_on_submit():
        if form.is_submitted():
            flash(_("Please correct the highlighted fields."), "error")
        status = 400 if form.errors else 200
        return render_template("invitation.html", form=form, user=invitation.user), status
    try:
        user = accept_invitation(session, token, form.password.data or "")
    except ValidationFailed as error:
        session.rollback()
        report(error, form)
        return render_template("invitation.html", form=form, user=invitation.user), 400
    session.commit()
    login_user(user)
    flash(_("Your password is set. Welcome, %(name)s.", name=user.name), "success")
    return redirect(url_for("home.index"))
