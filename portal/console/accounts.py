"""A customer's account as a technician needs it beside a task: its contacts, invoices,
purchase orders, subscriptions and requests on one page, one query per list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import orm

from portal.billing_centre.invoices import invoices_query
from portal.console.views import bp
from portal.db import row_id
from portal.errors import NotFound
from portal.i18n import _l
from portal.models import Account, BillingRequest, Invoice, PurchaseOrder, Subscription, User
from portal.purchase_orders.operations import purchase_orders_query
from portal.web.auth import staff_required
from portal.web.extensions import get_session

SHOWN = 20  # the latest of each list; the API pages through the rest


@dataclass(frozen=True)
class AccountOverview:
    account: Account
    people: list[User]
    invoices: list[Invoice]
    purchase_orders: list[PurchaseOrder]
    subscriptions: list[Subscription]
    requests: list[BillingRequest]


def account_overview(session: orm.Session, account_id: Any) -> AccountOverview:
    """What staff see of an account (every account: technicians serve them all)."""
    wanted = row_id(account_id)
    account = session.get(Account, wanted) if wanted is not None else None
    if account is None:
        raise NotFound(str(_l("No such account.")))
    people = session.scalars(
        sa.select(User).where(User.account_id == account.id).order_by(User.name)
    )
    subscriptions = session.scalars(
        sa.select(Subscription)
        .where(Subscription.account_id == account.id)
        .options(orm.joinedload(Subscription.plan))
        .order_by(Subscription.id)
    )
    requests = session.scalars(
        sa.select(BillingRequest)
        .where(BillingRequest.account_id == account.id)
        .order_by(BillingRequest.created_at.desc(), BillingRequest.id.desc())
        .limit(SHOWN)
    )
    return AccountOverview(
        account=account,
        people=list(people),
        invoices=list(session.scalars(invoices_query(account.id).limit(SHOWN))),
        purchase_orders=list(session.scalars(purchase_orders_query(account.id).limit(SHOWN))),
        subscriptions=list(subscriptions),
        requests=list(requests),
    )


@bp.get("/accounts/<int:account_id>")
@staff_required
def account(account_id: int) -> ResponseReturnValue:
    overview = account_overview(get_session(), account_id)  # none such: the 404 page
    return render_template("console/account.html", overview=overview)
