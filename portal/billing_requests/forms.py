"""The billing contact's request forms. Each builds the same payload the API receives; the
payload rules stay in the request kinds (portal/billing_requests/kinds), whose per-field
messages the views put back beside these fields (`field_map` names where a payload field is
shown)."""

from __future__ import annotations

from typing import Any, ClassVar

import sqlalchemy as sa
from flask_babel import format_currency
from flask_wtf import FlaskForm
from sqlalchemy import orm
from wtforms import (
    EmailField,
    FieldList,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms import Form as BaseForm
from wtforms.validators import DataRequired, Length, Optional

from portal.billing_requests.kinds.account_inquiry import TOPIC_LABELS, account_invoices
from portal.billing_requests.kinds.form_request import FORM_LABELS
from portal.billing_requests.kinds.frequency_change import FREQUENCY_LABELS
from portal.billing_requests.kinds.quote import active_plans
from portal.i18n import _l
from portal.models import Account, User

QUOTE_ROWS = 5
CHOOSE = _l("— choose —")

Choices = list[tuple[str, Any]]


def _choices(labels: dict[str, Any]) -> Choices:
    return [("", CHOOSE), *labels.items()]


def money_text(amount: Any, currency: str) -> str:
    return str(format_currency(amount, currency))


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() else None


class NewRequestForm(FlaskForm):
    """A form that starts a request of `request_type` for the signed-in billing contact."""

    request_type: ClassVar[str]
    submit = SubmitField(_l("Send to a technician"))

    @classmethod
    def build(cls, session: orm.Session, user: User) -> NewRequestForm:
        return cls()

    def payload(self) -> dict[str, Any]:
        raise NotImplementedError

    def field_map(self) -> dict[str, str]:
        """Payload field (as the operations name it) → the form field that shows its error."""
        return {}


# -- quote -----------------------------------------------------------------------------------


class QuoteItemForm(BaseForm):
    product = SelectField(_l("Product"), choices=[], validators=[Optional()])
    seats = IntegerField(_l("Seats"), validators=[Optional()])

    def is_blank(self) -> bool:
        return not self.product.data and self.seats.data is None


class QuoteForm(NewRequestForm):
    request_type = "quote"
    items = FieldList(FormField(QuoteItemForm), min_entries=QUOTE_ROWS, max_entries=QUOTE_ROWS)
    term_months = IntegerField(_l("Term (months)"), default=12, validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Optional()])

    @classmethod
    def build(cls, session: orm.Session, user: User) -> QuoteForm:
        form = cls()
        plans = active_plans(session)
        choices: Choices = [
            ("", CHOOSE),
            *(
                (name, f"{name} ({money_text(plan.unit_price, plan.currency)})")
                for name, plan in plans.items()
            ),
        ]
        for entry in form.items:
            entry.form.product.choices = choices
        return form

    def _filled_rows(self) -> list[int]:
        return [index for index, entry in enumerate(self.items) if not entry.form.is_blank()]

    def payload(self) -> dict[str, Any]:
        items = [
            {
                "product": self.items[index].form.product.data or None,
                "seats": self.items[index].form.seats.data,
            }
            for index in self._filled_rows()
        ]
        return {"items": items, "term_months": self.term_months.data, "notes": self.notes.data}

    def field_map(self) -> dict[str, str]:
        mapping = {"items": "items.0.product"}
        for sent, row in enumerate(self._filled_rows()):
            mapping[f"items.{sent}.product"] = f"items.{row}.product"
            mapping[f"items.{sent}.seats"] = f"items.{row}.seats"
        return mapping


# -- billing contact ---------------------------------------------------------------------------


class ContactChangeForm(NewRequestForm):
    request_type = "contact_change"
    new_contact_name = StringField(_l("New contact's name"))
    new_contact_email = EmailField(_l("New contact's e-mail"))
    reason = TextAreaField(_l("Reason for the change"))

    def payload(self) -> dict[str, Any]:
        return {
            "new_contact_name": self.new_contact_name.data or "",
            "new_contact_email": self.new_contact_email.data or "",
            "reason": self.reason.data or "",
        }


