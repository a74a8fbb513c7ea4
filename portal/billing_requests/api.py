"""The API of a billing contact's requests (docs/design.md §5): submit, list, read, and the
contact's steps (cancel, answer a question, accept or decline a quote)."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Response, jsonify, request

from portal.billing_requests import invitations, queries
from portal.billing_requests.actions import perform
from portal.billing_requests.schemas import (
    AcceptQuoteBody,
    CancelBody,
    DeclineQuoteBody,
    InvitationSent,
    ProvideInfoBody,
    RequestListQuery,
    RequestPage,
    RequestReply,
    ResendInvitationBody,
    SubmitRequestBody,
)
from portal.billing_requests.steps import Step
from portal.billing_requests.submit import check_may_submit, submit_request
from portal.documents.views import send_document
from portal.i18n import active_locale
from portal.models import BillingRequest
from portal.web.api_support import Reply, api_user, bp, token_required
from portal.web.extensions import get_bridge, get_session, get_settings
from portal.web.openapi import described
from portal.web.paging import list_args, page_of
from workflows.lifecycle import Action

TAG = "Requests"


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
@described(
    TAG,
    {202: RequestReply},
    errors=(400, 409),
    json=SubmitRequestBody,
    gate=lambda: check_may_submit(get_session(), api_user()),
)
def submit(json: SubmitRequestBody) -> Reply:
    """Submit a request; a technician decides it (202: its workflow has started)."""
    created = submit_request(
        get_session(),
        get_bridge(),
        get_settings().timers,
        api_user(),
        json.type,
        json.payload,
        json.idempotency_key or request.headers.get("Idempotency-Key"),
    )
    return jsonify(request_json(created, detail=True)), 202


@bp.get("/requests")
@token_required
@described(TAG, {200: RequestPage}, errors=(400,), query=RequestListQuery)
def list_requests(query: RequestListQuery) -> Reply:
    """The account's requests (staff: every account's), newest first."""
    found = queries.requests_query(api_user(), query.status, query.type)
    page = page_of(get_session(), found, BillingRequest, list_args(query))
    return jsonify(
        {"items": [request_json(item) for item in page.items], "next_cursor": page.next_cursor}
    )


@bp.get("/requests/<request_id>/quote.pdf")
@token_required
@described(TAG, {200: None}, errors=(404,))
def quote_pdf(request_id: str) -> Response:
    """The priced quote as the customer's PDF (404 until there is one)."""
    data, name = queries.quote_pdf_of(get_session(), api_user(), request_id, active_locale())
    return send_document(data, name, "application/pdf")


@bp.post("/requests/<request_id>/resend-invitation")
@token_required
@described(TAG, {201: InvitationSent}, errors=(400, 404, 409), json=ResendInvitationBody)
def resend_my_invitation(request_id: str, json: ResendInvitationBody) -> Reply:
    """The one who named a new billing contact sends them a new set-password link."""
    return resent_invitation(request_id, json)


def resent_invitation(request_id: str, json: ResendInvitationBody) -> Reply:
    """A new set-password link (201); `replaces`, when given, is the link the caller saw."""
    sent = invitations.resend_invitation(
        get_session(), get_settings(), api_user(), request_id, json.replaces
    )
    return jsonify({"invitation": invitations.invitation_json(sent)}), 201


@bp.get("/requests/<request_id>")
@token_required
@described(TAG, {200: RequestReply}, errors=(404,))
def show_request(request_id: str) -> Reply:
    """One request with its payload, before/after and timeline."""
    return jsonify(
        request_json(queries.get_request(get_session(), api_user(), request_id), detail=True)
    )


def act(request_id: str, action: Action, step: Step) -> Reply:
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


STEP_ERRORS = (400, 404, 409)


def _sees_request(request_id: str) -> None:
    """A customer's step takes a request the caller sees (403 for a member, 404 elsewhere)."""
    queries.get_request(get_session(), api_user(), request_id)


@bp.post("/requests/<request_id>/cancel")
@token_required
@described(TAG, {200: RequestReply}, errors=STEP_ERRORS, json=CancelBody, gate=_sees_request)
def cancel(request_id: str, json: CancelBody) -> Reply:
    """Withdraw a request that is not decided yet."""
    return act(request_id, Action.CANCEL, Step(text=json.reason))


@bp.post("/requests/<request_id>/provide-info")
@token_required
@described(TAG, {200: RequestReply}, errors=STEP_ERRORS, json=ProvideInfoBody, gate=_sees_request)
def provide_info(request_id: str, json: ProvideInfoBody) -> Reply:
    """Answer the technician's question."""
    return act(
        request_id,
        Action.PROVIDE_INFO,
        Step(text=json.message, attachment_id=json.attachment_id),
    )


@bp.post("/quotes/<request_id>/accept")
@token_required
@described(TAG, {200: RequestReply}, errors=STEP_ERRORS, json=AcceptQuoteBody, gate=_sees_request)
def accept_quote(request_id: str, json: AcceptQuoteBody) -> Reply:
    """Accept a priced quote, with the purchase order number it is bought under."""
    return act(request_id, Action.ACCEPT_QUOTE, Step(po_number=json.po_number))


@bp.post("/quotes/<request_id>/decline")
@token_required
@described(TAG, {200: RequestReply}, errors=STEP_ERRORS, json=DeclineQuoteBody, gate=_sees_request)
def decline_quote(request_id: str, json: DeclineQuoteBody) -> Reply:
    """Decline a priced quote."""
    return act(request_id, Action.DECLINE_QUOTE, Step(text=json.reason))
