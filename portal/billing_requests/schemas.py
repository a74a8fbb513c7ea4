"""The API's bodies and replies for billing requests (portal.web.openapi). A payload's own rules
stay with its kind (portal.billing_requests.kinds), which pages, API and workflow share; the
document describes each kind's payload from its form (portal.web.payload_schemas)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from portal.billing_requests.payloads import PAYLOADS
from portal.billing_requests.steps import MAX_TEXT
from portal.web import openapi
from portal.web.api_models import Body, JsonObject, Person, Reply, RowId
from portal.web.paging import ListQuery
from workflows.lifecycle import RequestType, Status

StepText = Annotated[str, Field(max_length=MAX_TEXT)]
IdempotencyKey = Annotated[str, Field(min_length=1, max_length=100)]


class SubmitRequestBody(Body):
    type: RequestType
    payload: JsonObject = Field(description="The request's fields, by its type (kinds check them)")
    idempotency_key: IdempotencyKey | None = Field(
        None, description="The same key and body answer the first request (also: header)"
    )


class RequestListQuery(ListQuery):
    status: Status | None = None
    type: RequestType | None = None


class CancelBody(Body):
    reason: StepText = ""


class ProvideInfoBody(Body):
    message: StepText
    attachment_id: RowId | None = None


class AcceptQuoteBody(Body):
    po_number: Annotated[str, Field(max_length=100)] = ""


class DeclineQuoteBody(Body):
    reason: StepText = ""


class ResendInvitationBody(Body):
    replaces: RowId | None = Field(None, description="The id of the link this one replaces")


class FieldChangeReply(Reply):
    field: str
    before: str
    after: str
    applied: str | None = None


class TimelineEntry(Reply):
    at: datetime
    actor: str
    event: str
    note: str | None = None


class RequestReply(Reply):
    id: int
    type: RequestType
    status: Status
    account_id: int
    requester: Person
    assignee: Person | None
    created_at: datetime
    updated_at: datetime
    escalated: bool
    payload: JsonObject | None = Field(None, description="Only when one request is read")
    snapshot: JsonObject | None = None
    result: Any = None
    changes: list[FieldChangeReply] | None = None
    timeline: list[TimelineEntry] | None = None


class RequestPage(Reply):
    items: list[RequestReply]
    next_cursor: str | None


class InvitationReply(Reply):
    id: int
    email: str
    status: str
    expires_at: datetime


class InvitationSent(Reply):
    invitation: InvitationReply


openapi.also_describe(tuple(PAYLOADS.values()), "SubmitRequestBody", "payload")
