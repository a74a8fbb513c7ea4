"""Forms of the pages: small ones several pages share, and `web_form`, which gives a request
kind's plain WTForms form the CSRF protection and request data of Flask-WTF."""

from __future__ import annotations

import re
import secrets
from typing import Any

from flask import request
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import Form, HiddenField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.billing_requests.steps import MAX_TEXT, Step
from portal.i18n import _l


class ConfirmForm(FlaskForm):
    """A button that only carries the CSRF token (claim)."""

    submit = SubmitField(_l("Confirm"))

    def step(self) -> Step:
        return Step()


class ResendInvitationForm(ConfirmForm):
    """A new set-password link; `replaces` is the link the page showed (a second click finds
    it replaced and sends nothing)."""

    replaces = HiddenField()


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


# A page form's one-time token: sent twice (a double click, a reload), the write runs once.
ONE_TIME_TOKEN = "form_token"  # noqa: S105 - a field name, not a secret
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def one_time_token() -> Markup:
    """A hidden field with a fresh token, one per rendered form."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        ONE_TIME_TOKEN, secrets.token_urlsafe(18)
    )


def posted_one_time_token() -> str | None:
    """The posted form's token, as the idempotency key of its write (None: none or malformed)."""
    token = request.form.get(ONE_TIME_TOKEN, "")
    return f"page:{token}" if _TOKEN.match(token) else None


_WEB_FORMS: dict[type[Form], type[Any]] = {}


def web_form(form_class: type[Form]) -> type[Any]:
    """`form_class` as a page form: read from the request, with a CSRF token."""
    if form_class not in _WEB_FORMS:
        _WEB_FORMS[form_class] = type(form_class.__name__, (FlaskForm, form_class), {})
    return _WEB_FORMS[form_class]
