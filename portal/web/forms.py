"""Forms of the pages: small ones several pages share, and `web_form`, which gives a request
kind's plain WTForms form the CSRF protection and request data of Flask-WTF."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import Form, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.billing_requests.steps import MAX_TEXT, Step
from portal.i18n import _l


class ConfirmForm(FlaskForm):
    """A button that only carries the CSRF token (claim)."""

    submit = SubmitField(_l("Confirm"))

    def step(self) -> Step:
        return Step()


class OptionalTextForm(FlaskForm):
    text = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=MAX_TEXT)])
    submit = SubmitField(_l("Send"))

    def step(self) -> Step:
        return Step(text=self.text.data or "")


class RequiredTextForm(OptionalTextForm):
    text = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=MAX_TEXT)])


class ReassignForm(FlaskForm):
    assignee = SelectField(_l("Assign to"), coerce=str, validators=[DataRequired()])
    submit = SubmitField(_l("Reassign"))

    def step(self) -> Step:
        return Step(assignee_id=self.assignee.data)


_WEB_FORMS: dict[type[Form], type[Any]] = {}


def web_form(form_class: type[Form]) -> type[Any]:
    """`form_class` as a page form: read from the request, with a CSRF token."""
    if form_class not in _WEB_FORMS:
        _WEB_FORMS[form_class] = type(form_class.__name__, (FlaskForm, form_class), {})
    return _WEB_FORMS[form_class]
