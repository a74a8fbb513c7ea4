"""Purchase orders: reading them through an account, and the `po_edit` request's rules."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from portal.config import Settings
from portal.errors import NotFound, ValidationFailed
from portal.i18n import _l
from portal.models import AuditEntry, PurchaseOrder, PurchaseOrderLine, PurchaseOrderRevision
from workflows.messages import ChangeInput

PO_NUMBER_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./_-]{0,63}$")
MAX_BILL_TO = 1000
MAX_NOTES = 2000
MAX_REASON = 1000
MAX_QUANTITY = 100_000
EDITABLE_TEXT_FIELDS = ("po_number", "bill_to", "notes")


def list_purchase_orders(session: orm.Session, account_id: int) -> list[PurchaseOrder]:
    query = (
        sa.select(PurchaseOrder)
        .where(PurchaseOrder.account_id == account_id)
        .options(
            orm.selectinload(PurchaseOrder.revisions).selectinload(PurchaseOrderRevision.lines)
        )
        .order_by(PurchaseOrder.id)
    )
    return list(session.scalars(query))


def get_purchase_order(session: orm.Session, account_id: int | None, po_id: Any) -> PurchaseOrder:
    """The account's purchase order; another account's (or none) is NotFound. None = staff."""
    try:
        po = session.get(PurchaseOrder, int(po_id))
    except (TypeError, ValueError):
        po = None
    if po is None or (account_id is not None and po.account_id != account_id):
        raise NotFound(str(_l("No such purchase order.")))
    return po


def validate_po_edit(
    session: orm.Session, account_id: int, payload: dict[str, Any]
) -> dict[str, Any]:
    """The normalised `po_edit` payload, or ValidationFailed with per-field messages."""
    errors: dict[str, str] = {}
    if not isinstance(payload.get("purchase_order_id"), int) or isinstance(
        payload.get("purchase_order_id"), bool
    ):
        raise ValidationFailed(
            str(_l("Please correct the highlighted fields.")),
            {"purchase_order_id": str(_l("Choose one of your purchase orders."))},
        )
    po = get_purchase_order_or_field_error(session, account_id, payload["purchase_order_id"])
    current = po.current
    changes_in = payload.get("changes")
    if not isinstance(changes_in, dict):
        changes_in = {}
        errors["changes"] = str(_l("Say what should change."))
    changes: dict[str, Any] = {}
    _text_change(changes_in, "po_number", changes, errors, max_length=64, pattern=PO_NUMBER_PATTERN)
    _text_change(changes_in, "bill_to", changes, errors, max_length=MAX_BILL_TO)
    _text_change(changes_in, "notes", changes, errors, max_length=MAX_NOTES, allow_empty=True)
    if "lines" in changes_in:
        lines = _line_changes(changes_in["lines"], current, errors)
        if lines:
            changes["lines"] = lines
    unknown = set(changes_in) - {*EDITABLE_TEXT_FIELDS, "lines"}
    if unknown:
        errors["changes"] = str(_l("Unknown fields: %(names)s", names=", ".join(sorted(unknown))))
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
        raise ValidationFailed(str(_l("Please correct the highlighted fields.")), errors)
    return {
        "purchase_order_id": po.id,
        "base_revision": current.number,
        "changes": changes,
        "reason": str(reason).strip(),
    }


def get_purchase_order_or_field_error(
    session: orm.Session, account_id: int, po_id: int
) -> PurchaseOrder:
    try:
        return get_purchase_order(session, account_id, po_id)
    except NotFound:
        raise ValidationFailed(
            str(_l("Please correct the highlighted fields.")),
            {"purchase_order_id": str(_l("No such purchase order on your account."))},
        ) from None


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


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str
    after: str


def describe_po_edit(session: orm.Session, payload: dict[str, Any]) -> list[FieldChange]:
    """Before/after of each proposed change, against the revision the contact edited."""
    po = session.get(PurchaseOrder, payload["purchase_order_id"])
    if po is None:
        return []
    base = next((r for r in po.revisions if r.number == payload.get("base_revision")), po.current)
    changes = payload.get("changes", {})
    described = [
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


def apply_po_edit(session: orm.Session, change: ChangeInput, _settings: Settings) -> dict[str, Any]:
    """Write the new revision once: a retried activity finds the revision it already wrote."""
    request_id, actor_id, payload = change.request_id, change.approved_by.user_id, change.payload
    # Approved edits of one purchase order are applied one after the other: this write locks
    # the order's row (PostgreSQL) or the database (SQLite) before the current revision is read.
    session.execute(
        sa.update(PurchaseOrder)
        .where(PurchaseOrder.id == payload["purchase_order_id"])
        .values(id=PurchaseOrder.id)
    )
    done = session.scalar(
        sa.select(PurchaseOrderRevision).where(PurchaseOrderRevision.request_id == request_id)
    )
    if done is not None:
        return {"purchase_order_id": done.purchase_order_id, "revision": done.number}
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
            details={"purchase_order_id": po.id, "from": current.number, "to": revision.number},
        )
    )
    session.flush()
    return {"purchase_order_id": po.id, "revision": revision.number}


@dataclass(frozen=True)
class NewLine:
    product: str
    quantity: int
    unit_price: Decimal


def create_purchase_order(
    session: orm.Session,
    account_id: int,
    po_number: str,
    bill_to: str,
    lines: list[NewLine],
    currency: str,
    request_id: int | None = None,
    notes: str = "",
) -> PurchaseOrder:
    """A new purchase order at revision 1 (demo data, an accepted quote)."""
    po = PurchaseOrder(account_id=account_id)
    po.revisions = [
        PurchaseOrderRevision(
            number=1,
            po_number=po_number,
            bill_to=bill_to,
            notes=notes,
            currency=currency,
            request_id=request_id,
            lines=[
                PurchaseOrderLine(
                    line_no=index + 1,
                    product=line.product,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                )
                for index, line in enumerate(lines)
            ],
        )
    ]
    session.add(po)
    session.flush()
    return po


def default_bill_to(account_name: str, contact_name: str | None) -> str:
    lines = [account_name, "Accounts Payable"]
    if contact_name:
        lines.append(f"Attn: {contact_name}")
    return "\n".join(lines)
