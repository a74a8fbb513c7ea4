"""Purchase orders: reading them through an account, and making new ones (demo data, an
accepted quote). Edits are requests: portal/billing_requests/kinds/po_edit.py."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from portal.db import row_id
from portal.errors import NotFound
from portal.i18n import _l
from portal.models import PurchaseOrder, PurchaseOrderLine, PurchaseOrderRevision

PO_NUMBER_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./_-]{0,63}$")


def list_purchase_orders(session: orm.Session, account_id: int) -> list[PurchaseOrder]:
    return list(session.scalars(purchase_orders_query(account_id)))


def purchase_orders_query(account_id: int) -> sa.Select[PurchaseOrder]:
    query = (
        sa.select(PurchaseOrder)
        .where(PurchaseOrder.account_id == account_id)
        .options(
            orm.selectinload(PurchaseOrder.revisions).selectinload(PurchaseOrderRevision.lines)
        )
        .order_by(PurchaseOrder.id)
    )
    return query


def get_purchase_order(session: orm.Session, account_id: int | None, po_id: Any) -> PurchaseOrder:
    """The account's purchase order; another account's (or none) is NotFound. None = staff."""
    wanted = row_id(po_id)
    po = session.get(PurchaseOrder, wanted) if wanted is not None else None
    if po is None or (account_id is not None and po.account_id != account_id):
        raise NotFound(str(_l("No such purchase order.")))
    return po


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
