"""The API of a billing contact's requests (docs/design.md §5): submit, list, read, and the
contact's steps (cancel, answer a question, accept or decline a quote)."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from portal.billing_requests import invitations, queries
from portal.billing_requests.actions import perform
from portal.billing_requests.steps import Step
from portal.billing_requests.submit import submit_request
from portal.db import row_id
from portal.documents.views import send_document
from portal.errors import ValidationFailed
from portal.i18n import _
from portal.models import BillingRequest
from portal.web.api_support import Reply, api_user, bp, json_body, token_required
from portal.web.extensions import get_bridge, get_session, get_settings
from portal.web.paging import list_args, page_of
from workflows.lifecycle import Action


def request_json(item: BillingRequest, detail: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": item.id,
        "type": item.type,
        "status": item.status,
        "account_id": item.account_id,
        "requester": {"id": item.requester_id, "name": item.requester.name},
        "assignee": {"id": item.assignee.id, "name": item.assignee.name} if item.assignee else None,
        "created_at": item.created_at.isoformat(),
        "updated_at": item.updated_at.isoformat(),
        "escalated": item.escalated,
    }
    if detail:
        body["payload"] = item.payload
        body["snapshot"] = item.snapshot
        body["result"] = item.result
        body["changes"] = [
            dataclasses.asdict(change) for change in queries.describe_changes(get_session(), item)
        ]
        body["timeline"] = [
            {"at": e["at"], "actor": e["actor_name"], "event": e["event"], "note": e["note"]}
            for e in item.timeline
        ]
    return body


@bp.post("/requests")
@token_required
def submit() -> Reply:
    body = json_body()
    created = submit_request(
        get_session(),
        get_bridge(),
        get_settings().timers,
        api_user(),
        body.get("type"),
        body.get("payload"),
        body.get("idempotency_key"),
    )
    return jsonify(request_json(created, detail=True)), 202


@bp.get("/requests")
@token_required
def list_requests() -> Reply:
    query = queries.requests_query(api_user(), request.args.get("status"), request.args.get("type"))
    page = page_of(get_session(), query, BillingRequest, list_args(request.args))
    return jsonify(
        {"items": [request_json(item) for item in page.items], "next_cursor": page.next_cursor}
    )


@bp.get("/requests/<request_id>/quote.pdf")
@token_required
def quote_pdf(request_id: str) -> ResponseReturnValue:
    """The priced quote as the customer's PDF (404 until there is one)."""
    data, name = queries.quote_pdf_of(get_session(), api_user(), request_id)
    return send_document(data, name, "application/pdf")


@bp.post("/requests/<request_id>/resend-invitation")
@token_required
def resend_my_invitation(request_id: str) -> Reply:
    """The one who named a new billing contact sends them a new set-password link (201)."""
    return resent_invitation(request_id)


def resent_invitation(request_id: str) -> Reply:
    """A new set-password link (201); `replaces`, when given, is the link the caller saw."""
    replaces = json_body().get("replaces")
    wanted = row_id(replaces)
    if replaces is not None and wanted is None:
        message = _("The id of the link this one replaces.")
        raise ValidationFailed(message, {"replaces": message})
    sent = invitations.resend_invitation(
        get_session(), get_settings(), api_user(), request_id, wanted
    )
    return jsonify({"invitation": invitations.invitation_json(sent)}), 201


@bp.get("/requests/<request_id>")
@token_required
def show_request(request_id: str) -> Reply:
    return jsonify(
        request_json(queries.get_request(get_session(), api_user(), request_id), detail=True)
    )


def act(request_id: str, action: Action, text_field: str | None = None) -> Reply:
    body = json_body()
    attachment = body.get("attachment_id")
    step = Step(
        text=body.get(text_field, "") if text_field else "",
        assignee_id=body.get("assignee"),
        pricing=body.get("pricing"),
        attachment_id=attachment if isinstance(attachment, int) else None,
        po_number=body.get("po_number", ""),
        valid_until=body.get("valid_until", ""),
    )
    updated = perform(
        get_session(),
        get_bridge(),
        api_user(),
        request_id,
        action,
        step,
        update_id=request.headers.get("Idempotency-Key"),
    )
    return jsonify(request_json(updated, detail=True)), 200


@bp.post("/requests/<request_id>/cancel")
@token_required
def cancel(request_id: str) -> Reply:
    return act(request_id, Action.CANCEL, "reason")


@bp.post("/requests/<request_id>/provide-info")
@token_required
def provide_info(request_id: str) -> Reply:
    return act(request_id, Action.PROVIDE_INFO, "message")


@bp.post("/quotes/<request_id>/accept")
@token_required
def accept_quote(request_id: str) -> Reply:
    return act(request_id, Action.ACCEPT_QUOTE)


@bp.post("/quotes/<request_id>/decline")
@token_required
def decline_quote(request_id: str) -> Reply:
    return act(request_id, Action.DECLINE_QUOTE, "reason")
