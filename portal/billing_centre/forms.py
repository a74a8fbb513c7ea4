"""Billing-centre forms; each builds the body the API receives, the operations judge it."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, Optional

from portal.billing_centre.proration import MAX_SEATS
from portal.form_fields import WholeNumberField
from portal.i18n import _l


class ChangeForm(FlaskForm):
    seats = WholeNumberField(_l("Seats"), 1, MAX_SEATS, required=False)
    tier = SelectField(_l("Tier"), choices=[], validators=[Optional()])
    submit = SubmitField(_l("Preview the change"))

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.seats.data is not None:
            body["seats"] = self.seats.data
        if self.tier.data:
            body["tier"] = self.tier.data
        return body


class AddForm(FlaskForm):
    plan = SelectField(_l("Plan"), choices=[], validators=[DataRequired()])
    seats = WholeNumberField(_l("Seats"), 1, MAX_SEATS)
    period = SelectField(
        _l("Billing period"),
        choices=[("monthly", _l("Monthly")), ("annual", _l("Annual"))],
        validators=[DataRequired()],
    )
    submit = SubmitField(_l("Add and pay"))

    def body(self) -> dict[str, Any]:
        return {"plan": self.plan.data, "seats": self.seats.data, "period": self.period.data}


class CardForm(FlaskForm):
    number = StringField(_l("Card number"), validators=[DataRequired(), Length(max=23)])
    exp_month = WholeNumberField(_l("Expiry month"), 1, 12)
    exp_year = WholeNumberField(_l("Expiry year"), 2000, 2100)
    # A password field: the browser neither shows nor remembers the code.
    cvc = PasswordField(_l("Security code"), validators=[DataRequired(), Length(min=3, max=4)])
    submit = SubmitField(_l("Save the card"))


class PeriodForm(FlaskForm):
    """A standard account's billing period, from the next renewal on."""

    period = SelectField(
        _l("Billing period from the next renewal"),
        choices=[("monthly", _l("Monthly")), ("annual", _l("Annual"))],
        validators=[DataRequired()],
    )
    submit = SubmitField(_l("Change the billing period"))


class ClockForm(FlaskForm):
    """Development only: the account's sandbox clock, moved forward."""

    date = DateField(_l("Move the sandbox date to"), validators=[DataRequired()])
    submit = SubmitField(_l("Move the clock"))
