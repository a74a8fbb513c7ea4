"""The account pages' forms: signing in, choosing a password from an invitation, the invoice
recipients, forgetting and changing a password."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length

from portal.i18n import _l


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Sign in"))


class SetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )
    submit = SubmitField(_l("Set my password"))


class RecipientsForm(FlaskForm):
    emails = TextAreaField(
        _l("Also mail every invoice to (one address per line)"),
        validators=[Length(max=3000)],
    )
    submit = SubmitField(_l("Save the recipients"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    submit = SubmitField(_l("Mail me a link"))


class ResetPasswordForm(SetPasswordForm):
    submit = SubmitField(_l("Choose this password"))


class ChangePasswordForm(SetPasswordForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Change my password"))


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[DataRequired(), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text"},
    )
    submit = SubmitField(_l("Continue"))


class TurnOffTwoStepForm(FlaskForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Turn off two-step sign-in"))
