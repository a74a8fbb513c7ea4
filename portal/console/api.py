"""The technicians' API: the queue of tasks, a task, and the decisions on it."""

from __future__ import annotations

import dataclasses

from flask import jsonify, request

from portal.billing_requests import invitations, queries
from portal.billing_requests.actions import approve_many, approve_with_attachment
from portal.billing_requests.api import act, request_json, resent_invitation
from portal.billing_requests.steps import Upload
from portal.db import row_id
from portal.errors import NotFound, ValidationFailed
from portal.i18n import _
from portal.web.api_support import Reply, api_user, bp, json_body, staff_only
from portal.web.extensions import get_bridge, get_session
from portal.web.input_guard import refuse_unreadable
from workflows.lifecycle import Action

BULK_MOST = 100


def _int_arg(name: str) -> int | None:
    return row_id(request.args.get(name, ""))


@bp.get("/tasks")
@staff_only
def tasks() -> Reply:
    page = queries.technician_queue(
        get_session(),
        api_user(),
        queries.QueueFilters(
            status=request.args.get("status") or None,
            request_type=request.args.get("type") or None,
            account_id=_int_arg("account"),
            assignee=request.args.get("assignee") or None,
            page=_int_arg("page") or 1,
        ),
    )
    return jsonify(
        {
            "items": [request_json(item) for item in page.items],
            "page": page.page,
            "pages": page.pages,
            "total": page.total,
        }
    )


@bp.get("/tasks/<request_id>")
@staff_only
def task(request_id: str) -> Reply:
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
def resend_invitation(request_id: str) -> Reply:
    """A new set-password link for the contact a completed change made (201)."""
    return resent_invitation(request_id)


@bp.post("/tasks/bulk-approve")
@staff_only
def bulk_approve() -> Reply:
    """`{"ids": [...]}`: each request of a kind approved in bulk is decided on its own; every
    outcome is in the answer (200, even when some were refused)."""
    ids = json_body().get("ids")
    wanted = [row_id(value) for value in ids] if isinstance(ids, list) else []
    if not wanted or None in wanted or len(wanted) > BULK_MOST:
        message = _("A list of 1 to %(most)d request ids.", most=BULK_MOST)
        raise ValidationFailed(message, {"ids": message})
    outcomes = approve_many(get_session(), get_bridge(), api_user(), [w for w in wanted if w])
    return jsonify({"results": [dataclasses.asdict(outcome) for outcome in outcomes]})


@bp.post("/tasks/<request_id>/approve-with-attachment")
@staff_only
def approve_with_a_file(request_id: str) -> Reply:
    """An answer with a PDF, as multipart/form-data: `file`, and `comment`."""
    file = request.files.get("file")
    if file is None or not file.filename:
        message = _("Attach the PDF as the form field `file`.")
        raise ValidationFailed(message, {"file": message})
    upload = Upload(file.filename, file.content_type or "", file.read())
    comment = request.form.get("comment", "")
    refuse_unreadable({"comment": comment})
    updated = approve_with_attachment(
        get_session(), get_bridge(), api_user(), request_id, comment, upload
    )
    return jsonify(request_json(updated, detail=True))


TASK_ACTIONS = {
    "claim": (Action.CLAIM, None),
    "approve": (Action.APPROVE, "comment"),
    "reject": (Action.REJECT, "reason"),
    "request-info": (Action.REQUEST_INFO, "question"),
    "reassign": (Action.REASSIGN, None),
    "extend-quote": (Action.EXTEND_QUOTE, None),
    "retry": (Action.RETRY, None),
}


@bp.post("/tasks/<request_id>/<verb>")
@staff_only
def task_action(request_id: str, verb: str) -> Reply:
    if verb not in TASK_ACTIONS:
        raise NotFound(_("No such action."))
    action, text_field = TASK_ACTIONS[verb]
    return act(request_id, action, text_field)
