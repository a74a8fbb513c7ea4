"""Purchase-order edits: the contact proposes new values for a PO's number, bill-to address,
notes or line quantities; on approval a new revision is written and the old one kept."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm
from wtforms import FieldList, FormField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.billing_requests.kinds.base import (
    APPLIED,
    FieldChange,
    Recorded,
    RequestForm,
    RequestKind,
)
from portal.config import Settings
from portal.errors import NotFound, ValidationFailed
from portal.form_fields import PortalForm, WholeNumberField
from portal.i18n import _l
from portal.models import AuditEntry, PurchaseOrder, PurchaseOrderLine, PurchaseOrderRevision
from portal.purchase_orders.operations import PO_NUMBER_PATTERN, get_purchase_order
from workflows.lifecycle import RequestType
from workflows.messages import ChangeInput

MAX_BILL_TO = 1000
MAX_NOTES = 2000
MAX_REASON = 1000
MAX_QUANTITY = 100_000
EDITABLE_TEXT_FIELDS = ("po_number", "bill_to", "notes")
INVALID = _l("Please correct the highlighted fields.")


class LineForm(PortalForm):
    line_id = HiddenField()
    quantity = WholeNumberField(_l("Quantity"), 1, MAX_QUANTITY)


class PurchaseOrderEditForm(RequestForm):
    """Started from the purchase order's page, filled in with its current revision."""

    po_number = StringField(_l("PO number"), validators=[DataRequired(), Length(max=64)])
    bill_to = TextAreaField(
        _l("Bill-to address"), validators=[DataRequired(), Length(max=MAX_BILL_TO)]
    )
    lines = FieldList(FormField(LineForm))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=MAX_NOTES)])
    reason = TextAreaField(
        _l("Reason for the change"), validators=[DataRequired(), Length(max=MAX_REASON)]
    )
    purchase_order_id: int = 0

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
        form = cls(data=data, **kwargs)
        form.purchase_order_id = po.id
        return form

    def payload(self) -> dict[str, Any]:
        lines = [
            {"line_id": int(entry.form.line_id.data), "quantity": entry.form.quantity.data}
            for entry in self.lines
            if str(entry.form.line_id.data).isdigit()
        ]
        return {
            "purchase_order_id": self.purchase_order_id,
            "changes": {
                "po_number": self.po_number.data,
                "bill_to": self.bill_to.data,
                "notes": self.notes.data or "",
                "lines": lines,
            },
            "reason": self.reason.data,
        }

    def field_map(self) -> dict[str, str]:
        return {"changes": "reason"}


