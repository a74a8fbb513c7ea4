"""The API's query and replies for purchase orders (portal.web.openapi). Edits are requests:
their payload is described with the billing requests (portal.billing_requests.schemas)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from portal.web.api_models import Reply, RowId
from portal.web.paging import ListQuery

Amount = Annotated[str, Field(description="A decimal amount in the currency, e.g. 1200.00")]


class PurchaseOrderListQuery(ListQuery):
    account: RowId | None = Field(None, description="Staff: the account whose orders are listed")


class LineReply(Reply):
    line_id: int
    product: str
    quantity: int
    unit_price: Amount
    amount: Amount


class RevisionReply(Reply):
    revision: int
    po_number: str
    bill_to: str
    notes: str
    currency: str
    created_at: datetime
    request_id: int | None = Field(description="The approved request that made this revision")
    total: Amount
    lines: list[LineReply]


class PurchaseOrderReply(RevisionReply):
    """The order as its current revision says."""

    id: int
    account_id: int
    updated_at: datetime
    revisions: list[RevisionReply] | None = Field(
        None, description="Only when one order is read: every revision, newest first"
    )


class PurchaseOrderPage(Reply):
    items: list[PurchaseOrderReply]
    next_cursor: str | None
