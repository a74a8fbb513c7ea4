"""The API's bodies and replies for webhooks (portal.web.openapi). The rules stay with the
operations (portal.webhooks.operations): which URLs, which events, how many endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StrictBool

from portal.web.api_models import Body, JsonObject, Reply
from portal.webhooks.operations import EVENTS

# One of EVENTS: the operation says which are (a 400 naming `events`).
Event = Annotated[str, Field(max_length=40, json_schema_extra={"enum": list(EVENTS)})]


class WebhookBody(Body):
    url: Annotated[str, Field(max_length=500)] = Field(
        description="https, of a public host (development: http://127.0.0.1 too)"
    )
    events: list[Event] = Field(description="One or more events to be told of")


class ChangeWebhookBody(Body):
    enabled: StrictBool = Field(description="false stops deliveries to it; true again")


class EndpointReply(Reply):
    id: int
    url: str
    events: list[Event]
    enabled: bool
    created_at: datetime


class NewEndpoint(EndpointReply):
    secret: str = Field(description="Deliveries are signed with it: shown this once")


class EndpointList(Reply):
    items: list[EndpointReply]
    next_cursor: str | None


class DeliveryReply(Reply):
    id: int
    delivery: str = Field(description="The X-Portal-Delivery header: a receiver drops repeats")
    event: Event
    status: str = Field(description="pending, delivered or failed")
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    payload: JsonObject


class DeliveryPage(Reply):
    items: list[DeliveryReply]
    next_cursor: str | None
