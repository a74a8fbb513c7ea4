"""A billing contact's requests: start one (a page per kind with a form), the list, a request's
page with its timeline, and the steps the contact takes on it (cancel, answer a question,
accept or decline a quote)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from flask_wtf import FlaskForm

from portal.billing_requests import queries
from portal.billing_requests.actions import perform
from portal.billing_requests.events import STATUS_LABELS
from portal.billing_requests.kinds import kind_of
from portal.billing_requests.kinds.quotes import quote_for
from portal.billing_requests.submit import submit_request
from portal.documents.views import send_document
from portal.errors import PortalError, ValidationFailed
from portal.i18n import _, _l, active_locale
from portal.models import BillingRequest
from portal.web.auth import billing_contact_required, current
from portal.web.confirmation import confirmation_page, confirmed
from portal.web.extensions import get_bridge, get_session, get_settings
from portal.web.feedback import report
from portal.web.forms import OptionalTextForm, RequiredTextForm, posted_one_time_token, web_form
from workflows.lifecycle import Action

bp = Blueprint("billing_requests", __name__, url_prefix="/requests")


@bp.route("/new/<request_type>", methods=["GET", "POST"])
@billing_contact_required
def new(request_type: str) -> ResponseReturnValue:
    kind = kind_of(request_type)
    if kind is None or kind.form is None:
        abort(404)
    form = web_form(kind.form).build(get_session(), current())
    created, status = submit_form(form, request_type)
    if created is not None:
        flash(_("Your request #%(id)d was sent to a technician.", id=created.id), "success")
        return redirect(url_for("billing_requests.detail", request_id=created.id))
    return render_template("requests/new.html", form=form, kind=kind), status


def submit_form(form: Any, request_type: str) -> tuple[BillingRequest | None, int]:
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
            get_settings().timers,
            current(),
            request_type,
            form.payload(),
            posted_one_time_token(),  # a double click is one request
        )
    except PortalError as error:
        report(error, form, form.field_map())
        return None, error.status
    return created, 201


@bp.get("/")
@billing_contact_required
def index() -> ResponseReturnValue:
    status = request.args.get("status") or None
    items = queries.list_requests(get_session(), current(), status=status)
    return render_template(
        "requests/index.html", items=items, status=status, statuses=STATUS_LABELS
    )


@bp.get("/<int:request_id>")
@billing_contact_required
def detail(request_id: int) -> ResponseReturnValue:
    return _detail_page(request_id)


def _detail_page(request_id: int, **bound: FlaskForm) -> str:
    """The request page; `bound` forms (just posted, with their errors) replace empty ones."""
    session = get_session()
    view = queries.view_request(session, current(), request_id)
    kind = kind_of(view.item.type)
    forms: dict[str, Any] = {
        "cancel_form": OptionalTextForm(formdata=None),
        "answer_form": RequiredTextForm(formdata=None),
    }
    for action, form_class in (kind.action_forms if kind else {}).items():
        forms[f"{action}_form"] = web_form(form_class).for_request(view.item, formdata=None)
    return render_template(
        "requests/detail.html",
        view=view,
        kind=kind,
        quote=quote_for(session, view.item.id),
        **{**forms, **bound},
    )


@bp.get("/<int:request_id>/quote.pdf")
@login_required
def quote_pdf(request_id: int) -> ResponseReturnValue:
    data, name = queries.quote_pdf_of(get_session(), current(), request_id, active_locale())
    return send_document(data, name, "application/pdf")


# verb in the URL → the action and what the contact reads once it is done.
STEPS = {
    "cancel": (Action.CANCEL, "cancel_form", OptionalTextForm),
    "provide-info": (Action.PROVIDE_INFO, "answer_form", RequiredTextForm),
    "accept-quote": (Action.ACCEPT_QUOTE, f"{Action.ACCEPT_QUOTE}_form", None),
    "decline-quote": (Action.DECLINE_QUOTE, f"{Action.DECLINE_QUOTE}_form", None),
}
# Asked once more before they are done: neither can be taken back.
CONFIRM_FIRST = {
    Action.CANCEL: (
        _l("Cancel request #%(id)d?"),
        _l("The technicians stop working on it; a cancelled request cannot be reopened."),
        _l("Yes, cancel the request"),
    ),
    Action.DECLINE_QUOTE: (
        _l("Decline the quote of request #%(id)d?"),
        _l("A declined quote cannot be accepted later; you would ask for a new one."),
        _l("Yes, decline the quote"),
    ),
}
DONE = {
    Action.CANCEL: _l("Request #%(id)d is cancelled."),
    Action.PROVIDE_INFO: _l("Your answer was sent to the technician."),
    Action.ACCEPT_QUOTE: _l("You accepted the quote; your purchase order is being created."),
    Action.DECLINE_QUOTE: _l("You declined the quote."),
}


@bp.post("/<int:request_id>/<verb>")
@billing_contact_required
def act(request_id: int, verb: str) -> ResponseReturnValue:
    """One step of the contact's; the page again beside its errors when the form is invalid."""
    if verb not in STEPS:
        abort(404)
    action, name, plain_form = STEPS[verb]
    item = queries.get_request(get_session(), current(), request_id)  # another account's: 404
    kind = kind_of(item.type)
    form_class = plain_form or (kind.action_forms.get(action) if kind else None)
    if form_class is None:
        abort(404)
    form: Any = web_form(form_class)() if plain_form is None else form_class()
    if not form.validate_on_submit():
        flash(_("Please correct the highlighted fields."), "error")
        return _detail_page(request_id, **{name: form}), 400
    if action in CONFIRM_FIRST and not confirmed():
        question, consequence, button = CONFIRM_FIRST[action]
        back = url_for("billing_requests.detail", request_id=request_id)
        return confirmation_page(
            str(question) % {"id": request_id}, str(consequence), str(button), back
        )
    try:
        perform(get_session(), get_bridge(), current(), request_id, action, form.step())
    except ValidationFailed as error:
        report(error, form, {"reason": "text", "message": "text"})
        return _detail_page(request_id, **{name: form}), 400
    except PortalError as error:
        report(error)
    else:
        flash(str(DONE[action]) % {"id": request_id}, "success")
    return redirect(url_for("billing_requests.detail", request_id=request_id))
