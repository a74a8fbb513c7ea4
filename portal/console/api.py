"""The technicians' API: the queue of tasks, a task, and the decisions on it."""

from __future__ import annotations

import dataclasses

from flask import jsonify
from werkzeug.datastructures import FileStorage

from portal.billing_requests import invitations, queries
from portal.billing_requests.actions import approve_many, approve_with_attachment
from portal.billing_requests.api import STEP_ERRORS, act, request_json, resent_invitation
from portal.billing_requests.schemas import InvitationSent, RequestReply, ResendInvitationBody
from portal.billing_requests.steps import Step, Upload
from portal.console.schemas import (
    ApproveBody,
    ApproveWithAttachmentForm,
    BulkApproveBody,
    BulkApproveReply,
    ExtendQuoteBody,
    ReassignBody,
    RejectBody,
    RequestInfoBody,
    TaskListQuery,
    TaskPage,
    TaskReply,
)
from portal.errors import ValidationFailed
from portal.i18n import _
from portal.models import BillingRequest
from portal.web.api_support import Reply, api_user, bp, staff_only
from portal.web.extensions import get_bridge, get_session
from portal.web.openapi import described
from portal.web.paging import list_args, page_of
from workflows.lifecycle import Action

TAG = "Console"


@bp.get("/tasks")
@staff_only
@described(TAG, {200: TaskPage}, errors=(400,), query=TaskListQuery)
def tasks(query: TaskListQuery) -> Reply:
    """The queue, oldest first: by default what is still to do."""
    filters = queries.QueueFilters(
        status=query.status,
        request_type=query.type,
        account_id=query.account,
        assignee=None if query.assignee is None else str(query.assignee),
        escalated=query.escalated,
    )
    found = queries.queue_query(api_user(), filters)
    page = page_of(get_session(), found, BillingRequest, list_args(query), oldest_first=True)
    return jsonify(
        {"items": [request_json(item) for item in page.items], "next_cursor": page.next_cursor}
    )


@bp.get("/tasks/<request_id>")
@staff_only
@described(TAG, {200: TaskReply}, errors=(404,))
def task(request_id: str) -> Reply:
    """One task: the request, its account, the change it proposes, its invitation."""
    session = get_session()
    item = queries.get_request(session, api_user(), request_id)
    body = request_json(item, detail=True)
    body["account"] = {
        "id": item.account.id,
        "name": item.account.name,
        "country": item.account.country,
    }
    body["proposed_change"] = [
        dataclasses.asdict(change) for change in queries.describe_changes(session, item)
    ]
    invitation = invitations.invitation_state(session, item)
    if invitation is not None:
        body["invitation"] = invitations.invitation_json(invitation)
    return jsonify(body)


@bp.post("/tasks/<request_id>/resend-invitation")
@staff_only
@described(TAG, {201: InvitationSent}, errors=(400, 404, 409), json=ResendInvitationBody)
def resend_invitation(request_id: str, json: ResendInvitationBody) -> Reply:
    """A new set-password link for the contact a completed change made."""
    return resent_invitation(request_id, json)


@bp.post("/tasks/bulk-approve")
@staff_only
@described(TAG, {200: BulkApproveReply}, errors=(400,), json=BulkApproveBody)
def bulk_approve(json: BulkApproveBody) -> Reply:
    """Approve many requests of the kinds approved in bulk: each is decided on its own, and
    every outcome is in the answer (200, even when some were refused)."""
    outcomes = approve_many(get_session(), get_bridge(), api_user(), list(json.ids))
    return jsonify({"results": [dataclasses.asdict(outcome) for outcome in outcomes]})


@bp.post("/tasks/<request_id>/approve-with-attachment")
@staff_only
@described(TAG, {200: RequestReply}, errors=STEP_ERRORS, form=ApproveWithAttachmentForm)
def approve_with_a_file(request_id: str, form: ApproveWithAttachmentForm) -> Reply:
    """Approve with a PDF, as multipart/form-data: `file`, and `comment`."""
    # spectree gives None for a body that is no form (JSON, say): as good as no file.
    if form is None or not isinstance(form.file, FileStorage) or not form.file.filename:
        message = _("Attach the PDF as the form field `file`.")
        raise ValidationFailed(message, {"file": message})
    upload = Upload(form.file.filename, form.file.content_type or "", form.file.read())
    updated = approve_with_attachment(
        get_session(), get_bridge(), api_user(), request_id, form.comment, upload
    )
    return jsonify(request_json(updated, detail=True))


@bp.post("/tasks/<request_id>/claim")
@staff_only
@described(TAG, {200: RequestReply}, errors=STEP_ERRORS)
def claim(request_id: str) -> Reply:
    """Take the task: it is yours to decide."""
    return act(request_id, Action.CLAIM, Step())


@bp.post("/tasks/<request_id>/approve")
@staff_only
@described(TAG, {200: RequestReply}, errors=STEP_ERRORS, json=ApproveBody)
def approve(request_id: str, json: ApproveBody) -> Reply:
    """Approve a claimed task; the change is applied once."""
    step = Step(text=json.comment, pricing=json.pricing, attachment_id=json.attachment_id)
    return act(request_id, Action.APPROVE, step)


@bp.post("/tasks/<request_id>/reject")
@staff_only
@described(TAG, {200: RequestReply}, errors=STEP_ERRORS, json=RejectBody)
def reject(request_id: str, json: RejectBody) -> Reply:
    """Reject a claimed task, with the reason the customer reads."""
    return act(request_id, Action.REJECT, Step(text=json.reason))


@bp.post("/tasks/<request_id>/request-info")
@staff_only
@described(TAG, {200: RequestReply}, errors=STEP_ERRORS, json=RequestInfoBody)
def request_info(request_id: str, json: RequestInfoBody) -> Reply:
    """Ask the customer a question; the task waits for the answer."""
    return act(request_id, Action.REQUEST_INFO, Step(text=json.question))


@bp.post("/tasks/<request_id>/reassign")
@staff_only
@described(TAG, {200: RequestReply}, errors=STEP_ERRORS, json=ReassignBody)
def reassign(request_id: str, json: ReassignBody) -> Reply:
    """Supervisors: give the task to another technician."""
    return act(request_id, Action.REASSIGN, Step(assignee_id=json.assignee))


@bp.post("/tasks/<request_id>/extend-quote")
@staff_only
@described(TAG, {200: RequestReply}, errors=STEP_ERRORS, json=ExtendQuoteBody)
def extend_quote(request_id: str, json: ExtendQuoteBody) -> Reply:
    """Keep a sent quote valid until a later date."""
    return act(request_id, Action.EXTEND_QUOTE, Step(valid_until=json.valid_until))


@bp.post("/tasks/<request_id>/retry")
@staff_only
@described(TAG, {200: RequestReply}, errors=STEP_ERRORS)
def retry(request_id: str) -> Reply:
    """Try again to apply a request that could not be applied."""
    return act(request_id, Action.RETRY, Step())
