"""Small forms shared by several pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.billing_requests.operations import MAX_TEXT
from portal.i18n import _l


class ConfirmForm(FlaskForm):
    """A button that only carries the CSRF token (claim)."""

    submit = SubmitField(_l("Confirm"))


class OptionalTextForm(FlaskForm):
    text = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=MAX_TEXT)])
    submit = SubmitField(_l("Send"))


class RequiredTextForm(FlaskForm):
    text = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=MAX_TEXT)])
    submit = SubmitField(_l("Send"))


class ReassignForm(FlaskForm):
    assignee = SelectField(_l("Assign to"), coerce=str, validators=[DataRequired()])
    submit = SubmitField(_l("Reassign"))
