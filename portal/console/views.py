"""The technicians' console: the queue, the task page with its decisions, and a billing-contact
change started on a customer's behalf. What a kind's decision carries beyond a comment is the
kind's own form (RequestKind.action_forms)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from portal import clock
from portal.billing_requests import actions as operations
from portal.billing_requests import invitations, queries
from portal.billing_requests.events import STAFF_STATUS_LABELS
from portal.billing_requests.kinds import KINDS, kind_of
from portal.billing_requests.kinds.contact_change import StaffContactChangeForm
from portal.billing_requests.kinds.quotes import active_plans, quote_for
from portal.billing_requests.views import submit_form
from portal.db import row_id
from portal.errors import PortalError, ValidationFailed
from portal.i18n import LazyText, _, _l
from portal.models import Account, BillingRequest
from portal.web.auth import current, staff_required
from portal.web.confirmation import confirmation_page, confirmed
from portal.web.extensions import get_bridge, get_session, get_settings
from portal.web.feedback import report
from portal.web.forms import (
    ConfirmForm,
    OptionalTextForm,
    ReassignForm,
    RequiredTextForm,
    ResendInvitationForm,
    web_form,
)
from portal.web.template_helpers import when
from workflows.lifecycle import Action, RequestType
from workflows.messages import workflow_id_for

bp = Blueprint("console", __name__, url_prefix="/console")

# verb in the URL → the action and the confirmation; its form is `<action>_form` on the page.
ACTIONS: dict[str, tuple[Action, LazyText]] = {
    "claim": (Action.CLAIM, _l("You claimed request #%(id)d.")),
    "approve": (Action.APPROVE, _l("Request #%(id)d is approved.")),
    "reject": (Action.REJECT, _l("Request #%(id)d is rejected.")),
    "request-info": (Action.REQUEST_INFO, _l("Your question was sent to the customer.")),
    "reassign": (Action.REASSIGN, _l("Request #%(id)d is reassigned.")),
    "retry": (Action.RETRY, _l("Request #%(id)d is being applied again.")),
    "extend-quote": (
        Action.EXTEND_QUOTE,
        _l("The quote of request #%(id)d is valid for longer now."),
    ),
}
# The form of an action no kind words its own way.
PLAIN_FORMS: dict[Action, type[Any]] = {
    Action.CLAIM: ConfirmForm,
    Action.RETRY: ConfirmForm,
    Action.APPROVE: OptionalTextForm,
    Action.REJECT: RequiredTextForm,
    Action.REQUEST_INFO: RequiredTextForm,
    Action.REASSIGN: ReassignForm,
}
# Where the operations' messages about a text go in the plain forms.
TEXT_FIELDS = {"comment": "text", "reason": "text", "question": "text", "message": "text"}


def _page_arg() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() else 1


@bp.get("/")
@staff_required
def queue() -> ResponseReturnValue:
    session, user = get_session(), current()
    account = request.args.get("account", "")
    filters = queries.QueueFilters(
        status=request.args.get("status") or None,
        request_type=request.args.get("type") or None,
        account_id=row_id(account),
        assignee=request.args.get("assignee") or None,
        escalated=request.args.get("escalated") == "1",
        page=_page_arg(),
    )
    page = queries.technician_queue(session, user, filters)
    timers, now = get_settings().timers, clock.now()
    return render_template(
        "console/queue.html",
        page=page,
        filters=filters,
        deadlines={item.id: queries.review_deadline(item, timers, now) for item in page.items},
        bulk_form=ConfirmForm(),
        bulk_ids={
            item.id
            for item in page.items
            if KINDS[item.type].approved_in_bulk and "approve" in queries.actions_for(item, user)
        },
        statuses=STAFF_STATUS_LABELS,
        kinds=KINDS,
        accounts=session.query(Account).order_by(Account.name).all(),
        staff=queries.staff_members(session),
    )


@bp.post("/bulk-approve")
@staff_required
def bulk_approve() -> ResponseReturnValue:
    """Approve several requests at once (kinds approved in bulk); each result is shown."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    ids = [int(value) for value in request.form.getlist("request_id") if value.isdigit()]
    if not ids:
        flash(_("Tick the form requests to approve."), "error")
    for outcome in operations.approve_many(get_session(), get_bridge(), current(), ids):
        category = "success" if outcome.approved else "error"
        flash(f"#{outcome.request_id}: {outcome.message}", category)
    return redirect(url_for("console.queue"))


