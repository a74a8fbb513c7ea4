"""The purchase-order edit form; it builds the same payload the API receives."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms import Form as BaseForm
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.i18n import _l
from portal.models import PurchaseOrder
from portal.purchase_orders.operations import MAX_BILL_TO, MAX_NOTES, MAX_QUANTITY, MAX_REASON


class LineForm(BaseForm):
    line_id = HiddenField()
    quantity = IntegerField(
        _l("Quantity"), validators=[DataRequired(), NumberRange(min=1, max=MAX_QUANTITY)]
    )


class PurchaseOrderEditForm(FlaskForm):
    po_number = StringField(_l("PO number"), validators=[DataRequired(), Length(max=64)])
    bill_to = TextAreaField(
        _l("Bill-to address"), validators=[DataRequired(), Length(max=MAX_BILL_TO)]
    )
    lines = FieldList(FormField(LineForm))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=MAX_NOTES)])
    reason = TextAreaField(
        _l("Reason for the change"), validators=[DataRequired(), Length(max=MAX_REASON)]
    )
    submit = SubmitField(_l("Send to a technician"))

    @classmethod
    def for_purchase_order(cls, po: PurchaseOrder, **kwargs: Any) -> PurchaseOrderEditForm:
        current = po.current
        data = {
            "po_number": current.po_number,
            "bill_to": current.bill_to,
            "notes": current.notes,
            "lines": [
                {"line_id": str(line.line_no), "quantity": line.quantity} for line in current.lines
            ],
        }
        return cls(data=data, **kwargs)

    def payload(self, po: PurchaseOrder) -> dict[str, Any]:
        lines = [
            {"line_id": int(entry.form.line_id.data), "quantity": entry.form.quantity.data}
            for entry in self.lines
            if str(entry.form.line_id.data).isdigit()
        ]
        return {
            "purchase_order_id": po.id,
            "changes": {
                "po_number": self.po_number.data,
                "bill_to": self.bill_to.data,
                "notes": self.notes.data or "",
                "lines": lines,
            },
            "reason": self.reason.data,
        }
