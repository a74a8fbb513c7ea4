"""The API of purchase orders: a billing contact's own, and any one for staff."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from portal.errors import Forbidden
from portal.i18n import _
from portal.models import PurchaseOrder, PurchaseOrderRevision
from portal.purchase_orders import operations as po_ops
from portal.purchase_orders.schemas import (
    PurchaseOrderListQuery,
    PurchaseOrderPage,
    PurchaseOrderReply,
)
from portal.web.api_support import Reply, api_user, bp, listed_account_id, token_required
from portal.web.extensions import get_session
from portal.web.openapi import described
from portal.web.paging import list_args, page_of
from workflows.lifecycle import Role

TAG = "Purchase orders"


def revision_json(revision: PurchaseOrderRevision) -> dict[str, Any]:
    return {
        "revision": revision.number,
        "po_number": revision.po_number,
        "bill_to": revision.bill_to,
        "notes": revision.notes,
        "currency": revision.currency,
        "created_at": revision.created_at.isoformat(),
        "request_id": revision.request_id,
        "total": str(revision.total),
        "lines": [
            {
                "line_id": line.line_no,
                "product": line.product,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price),
                "amount": str(line.amount),
            }
            for line in revision.lines
        ],
    }


def purchase_order_json(po: PurchaseOrder, with_revisions: bool = False) -> dict[str, Any]:
    body = {
        "id": po.id,
        "account_id": po.account_id,
        "updated_at": po.updated_at.isoformat(),
        **revision_json(po.current),
    }
    if with_revisions:
        body["revisions"] = [revision_json(r) for r in reversed(po.revisions)]
    return body


def _contact_account_id() -> int:
    user = api_user()
    if user.role != Role.BILLING_CONTACT or user.account_id is None:
        raise Forbidden(_("Only the account's billing contact can see purchase orders."))
    return user.account_id


@bp.get("/purchase-orders")
@token_required
@described(TAG, {200: PurchaseOrderPage}, errors=(400, 404), query=PurchaseOrderListQuery)
def purchase_orders(query: PurchaseOrderListQuery) -> Reply:
    """The account's purchase orders, oldest first (staff name the account)."""
    refusal = _("Only the account's billing contact can see purchase orders.")
    found = po_ops.purchase_orders_query(listed_account_id(refusal, query.account))
    page = page_of(get_session(), found, PurchaseOrder, list_args(query), oldest_first=True)
    return jsonify(
        {"items": [purchase_order_json(po) for po in page.items], "next_cursor": page.next_cursor}
    )


@bp.get("/purchase-orders/<po_id>")
@token_required
@described(TAG, {200: PurchaseOrderReply}, errors=(404,))
def purchase_order(po_id: str) -> Reply:
    """One purchase order with every revision, newest first."""
    user = api_user()
    account_id = None if user.is_staff else _contact_account_id()
    po = po_ops.get_purchase_order(get_session(), account_id, po_id)
    return jsonify(purchase_order_json(po, with_revisions=True))
