"""The technicians' API: the queue of tasks, a task, and the decisions on it."""

from __future__ import annotations

import dataclasses

from flask import jsonify, request

from portal.billing_requests import invitations, queries
from portal.billing_requests.api import act, request_json
from portal.db import row_id
from portal.errors import NotFound, ValidationFailed
from portal.i18n import _
from portal.web.api_support import Reply, api_user, bp, json_body, staff_only
from portal.web.extensions import get_session, get_settings
from workflows.lifecycle import Action


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
    replaces = json_body().get("replaces")
    if replaces is not None and (isinstance(replaces, bool) or row_id(replaces) is None):
        message = _("The id of the link this one replaces.")
        raise ValidationFailed(message, {"replaces": message})
    sent = invitations.resend_invitation(
        get_session(), get_settings(), api_user(), request_id, row_id(replaces)
    )
    return jsonify({"invitation": invitations.invitation_json(sent)}), 201


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