class StaffContactChangeForm(ContactChangeForm):
    """A technician starts the change on a Corporate account's behalf."""

    account_id = SelectField(_l("Account"), choices=[], validators=[Optional()])
    submit = SubmitField(_l("Start the change"))

    @classmethod
    def build(cls, session: orm.Session, user: User) -> StaffContactChangeForm:
        form = cls()
        accounts = session.scalars(
            sa.select(Account).where(Account.kind == "corporate").order_by(Account.name)
        )
        form.account_id.choices = [("", CHOOSE), *((str(a.id), a.name) for a in accounts)]
        return form

    def payload(self) -> dict[str, Any]:
        return {"account_id": _int_or_none(self.account_id.data), **super().payload()}


# -- billing frequency -------------------------------------------------------------------------


class FrequencyChangeForm(NewRequestForm):
    request_type = "frequency_change"
    frequency = SelectField(
        _l("New billing frequency"), choices=_choices(FREQUENCY_LABELS), validators=[Optional()]
    )
    reason = TextAreaField(_l("Reason for the change"))
    current: str = ""

    @classmethod
    def build(cls, session: orm.Session, user: User) -> FrequencyChangeForm:
        form = cls()
        account = session.get(Account, user.account_id) if user.account_id else None
        form.current = account.billing_frequency if account else ""
        return form

    def payload(self) -> dict[str, Any]:
        return {"frequency": self.frequency.data or "", "reason": self.reason.data or ""}


# -- forms (W-9, vendor, regional) -------------------------------------------------------------


class FormRequestForm(NewRequestForm):
    request_type = "form_request"
    form_name = SelectField(_l("Form"), choices=_choices(FORM_LABELS), validators=[Optional()])
    region = StringField(_l("Region (for a regional form)"))
    details = TextAreaField(_l("Details"))

    def payload(self) -> dict[str, Any]:
        return {
            "form": self.form_name.data or "",
            "region": self.region.data or "",
            "details": self.details.data or "",
        }

    def field_map(self) -> dict[str, str]:
        return {"form": "form_name"}


# -- account inquiry ---------------------------------------------------------------------------


class AccountInquiryForm(NewRequestForm):
    request_type = "account_inquiry"
    topic = SelectField(_l("Topic"), choices=_choices(TOPIC_LABELS), validators=[Optional()])
    invoice_id = SelectField(
        _l("Invoice (for an invoice question)"), choices=[], validators=[Optional()]
    )
    message = TextAreaField(_l("Your question"))

    @classmethod
    def build(cls, session: orm.Session, user: User) -> AccountInquiryForm:
        form = cls()
        invoices = account_invoices(session, user.account_id or 0)
        form.invoice_id.choices = [
            ("", CHOOSE),
            *(
                (
                    str(invoice.id),
                    f"{invoice.number} · {invoice.issued_on.isoformat()} · "
                    f"{money_text(invoice.amount, invoice.currency)}",
                )
                for invoice in invoices
            ),
        ]
        return form

    def payload(self) -> dict[str, Any]:
        return {
            "topic": self.topic.data or "",
            "invoice_id": _int_or_none(self.invoice_id.data),
            "message": self.message.data or "",
        }


NEW_REQUEST_FORMS: dict[str, type[NewRequestForm]] = {
    form.request_type: form
    for form in (
        QuoteForm,
        ContactChangeForm,
        FrequencyChangeForm,
        FormRequestForm,
        AccountInquiryForm,
    )
}


# -- answering a quote -------------------------------------------------------------------------


class AcceptQuoteForm(FlaskForm):
    po_number = StringField(_l("Your PO number"), validators=[DataRequired(), Length(max=64)])
    submit = SubmitField(_l("Accept the quote"))


class DeclineQuoteForm(FlaskForm):
    reason = TextAreaField(_l("Why (optional)"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Decline the quote"))
