"""A billing contact's requests: list, detail with timeline, cancel, answer a question."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from portal.auth import billing_contact_required, current
from portal.billing_requests import operations
from portal.billing_requests.types import STATUS_LABELS
from portal.db import get_session
from portal.errors import PortalError
from portal.forms import OptionalTextForm, RequiredTextForm
from portal.temporal_bridge import get_bridge
from portal.views_support import report
from workflows.lifecycle import Action

bp = Blueprint("billing_requests", __name__, url_prefix="/requests")


@bp.get("/")
@billing_contact_required
def index() -> ResponseReturnValue:
    status = request.args.get("status") or None
    items = operations.list_requests(get_session(), current(), status=status)
    return render_template(
        "requests/index.html", items=items, status=status, statuses=STATUS_LABELS
    )


@bp.get("/<int:request_id>")
@billing_contact_required
def detail(request_id: int) -> ResponseReturnValue:
    return render_template(
        "requests/detail.html",
        view=operations.view_request(get_session(), current(), request_id),
        cancel_form=OptionalTextForm(),
        answer_form=RequiredTextForm(),
    )


@bp.post("/<int:request_id>/cancel")
@billing_contact_required
def cancel(request_id: int) -> ResponseReturnValue:
    return _act(
        request_id,
        Action.CANCEL,
        OptionalTextForm(),
        _("Request #%(id)d is cancelled.", id=request_id),
    )


@bp.post("/<int:request_id>/provide-info")
@billing_contact_required
def provide_info(request_id: int) -> ResponseReturnValue:
    return _act(
        request_id,
        Action.PROVIDE_INFO,
        RequiredTextForm(),
        _("Your answer was sent to the technician."),
    )


def _act(
    request_id: int, action: Action, form: OptionalTextForm | RequiredTextForm, done: str
) -> ResponseReturnValue:
    if form.validate_on_submit():
        try:
            step = operations.Step(text=form.text.data)
            operations.perform(get_session(), get_bridge(), current(), request_id, action, step)
        except PortalError as error:
            report(error)
        else:
            flash(done, "success")
    else:
        flash(_("Please write a message (at most 2000 characters)."), "error")
    return redirect(url_for("billing_requests.detail", request_id=request_id))
