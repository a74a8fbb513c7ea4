"""The technicians' API bodies and replies (portal.web.openapi)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from portal.billing_requests.schemas import (
    FieldChangeReply,
    InvitationReply,
    RequestReply,
    StepText,
)
from portal.web.api_models import Body, JsonObject, Reply, RowId
from portal.web.paging import ListQuery
from workflows.lifecycle import RequestType, Status

# Most requests one bulk approval decides (each in its own workflow).
BULK_MOST = 100


class TaskListQuery(ListQuery):
    status: Status | Literal["all"] | None = Field(
        None, description="Without it: what is still to do; `all`: every request"
    )
    type: RequestType | None = None
    account: RowId | None = None
    assignee: Literal["me", "none"] | RowId | None = None
    escalated: bool = False


class TaskPage(Reply):
    items: list[RequestReply]
    next_cursor: str | None


class AccountBrief(Reply):
    id: int
    name: str
    country: str | None


class TaskReply(RequestReply):
    account: AccountBrief
    proposed_change: list[FieldChangeReply]
    invitation: InvitationReply | None = None


class ApproveBody(Body):
    comment: StepText = ""
    pricing: JsonObject | None = Field(None, description="A quote's prices: lines, discount_pct")
    attachment_id: RowId | None = Field(None, description="A document already uploaded")


class RejectBody(Body):
    reason: StepText


class RequestInfoBody(Body):
    question: StepText


class ReassignBody(Body):
    assignee: RowId


class ExtendQuoteBody(Body):
    valid_until: Annotated[str, Field(max_length=40, json_schema_extra={"format": "date"})]


class BulkApproveBody(Body):
    ids: list[RowId] = Field(min_length=1, max_length=BULK_MOST)


class BulkOutcomeReply(Reply):
    request_id: int
    approved: bool
    message: str


class BulkApproveReply(Reply):
    results: list[BulkOutcomeReply]


class ApproveWithAttachmentForm(BaseModel):
    """multipart/form-data: the PDF and the comment."""

    file: Annotated[Any, Field(json_schema_extra={"type": "string", "format": "binary"})]
    comment: StepText = ""
