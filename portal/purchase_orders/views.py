"""A billing contact's purchase orders: list, detail with revisions, and the edit request."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from portal.billing_requests.kinds.po_edit import PurchaseOrderEditForm
from portal.billing_requests.submit import submit_request
from portal.errors import PortalError
from portal.i18n import _
from portal.purchase_orders import operations
from portal.web.auth import billing_contact_required, current
from portal.web.extensions import get_bridge, get_session, get_settings
from portal.web.feedback import report
from portal.web.forms import posted_one_time_token, web_form
from workflows.lifecycle import RequestType

bp = Blueprint("purchase_orders", __name__, url_prefix="/purchase-orders")


@bp.get("/")
@billing_contact_required
def index() -> str:
    orders = operations.list_purchase_orders(get_session(), current().account_id or 0)
    return render_template("purchase_orders/index.html", orders=orders)


@bp.get("/<int:po_id>")
@billing_contact_required
def detail(po_id: int) -> str:
    po = operations.get_purchase_order(get_session(), current().account_id or 0, po_id)
    return render_template("purchase_orders/detail.html", po=po)


@bp.route("/<int:po_id>/edit", methods=["GET", "POST"])
@billing_contact_required
def edit(po_id: int) -> ResponseReturnValue:
    session = get_session()
    po = operations.get_purchase_order(session, current().account_id or 0, po_id)
    form = web_form(PurchaseOrderEditForm).for_purchase_order(po)
    if form.validate_on_submit():
        try:
            created = submit_request(
                session,
                get_bridge(),
                get_settings().timers,
                current(),
                RequestType.PO_EDIT,
                form.payload(),
                posted_one_time_token(),  # a double click is one request
            )
        except PortalError as error:
            report(error, form, form.field_map())
        else:
            flash(
                _("Your change was sent to a technician as request #%(id)d.", id=created.id),
                "success",
            )
            return redirect(url_for("billing_requests.detail", request_id=created.id))
    elif form.is_submitted():
        flash(_("Please correct the highlighted fields."), "error")
    return render_template(
        "purchase_orders/edit.html", po=po, form=form
    ), 200 if not form.errors else 400
