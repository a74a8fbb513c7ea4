"""A billing contact starts a request: one page per request type, `/requests/new/<type>`."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from portal.billing_requests.forms import NEW_REQUEST_FORMS, NewRequestForm
from portal.billing_requests.operations import submit_request
from portal.errors import PortalError
from portal.i18n import _
from portal.models import BillingRequest
from portal.web.auth import billing_contact_required, current
from portal.web.extensions import get_bridge, get_session, settings_of
from portal.web.feedback import report

bp = Blueprint("request_forms", __name__, url_prefix="/requests")


@bp.route("/new/<request_type>", methods=["GET", "POST"])
@billing_contact_required
def new(request_type: str) -> ResponseReturnValue:
    form_class = NEW_REQUEST_FORMS.get(request_type)
    if form_class is None:
        abort(404)
    form = form_class.build(get_session(), current())
    created, status = submit_form(form)
    if created is not None:
        flash(_("Your request #%(id)d was sent to a technician.", id=created.id), "success")
        return redirect(url_for("billing_requests.detail", request_id=created.id))
    return render_template("requests/new.html", form=form, request_type=request_type), status


def submit_form(form: NewRequestForm) -> tuple[BillingRequest | None, int]:
    """Submit the form's request when posted and valid: (the request, 201), or (None, the
    status to show the form with: 200 not posted, else the error's, with errors by fields)."""
    if not form.is_submitted():
        return None, 200
    if not form.validate():
        flash(_("Please correct the highlighted fields."), "error")
        return None, 400
    try:
        created = submit_request(
            get_session(),
            get_bridge(),
            settings_of(current_app).timers,
            current(),
            form.request_type,
            form.payload(),
        )
    except PortalError as error:
        report(error, form, form.field_map())
        return None, error.status
    return created, 201
