"""A billing contact's requests: list, detail with timeline, cancel, answer a question, and
answer a quote (accept with a PO number, decline, its PDF)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from flask_wtf import FlaskForm

from portal.billing_requests import operations
from portal.billing_requests.forms import AcceptQuoteForm, DeclineQuoteForm
from portal.billing_requests.kinds import quote
from portal.billing_requests.types import STATUS_LABELS
from portal.documents.views import send_document
from portal.errors import PortalError, ValidationFailed
from portal.i18n import _
from portal.web.auth import billing_contact_required, current
from portal.web.extensions import get_bridge, get_session
from portal.web.feedback import report
from portal.web.forms import OptionalTextForm, RequiredTextForm
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
    return _detail_page(request_id)


def _detail_page(request_id: int, **bound: FlaskForm) -> str:
    """The request page; `bound` forms (just posted, with their errors) replace empty ones."""
    session = get_session()
    view = operations.view_request(session, current(), request_id)
    forms: dict[str, Any] = {
        "cancel_form": OptionalTextForm(formdata=None),
        "answer_form": RequiredTextForm(formdata=None),
        "accept_form": AcceptQuoteForm(formdata=None),
        "decline_form": DeclineQuoteForm(formdata=None),
        **bound,
    }
    return render_template(
        "requests/detail.html", view=view, quote=quote.quote_for(session, view.item.id), **forms
    )


@bp.get("/<int:request_id>/quote.pdf")
@login_required
def quote_pdf(request_id: int) -> ResponseReturnValue:
    session = get_session()
    item = operations.get_request(session, current(), request_id)
    found = quote.quote_for(session, item.id)
    if found is None:
        abort(404)
    content = quote.quote_pdf(session, found)
    return send_document(content, f"quote-{item.id}.pdf", "application/pdf")


@bp.post("/<int:request_id>/accept-quote")
@billing_contact_required
def accept_quote(request_id: int) -> ResponseReturnValue:
    form = AcceptQuoteForm()
    step = operations.Step(po_number=form.po_number.data or "")
    done = _("You accepted the quote; your purchase order is being created.")
    return _answer_quote(request_id, Action.ACCEPT_QUOTE, form, step, "accept_form", done)


@bp.post("/<int:request_id>/decline-quote")
@billing_contact_required
def decline_quote(request_id: int) -> ResponseReturnValue:
    form = DeclineQuoteForm()
    step = operations.Step(text=form.reason.data or "")
    done = _("You declined the quote.")
    return _answer_quote(request_id, Action.DECLINE_QUOTE, form, step, "decline_form", done)


def _answer_quote(
    request_id: int,
    action: Action,
    form: FlaskForm,
    step: operations.Step,
    name: str,
    done: str,
) -> ResponseReturnValue:
    """Redirect when done or refused; show the form again beside its errors when invalid."""
    if not form.validate_on_submit():
        flash(_("Please correct the highlighted fields."), "error")
        return _detail_page(request_id, **{name: form}), 400
    try:
        operations.perform(get_session(), get_bridge(), current(), request_id, action, step)
    except ValidationFailed as error:
        report(error, form)
        return _detail_page(request_id, **{name: form}), 400
    except PortalError as error:
        report(error)
    else:
        flash(done, "success")
    return redirect(url_for("billing_requests.detail", request_id=request_id))


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
    operations.get_request(get_session(), current(), request_id)  # another account's: 404
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
