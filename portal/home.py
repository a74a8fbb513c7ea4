"""The landing page after sign-in: the account at a glance, or the queue for staff."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from portal.billing_centre.invoices import invoices_of
from portal.billing_requests.operations import pending_requests_of_account
from portal.models import Account, PurchaseOrder
from portal.web.auth import current
from portal.web.extensions import get_session

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index() -> str | Response:
    user = current()
    if user.is_staff:
        return redirect(url_for("console.queue"))
    session = get_session()
    account = session.get(Account, user.account_id)
    pending = (
        list(session.scalars(pending_requests_of_account(user.account_id or 0)))
        if user.is_billing_contact
        else []
    )
    po_count = (
        session.scalar(
            sa.select(sa.func.count(PurchaseOrder.id)).where(
                PurchaseOrder.account_id == user.account_id
            )
        )
        if user.is_billing_contact
        else 0
    )
    invoices = invoices_of(session, user, limit=20) if user.is_billing_contact else []
    return render_template(
        "home/index.html", account=account, pending=pending, po_count=po_count, invoices=invoices
    )
