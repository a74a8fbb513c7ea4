"""The technicians' console: the queue, the task page with its decisions, and a billing-contact
change started on a customer's behalf."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from portal import clock
from portal.billing_requests import operations
from portal.billing_requests.forms import StaffContactChangeForm
from portal.billing_requests.kinds.quote import active_plans, quote_for
from portal.billing_requests.new_views import submit_form
from portal.billing_requests.types import KINDS, STATUS_LABELS
from portal.console.forms import ExtendQuoteForm, InquiryAnswerForm, QuoteApproveForm, StepForm
from portal.errors import PortalError, ValidationFailed
from portal.i18n import LazyText, _, _l
from portal.models import Account, BillingRequest
from portal.web.auth import current, staff_required
from portal.web.extensions import get_bridge, get_session, settings_of
from portal.web.feedback import report
from portal.web.forms import ConfirmForm, OptionalTextForm, ReassignForm, RequiredTextForm
from workflows.lifecycle import Action
from workflows.messages import workflow_id_for

bp = Blueprint("console", __name__, url_prefix="/console")

# verb in the URL → the action, the form's name in the task page, the confirmation.
ACTIONS: dict[str, tuple[Action, str, LazyText]] = {
    "claim": (Action.CLAIM, "claim_form", _l("You claimed request #%(id)d.")),
    "approve": (Action.APPROVE, "approve_form", _l("Request #%(id)d is approved.")),
    "reject": (Action.REJECT, "reject_form", _l("Request #%(id)d is rejected.")),
    "request-info": (
        Action.REQUEST_INFO,
        "info_form",
        _l("Your question was sent to the customer."),
    ),
    "reassign": (Action.REASSIGN, "reassign_form", _l("Request #%(id)d is reassigned.")),
    "retry": (Action.RETRY, "retry_form", _l("Request #%(id)d is being applied again.")),
    "extend-quote": (
        Action.EXTEND_QUOTE,
        "extend_form",
        _l("The quote of request #%(id)d is valid for longer now."),
    ),
}
# Where the operations' messages about a text go in the simple forms.
TEXT_FIELDS = {"comment": "text", "reason": "text", "question": "text", "message": "text"}


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
        escalated=request.args.get("escalated") == "1",
        page=_page_arg(),
    )
    page = operations.technician_queue(session, current(), filters)
    timers, now = settings_of(current_app).timers, clock.now()
    return render_template(
        "console/queue.html",
        page=page,
        filters=filters,
        deadlines={item.id: operations.review_deadline(item, timers, now) for item in page.items},
        bulk_form=ConfirmForm(),
        bulk_ids={
            item.id
            for item in page.items
            if item.type == "form_request" and "approve" in operations.actions_for(item, current())
        },
        statuses=STATUS_LABELS,
        kinds=KINDS,
        accounts=session.query(Account).order_by(Account.name).all(),
        staff=operations.staff_members(session),
    )


@bp.post("/bulk-approve")
@staff_required
def bulk_approve() -> ResponseReturnValue:
    """Approve several form requests at once; each result is shown."""
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


def _task_page(request_id: int, **bound: FlaskForm) -> str:
    """The task page; `bound` forms (just posted, with their errors) replace empty ones."""
    session = get_session()
    view = operations.view_request(session, current(), request_id)
    forms = {name: _form(name, view.item, posted=False) for name in _form_names()}
    temporal = settings_of(current_app).temporal
    workflow_url = (
        f"{temporal.ui_url}/namespaces/{temporal.namespace}/workflows/{workflow_id_for(request_id)}"
        if temporal.ui_url
        else ""
    )
    return render_template(
        "console/task.html",
        view=view,
        quote=quote_for(session, request_id),
        plans=active_plans(session) if view.item.type == "quote" else {},
        workflow_url=workflow_url,
        **{**forms, **bound},
    )


def _form_names() -> list[str]:
    return [name for _action, name, _done in ACTIONS.values()]


def _form(name: str, item: BillingRequest, posted: bool) -> FlaskForm:
    """The form `name` of the task page, bound to the posted data or empty."""
    kwargs: dict[str, Any] = {} if posted else {"formdata": None}
    form: FlaskForm
    if name == "approve_form" and item.type == "quote":
        form = QuoteApproveForm.for_request(item, **kwargs)
    elif name == "approve_form" and item.type == "account_inquiry":
        form = InquiryAnswerForm(**kwargs)
    elif name == "reassign_form":
        form = ReassignForm(**kwargs)
        form.assignee.choices = _staff_choices()
    else:
        simple = {
            "claim_form": ConfirmForm,
            "retry_form": ConfirmForm,
            "approve_form": OptionalTextForm,
            "extend_form": ExtendQuoteForm,
        }
        form = simple.get(name, RequiredTextForm)(**kwargs)
    return form


def _staff_choices() -> list[tuple[str, str]]:
    return [(str(u.id), u.name) for u in operations.staff_members(get_session())]


@bp.post("/tasks/<int:request_id>/<verb>")
@staff_required
def act(request_id: int, verb: str) -> ResponseReturnValue:
    if verb not in ACTIONS:
        abort(404)
    action, name, done = ACTIONS[verb]
    session = get_session()
    form = _form(name, operations.get_request(session, current(), request_id), posted=True)
    if not form.validate_on_submit():
        flash(_("Please correct the highlighted fields."), "error")
        return _task_page(request_id, **{name: form}), 400
    try:
        _perform(request_id, action, form)
    except ValidationFailed as error:
        fields = form.field_map() if isinstance(form, StepForm) else TEXT_FIELDS
        report(error, form, fields)
        return _task_page(request_id, **{name: form}), 400
    except PortalError as error:
        report(error)
    else:
        flash(str(done) % {"id": request_id}, "success")
    return redirect(url_for("console.task", request_id=request_id))


def _perform(request_id: int, action: Action, form: FlaskForm) -> None:
    session, bridge, user = get_session(), get_bridge(), current()
    upload = form.upload() if isinstance(form, InquiryAnswerForm) else None
    if upload is not None:
        text = form.text.data or ""
        operations.approve_with_attachment(session, bridge, user, request_id, text, upload)
        return
    if isinstance(form, StepForm):
        step = form.step()
    else:
        step = operations.Step(
            text=getattr(getattr(form, "text", None), "data", ""),
            assignee_id=getattr(getattr(form, "assignee", None), "data", None),
        )
    operations.perform(session, bridge, user, request_id, action, step)


@bp.route("/contact-change/new", methods=["GET", "POST"])
@staff_required
def new_contact_change() -> ResponseReturnValue:
    """A technician starts a billing-contact change for a customer (a supervisor decides)."""
    form = StaffContactChangeForm.build(get_session(), current())
    created, status = submit_form(form)
    if created is not None:
        flash(
            _(
                "Request #%(id)d is started; a supervisor must decide it.",
                id=created.id,
            ),
            "success",
        )
        return redirect(url_for("console.task", request_id=created.id))
    return render_template("console/contact_change.html", form=form), status