class PoEdit(RequestKind):
    name = RequestType.PO_EDIT
    label = _l("Purchase-order edit")

    def validate(
        self, session: orm.Session, account_id: int, payload: dict[str, Any]
    ) -> dict[str, Any]:
        errors: dict[str, str] = {}
        po_id = payload.get("purchase_order_id")
        if not isinstance(po_id, int) or isinstance(po_id, bool):
            raise ValidationFailed(
                str(INVALID), {"purchase_order_id": str(_l("Choose one of your purchase orders."))}
            )
        try:
            po = get_purchase_order(session, account_id, po_id)
        except NotFound:
            raise ValidationFailed(
                str(INVALID),
                {"purchase_order_id": str(_l("No such purchase order on your account."))},
            ) from None
        current = po.current
        changes_in = payload.get("changes")
        if not isinstance(changes_in, dict):
            changes_in = {}
            errors["changes"] = str(_l("Say what should change."))
        changes: dict[str, Any] = {}
        _text_change(changes_in, "po_number", changes, errors, 64, pattern=PO_NUMBER_PATTERN)
        _text_change(changes_in, "bill_to", changes, errors, MAX_BILL_TO)
        _text_change(changes_in, "notes", changes, errors, MAX_NOTES, allow_empty=True)
        if "lines" in changes_in:
            lines = _line_changes(changes_in["lines"], current, errors)
            if lines:
                changes["lines"] = lines
        unknown = set(changes_in) - {*EDITABLE_TEXT_FIELDS, "lines"}
        if unknown:
            names = ", ".join(sorted(str(name) for name in unknown))
            errors["changes"] = str(_l("Unknown fields: %(names)s", names=names))
        reason = payload.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            errors["reason"] = str(_l("Tell the technician why this change is needed."))
        elif len(reason) > MAX_REASON:
            errors["reason"] = str(_l("At most %(max)d characters.", max=MAX_REASON))
        for name in EDITABLE_TEXT_FIELDS:
            if name in changes and changes[name] == getattr(current, name):
                del changes[name]
        if not errors and not changes:
            errors["changes"] = str(_l("Nothing would change: edit at least one field."))
        if errors:
            raise ValidationFailed(str(INVALID), errors)
        return {
            "purchase_order_id": po.id,
            "base_revision": current.number,
            "changes": changes,
            "reason": str(reason).strip(),
        }

    def describe(self, session: orm.Session, recorded: Recorded) -> list[FieldChange]:
        """Before/after of each proposed change, against the revision the contact edited."""
        po = session.get(PurchaseOrder, recorded.payload["purchase_order_id"])
        if po is None:
            return []
        base = next(
            (r for r in po.revisions if r.number == recorded.payload.get("base_revision")),
            po.current,
        )
        changes = recorded.payload.get("changes", {})
        revised = recorded.applied.get("revision")
        described = [
            FieldChange(
                str(_l("Purchase order")),
                str(_l("%(po)s, revision %(n)d", po=base.po_number, n=base.number)),
                str(_l("Revision %(n)d", n=base.number + 1)),
                str(_l("Revision %(n)d", n=revised)) if isinstance(revised, int) else None,
            )
        ]
        described += [
            FieldChange(name, getattr(base, name), changes[name])
            for name in EDITABLE_TEXT_FIELDS
            if name in changes
        ]
        lines = {line.line_no: line for line in base.lines}
        for item in changes.get("lines", []):
            line = lines.get(item["line_id"])
            if line is not None:
                described.append(
                    FieldChange(f"{line.product}", str(line.quantity), str(item["quantity"]))
                )
        return described

    def apply(
        self, session: orm.Session, change: ChangeInput, settings: Settings
    ) -> dict[str, Any]:
        """Write the new revision once: a retried activity finds the revision it wrote."""
        request_id, actor_id, payload = (
            change.request_id,
            change.approved_by.user_id,
            change.payload,
        )
        # Approved edits of one purchase order are applied one after the other: this write
        # locks the order's row (PostgreSQL) or the database (SQLite) before the current
        # revision is read.
        session.execute(
            sa.update(PurchaseOrder)
            .where(PurchaseOrder.id == payload["purchase_order_id"])
            .values(id=PurchaseOrder.id)
        )
        done = session.scalar(
            sa.select(PurchaseOrderRevision).where(PurchaseOrderRevision.request_id == request_id)
        )
        if done is not None:
            return _revised(done)
        po = session.get(PurchaseOrder, payload["purchase_order_id"])
        if po is None:
            raise LookupError(f"purchase order {payload['purchase_order_id']} is gone")
        current = po.current
        changes = payload["changes"]
        quantities = {item["line_id"]: item["quantity"] for item in changes.get("lines", [])}
        revision = PurchaseOrderRevision(
            purchase_order_id=po.id,
            number=current.number + 1,
            po_number=changes.get("po_number", current.po_number),
            bill_to=changes.get("bill_to", current.bill_to),
            notes=changes.get("notes", current.notes),
            currency=current.currency,
            request_id=request_id,
            lines=[
                PurchaseOrderLine(
                    line_no=line.line_no,
                    product=line.product,
                    quantity=quantities.get(line.line_no, line.quantity),
                    unit_price=line.unit_price,
                )
                for line in current.lines
            ],
        )
        session.add(revision)
        session.add(
            AuditEntry(
                account_id=po.account_id,
                actor_id=actor_id,
                request_id=request_id,
                action="purchase_order.revised",
                details={
                    "purchase_order_id": po.id,
                    "from": current.number,
                    "to": revision.number,
                },
            )
        )
        session.flush()
        return _revised(revision)


def _revised(revision: PurchaseOrderRevision) -> dict[str, Any]:
    return {
        "purchase_order_id": revision.purchase_order_id,
        "revision": revision.number,
        APPLIED: {"revision": revision.number},
    }


def _text_change(
    source: dict[str, Any],
    name: str,
    changes: dict[str, Any],
    errors: dict[str, str],
    max_length: int,
    pattern: re.Pattern[str] | None = None,
    allow_empty: bool = False,
) -> None:
    if name not in source or source[name] is None:
        return
    value = source[name]
    if not isinstance(value, str):
        errors[name] = str(_l("Must be text."))
        return
    # Browsers send a textarea's line breaks as CRLF; what is stored uses LF.
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not value and not allow_empty:
        errors[name] = str(_l("Cannot be empty."))
    elif len(value) > max_length:
        errors[name] = str(_l("At most %(max)d characters.", max=max_length))
    elif pattern is not None and not pattern.match(value):
        errors[name] = str(_l("Letters, digits, spaces and . / _ - only."))
    else:
        changes[name] = value


def _line_changes(
    raw: Any, current: PurchaseOrderRevision, errors: dict[str, str]
) -> list[dict[str, int]]:
    if not isinstance(raw, list):
        errors["lines"] = str(_l("Must be a list of {line_id, quantity}."))
        return []
    quantities = {line.line_no: line.quantity for line in current.lines}
    result: list[dict[str, int]] = []
    for index, item in enumerate(raw):
        key = f"lines.{index}.quantity"
        line_id = item.get("line_id") if isinstance(item, dict) else None
        quantity = item.get("quantity") if isinstance(item, dict) else None
        if not isinstance(line_id, int) or line_id not in quantities:
            errors[f"lines.{index}.line_id"] = str(_l("No such line on this purchase order."))
        elif not isinstance(quantity, int) or isinstance(quantity, bool):
            errors[key] = str(_l("Quantity must be a whole number."))
        elif not 1 <= quantity <= MAX_QUANTITY:
            errors[key] = str(_l("Quantity must be between 1 and %(max)d.", max=MAX_QUANTITY))
        elif quantity != quantities[line_id]:
            result.append({"line_id": line_id, "quantity": quantity})
    return result
