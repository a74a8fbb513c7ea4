"""The webhooks API: an account's endpoints (registered, listed, disabled and re-enabled) and
their deliveries with the attempts made."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from portal.models import WebhookDelivery, WebhookEndpoint
from portal.web.api_support import Reply, api_user, bp, token_required
from portal.web.extensions import get_session, get_settings
from portal.web.openapi import described
from portal.web.paging import ListQuery, list_args, page_of
from portal.webhooks import operations
from portal.webhooks.schemas import (
    ChangeWebhookBody,
    DeliveryPage,
    EndpointList,
    EndpointReply,
    NewEndpoint,
    WebhookBody,
)

TAG = "Webhooks"


def endpoint_json(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "events": endpoint.events,
        "enabled": endpoint.enabled,
        "created_at": endpoint.created_at.isoformat(),
    }


def delivery_json(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "delivery": delivery.delivery_key,
        "event": delivery.event,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "created_at": delivery.created_at.isoformat(),
        "delivered_at": delivery.delivered_at.isoformat() if delivery.delivered_at else None,
        "payload": delivery.payload,
    }


@bp.post("/webhooks")
@token_required
@described(
    TAG,
    {201: NewEndpoint},
    errors=(400,),
    json=WebhookBody,
    gate=lambda: operations.contact_account(api_user()),
)
def register_webhook(json: WebhookBody) -> Reply:
    """Register an endpoint for some events; its signing secret is shown this once."""
    endpoint = operations.register(
        get_session(), api_user(), json.url, json.events, get_settings().development
    )
    return jsonify({**endpoint_json(endpoint), "secret": endpoint.secret}), 201


@bp.get("/webhooks")
@token_required
@described(TAG, {200: EndpointList}, errors=(400,), query=ListQuery)
def webhooks(query: ListQuery) -> Reply:
    """The account's endpoints, oldest first."""
    found = operations.endpoints_query(api_user())
    page = page_of(get_session(), found, WebhookEndpoint, list_args(query), oldest_first=True)
    return jsonify(
        {"items": [endpoint_json(item) for item in page.items], "next_cursor": page.next_cursor}
    )


@bp.patch("/webhooks/<endpoint_id>")
@token_required
@described(TAG, {200: EndpointReply}, errors=(400, 404), json=ChangeWebhookBody)
def change_webhook(endpoint_id: str, json: ChangeWebhookBody) -> Reply:
    """Disable an endpoint (deliveries on their way fail) or enable it again."""
    endpoint = operations.set_enabled(get_session(), api_user(), endpoint_id, json.enabled)
    return jsonify(endpoint_json(endpoint))


@bp.get("/webhooks/<endpoint_id>/deliveries")
@token_required
@described(TAG, {200: DeliveryPage}, errors=(400, 404), query=ListQuery)
def webhook_deliveries(endpoint_id: str, query: ListQuery) -> Reply:
    """The endpoint's deliveries with their attempts, newest first."""
    session = get_session()
    endpoint = operations.endpoint_of(session, api_user(), endpoint_id)
    found = operations.deliveries_of(session, endpoint)
    page = page_of(session, found, WebhookDelivery, list_args(query))
    return jsonify(
        {"items": [delivery_json(item) for item in page.items], "next_cursor": page.next_cursor}
    )
