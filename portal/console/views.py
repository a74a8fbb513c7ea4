"""The technicians' console: the queue and the task page with its decisions."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from portal import settings_of
from portal.auth import current, staff_required
from portal.billing_requests import operations
from portal.billing_requests.types import KINDS, STATUS_LABELS
from portal.db import get_session
from portal.errors import PortalError
from portal.forms import ConfirmForm, OptionalTextForm, ReassignForm, RequiredTextForm
from portal.models import Account
from portal.temporal_bridge import get_bridge
from portal.views_support import report
from workflows.lifecycle import Action
from workflows.messages import workflow_id_for

bp = Blueprint("console", __name__, url_prefix="/console")

ACTIONS: dict[str, tuple[Action, type[FlaskForm], LazyString]] = {
    "claim": (Action.CLAIM, ConfirmForm, _l("You claimed request #%(id)d.")),
    "approve": (Action.APPROVE, OptionalTextForm, _l("Request #%(id)d is approved.")),
    "reject": (Action.REJECT, RequiredTextForm, _l("Request #%(id)d is rejected.")),
    "request-info": (
        Action.REQUEST_INFO,
        RequiredTextForm,
        _l("Your question was sent to the customer."),
    ),
    "reassign": (Action.REASSIGN, ReassignForm, _l("Request #%(id)d is reassigned.")),
}


def _page_arg() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() else 1


@bp.get("/")
@staff_required
def queue() -> ResponseReturnValue:
    session = get_session()
    account = request.args.get("account", "")
    filters = operations.QueueFilters(
        status=request.args.get("status") or None,
        request_type=request.args.get("type") or None,
        account_id=int(account) if account.isdigit() else None,
        assignee=request.args.get("assignee") or None,
        page=_page_arg(),
    )
    page = operations.technician_queue(session, current(), filters)
    return render_template(
        "console/queue.html",
        page=page,
        filters=filters,
        statuses=STATUS_LABELS,
        kinds=KINDS,
        accounts=session.query(Account).order_by(Account.name).all(),
        staff=operations.staff_members(session),
    )


@bp.get("/tasks/<int:request_id>")
@staff_required
def task(request_id: int) -> ResponseReturnValue:
    session = get_session()
    view = operations.view_request(session, current(), request_id)
    reassign_form = ReassignForm()
    reassign_form.assignee.choices = _staff_choices()
    temporal = settings_of(current_app).temporal
    workflow_url = (
        f"{temporal.ui_url}/namespaces/{temporal.namespace}/workflows/{workflow_id_for(request_id)}"
        if temporal.ui_url
        else ""
    )
    return render_template(
        "console/task.html",
        view=view,
        claim_form=ConfirmForm(),
        approve_form=OptionalTextForm(),
        reject_form=RequiredTextForm(),
        info_form=RequiredTextForm(),
        reassign_form=reassign_form,
        workflow_url=workflow_url,
    )


def _staff_choices() -> list[tuple[str, str]]:
    return [(str(u.id), u.name) for u in operations.staff_members(get_session())]


@bp.post("/tasks/<int:request_id>/<verb>")
@staff_required
def act(request_id: int, verb: str) -> ResponseReturnValue:
    if verb not in ACTIONS:
        abort(404)
    action, form_class, done = ACTIONS[verb]
    form = form_class()
    if isinstance(form, ReassignForm):
        form.assignee.choices = _staff_choices()
    if not form.validate_on_submit():
        flash(_("Please fill in the form (at most 2000 characters)."), "error")
        return redirect(url_for("console.task", request_id=request_id))
    try:
        operations.perform(
            get_session(),
            get_bridge(),
            current(),
            request_id,
            action,
            operations.Step(
                text=getattr(getattr(form, "text", None), "data", ""),
                assignee_id=getattr(getattr(form, "assignee", None), "data", None),
            ),
        )
    except PortalError as error:
        report(error)
    else:
        flash(str(done) % {"id": request_id}, "success")
    return redirect(url_for("console.task", request_id=request_id))