@bp.get("/tasks/<int:request_id>")
@staff_required
def task(request_id: int) -> ResponseReturnValue:
    return _task_page(request_id)


def _task_page(request_id: int, **bound: Any) -> str:
    """The task page; `bound` forms (just posted, with their errors) replace empty ones."""
    session = get_session()
    view = queries.view_request(session, current(), request_id)
    forms = {
        f"{action}_form": _form(action, view.item, posted=False)
        for action, _done in ACTIONS.values()
    }
    temporal = get_settings().temporal
    workflow_url = (
        f"{temporal.ui_url}/namespaces/{temporal.namespace}/workflows/{workflow_id_for(request_id)}"
        if temporal.ui_url
        else ""
    )
    kind = kind_of(view.item.type)
    invitation = invitations.invitation_state(session, view.item)
    return render_template(
        "console/task.html",
        invitation=invitation,
        resend_form=ResendInvitationForm(
            formdata=None, replaces=invitation.invitation_id if invitation else ""
        ),
        view=view,
        kind=kind,
        quote=quote_for(session, request_id),
        plans=active_plans(session, view.item.account.currency)
        if kind and Action.APPROVE in kind.action_forms
        else {},
        workflow_url=workflow_url,
        **{**forms, **bound},
    )


def _form(action: Action, item: BillingRequest, posted: bool) -> Any:
    """The form of `action` on the task page, bound to the posted data or empty."""
    kwargs: dict[str, Any] = {} if posted else {"formdata": None}
    kind = kind_of(item.type)
    own = kind.action_forms.get(action) if kind else None
    if own is not None:
        return web_form(own).for_request(item, **kwargs)
    form = PLAIN_FORMS.get(action, OptionalTextForm)(**kwargs)
    if action is Action.REASSIGN:
        form.assignee.choices = [
            (str(user.id), user.name) for user in queries.staff_members(get_session())
        ]
    return form


@bp.post("/tasks/<int:request_id>/<verb>")
@staff_required
def act(request_id: int, verb: str) -> ResponseReturnValue:
    if verb not in ACTIONS:
        abort(404)
    action, done = ACTIONS[verb]
    session, bridge, user = get_session(), get_bridge(), current()
    form = _form(action, queries.get_request(session, user, request_id), posted=True)
    name = f"{action}_form"
    if not form.validate_on_submit():
        flash(_("Please correct the highlighted fields."), "error")
        return _task_page(request_id, **{name: form}), 400
    warning = form.warning() if hasattr(form, "warning") else None
    if warning and not confirmed():
        return confirmation_page(
            _("Send this quote anyway?"),
            warning,
            _("Yes, send it anyway"),
            url_for("console.task", request_id=request_id),
        )
    try:
        upload = form.upload() if hasattr(form, "upload") else None
        if upload is not None:
            text = form.step().text
            operations.approve_with_attachment(session, bridge, user, request_id, text, upload)
        else:
            operations.perform(session, bridge, user, request_id, action, form.step())
    except ValidationFailed as error:
        report(error, form, form.field_map() if hasattr(form, "field_map") else TEXT_FIELDS)
        return _task_page(request_id, **{name: form}), 400
    except PortalError as error:
        report(error)
    else:
        flash(str(done) % {"id": request_id}, "success")
    return redirect(url_for("console.task", request_id=request_id))


@bp.post("/tasks/<int:request_id>/resend-invitation")
@staff_required
def resend_invitation(request_id: int) -> ResponseReturnValue:
    form = ResendInvitationForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        sent = invitations.resend_invitation(
            get_session(), get_settings(), current(), request_id, row_id(form.replaces.data)
        )
    except PortalError as error:
        report(error)
    else:
        flash(
            _(
                "A new link was sent to %(email)s; it is valid until %(when)s.",
                email=sent.contact.email,
                when=when(sent.expires_at),
            ),
            "success",
        )
    return redirect(url_for("console.task", request_id=request_id))


@bp.route("/contact-change/new", methods=["GET", "POST"])
@staff_required
def new_contact_change() -> ResponseReturnValue:
    """A technician starts a billing-contact change for a customer (a supervisor decides)."""
    form = web_form(StaffContactChangeForm).build(get_session(), current())
    created, status = submit_form(form, RequestType.CONTACT_CHANGE)
    if created is not None:
        flash(
            _("Request #%(id)d is started; a supervisor must decide it.", id=created.id),
            "success",
        )
        return redirect(url_for("console.task", request_id=created.id))
    return render_template("console/contact_change.html", form=form), status
