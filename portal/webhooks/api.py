"""The webhooks API: an account's endpoints (registered, listed, disabled and re-enabled) and
their deliveries with the attempts made."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from portal.models import WebhookDelivery, WebhookEndpoint
from portal.web.api_support import Reply, api_user, bp, json_body, token_required
from portal.web.extensions import get_session, get_settings
from portal.web.paging import list_args, page_of
from portal.webhooks import operations


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
def register_webhook() -> Reply:
    """`{"url", "events"}` → the endpoint and its signing `secret` (shown this once)."""
    body = json_body()
    endpoint = operations.register(
        get_session(), api_user(), body.get("url"), body.get("events"), get_settings().development
    )
    return jsonify({**endpoint_json(endpoint), "secret": endpoint.secret}), 201


@bp.get("/webhooks")
@token_required
def webhooks() -> Reply:
    found = operations.endpoints_of(get_session(), api_user())
    return jsonify({"items": [endpoint_json(endpoint) for endpoint in found]})


@bp.patch("/webhooks/<endpoint_id>")
@token_required
def change_webhook(endpoint_id: str) -> Reply:
    """`{"enabled": false}` stops deliveries to it (those on their way fail); `true` again."""
    enabled = json_body().get("enabled")
    endpoint = operations.set_enabled(get_session(), api_user(), endpoint_id, enabled)
    return jsonify(endpoint_json(endpoint))


@bp.get("/webhooks/<endpoint_id>/deliveries")
@token_required
def webhook_deliveries(endpoint_id: str) -> Reply:
    session = get_session()
    endpoint = operations.endpoint_of(session, api_user(), endpoint_id)
    query = operations.deliveries_of(session, endpoint)
    page = page_of(session, query, WebhookDelivery, list_args(request.args))
    return jsonify(
        {"items": [delivery_json(item) for item in page.items], "next_cursor": page.next_cursor}
    )
