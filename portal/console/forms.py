"""The technicians' decision forms that carry more than a comment: a quote's pricing, an
inquiry's answer with its attachment, a quote's new validity date."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    DecimalField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SubmitField,
    TextAreaField,
)
from wtforms import Form as BaseForm
from wtforms.validators import Length, Optional

from portal.billing_requests.operations import MAX_TEXT, Step, Upload
from portal.i18n import _l
from portal.models import BillingRequest


class StepForm(FlaskForm):
    """A decision form that knows what to send with its action."""

    def step(self) -> Step:
        raise NotImplementedError

    def field_map(self) -> dict[str, str]:
        return {}


class PriceLineForm(BaseForm):
    product = HiddenField()
    unit_price = DecimalField(_l("Unit price per seat per year"), validators=[Optional()])


class QuoteApproveForm(StepForm):
    """Approving a quote prices it: list prices unless the technician says otherwise."""

    text = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=MAX_TEXT)])
    prices = FieldList(FormField(PriceLineForm))
    discount_pct = DecimalField(_l("Discount (%)"), validators=[Optional()])
    valid_days = IntegerField(_l("Valid for (days, 30 if empty)"), validators=[Optional()])
    submit = SubmitField(_l("Price and send the quote"))

    @classmethod
    def for_request(cls, item: BillingRequest, **kwargs: Any) -> QuoteApproveForm:
        products = list(dict.fromkeys(entry["product"] for entry in item.payload["items"]))
        return cls(data={"prices": [{"product": name} for name in products]}, **kwargs)

    def _priced_rows(self) -> list[int]:
        return [i for i, entry in enumerate(self.prices) if entry.form.unit_price.data is not None]

    def step(self) -> Step:
        pricing: dict[str, Any] = {}
        lines = [
            {
                "product": self.prices[i].form.product.data,
                "unit_price": str(self.prices[i].form.unit_price.data),
            }
            for i in self._priced_rows()
        ]
        if lines:
            pricing["lines"] = lines
        if self.discount_pct.data is not None:
            pricing["discount_pct"] = str(self.discount_pct.data)
        if self.valid_days.data is not None:
            pricing["valid_days"] = self.valid_days.data
        return Step(text=self.text.data or "", pricing=pricing or None)

    def field_map(self) -> dict[str, str]:
        mapping = {
            "comment": "text",
            "pricing.discount_pct": "discount_pct",
            "pricing.valid_days": "valid_days",
        }
        for sent, row in enumerate(self._priced_rows()):
            mapping[f"pricing.lines.{sent}.unit_price"] = f"prices.{row}.unit_price"
            mapping[f"pricing.lines.{sent}.product"] = f"prices.{row}.unit_price"
        return mapping


class InquiryAnswerForm(StepForm):
    """Approving an inquiry answers it, with an optional PDF."""

    text = TextAreaField(_l("Answer"), validators=[Optional(), Length(max=MAX_TEXT)])
    attachment = FileField(_l("Attachment (PDF, optional)"))
    submit = SubmitField(_l("Send the answer"))

    def step(self) -> Step:
        return Step(text=self.text.data or "")

    def upload(self) -> Upload | None:
        file = self.attachment.data
        if file is None or not getattr(file, "filename", ""):
            return None
        return Upload(file.filename or "", file.content_type or "", file.read())

    def field_map(self) -> dict[str, str]:
        return {"comment": "text"}


class ExtendQuoteForm(StepForm):
    valid_until = DateField(_l("Valid until"), validators=[Optional()])
    submit = SubmitField(_l("Extend validity"))

    def step(self) -> Step:
        value = self.valid_until.data
        return Step(valid_until=value.isoformat() if value else "")
