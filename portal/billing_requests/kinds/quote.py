"""Quotes: the contact asks, a technician prices (list prices or an override), the contact
accepts with a PO number (a purchase order is created) or declines before it expires."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import orm
from temporalio.exceptions import ApplicationError

from portal import clock
from portal.billing_requests.kinds.fields import FieldErrors
from portal.config import Settings
from portal.errors import ValidationFailed
from portal.i18n import _l
from portal.models import Account, AuditEntry, Plan, Quote, User
from portal.purchase_orders.operations import (
    PO_NUMBER_PATTERN,
    FieldChange,
    NewLine,
    create_purchase_order,
    default_bill_to,
)
from workflows.lifecycle import Status
from workflows.messages import ApprovalPlan, ChangeInput

if TYPE_CHECKING:
    from portal.models import BillingRequest

MAX_ITEMS = 20
MAX_SEATS = 100_000
MAX_TERM_MONTHS = 60
CENT = Decimal("0.01")


def active_plans(session: orm.Session) -> dict[str, Plan]:
    plans = session.scalars(
        sa.select(Plan).where(Plan.active).order_by(Plan.product, Plan.tier_rank)
    )
    return {plan.name: plan for plan in plans}


def validate_quote(
    session: orm.Session, _account_id: int, payload: dict[str, Any]
) -> dict[str, Any]:
    errors = FieldErrors()
    plans = active_plans(session)
    raw_items = payload.get("items")
    items: list[dict[str, Any]] = []
    if not isinstance(raw_items, list) or not raw_items:
        errors.add("items", _l("Add at least one product."))
    elif len(raw_items) > MAX_ITEMS:
        errors.add("items", _l("At most %(max)d products.", max=MAX_ITEMS))
    else:
        for index, item in enumerate(raw_items):
            item = item if isinstance(item, dict) else {}
            if item.get("product") not in plans:
                errors.add(f"items.{index}.product", _l("Choose a product of the price list."))
            seats = item.get("seats")
            if not isinstance(seats, int) or isinstance(seats, bool) or not 1 <= seats <= MAX_SEATS:
                errors.add(f"items.{index}.seats", _l("Seats: 1 to %(max)d.", max=MAX_SEATS))
            else:
                items.append({"product": item.get("product"), "seats": seats})
    term = payload.get("term_months", 12)
    if not isinstance(term, int) or isinstance(term, bool) or not 1 <= term <= MAX_TERM_MONTHS:
        errors.add("term_months", _l("A term of 1 to %(max)d months.", max=MAX_TERM_MONTHS))
    notes = errors.text(payload, "notes", 2000, required=False)
    errors.raise_if_any()
    return {"items": items, "term_months": term, "notes": notes}


def parse_pricing(
    payload: dict[str, Any], pricing: dict[str, Any] | None, default_days: int
) -> dict[str, Any]:
    """A technician's override: unit prices per product, a discount, a validity; all optional."""
    pricing = pricing or {}
    if not isinstance(pricing, dict):
        raise ValidationFailed(
            str(_l("Please correct the pricing.")), {"pricing": str(_l("Must be an object."))}
        )
    errors = FieldErrors()
    products = {item["product"] for item in payload["items"]}
    prices: dict[str, str] = {}
    for index, line in enumerate(pricing.get("lines") or []):
        line = line if isinstance(line, dict) else {}
        price = _decimal(line.get("unit_price"))
        if line.get("product") not in products:
            errors.add(f"pricing.lines.{index}.product", _l("Not a product of this quote."))
        elif price is None or price < 0:
            errors.add(f"pricing.lines.{index}.unit_price", _l("A price of zero or more."))
        else:
            prices[str(line["product"])] = str(price.quantize(CENT))
    discount = _decimal(pricing.get("discount_pct", 0))
    if discount is None or not Decimal(0) <= discount <= Decimal(100):
        errors.add("pricing.discount_pct", _l("A discount from 0 to 100 percent."))
    days = pricing.get("valid_days", default_days)
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 365:
        errors.add("pricing.valid_days", _l("Valid for 1 to 365 days."))
    if errors.fields:
        raise ValidationFailed(str(_l("Please correct the pricing.")), errors.fields)
    return {"prices": prices, "discount_pct": str(discount), "valid_days": days}


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def check_approval(
    session: orm.Session, request: BillingRequest, _comment: str, pricing: dict[str, Any] | None
) -> None:
    parse_pricing(request.payload, pricing, default_days=30)


def price_quote(session: orm.Session, change: ChangeInput, settings: Settings) -> ApprovalPlan:
    """Price the quote once (a retry finds the quote it made) and plan its expiry."""
    quote = session.scalar(sa.select(Quote).where(Quote.request_id == change.request_id))
    if quote is None:
        try:
            pricing = parse_pricing(change.payload, change.pricing, settings.quote_valid_days)
        except ValidationFailed as error:
            raise ApplicationError(
                error.message, type="ChangeRefused", non_retryable=True
            ) from error
        quote = _new_quote(session, change, pricing)
    return ApprovalPlan(
        status=Status.QUOTED,
        result=quote_result(quote),
        due_at=f"{quote.valid_until.isoformat()}T23:59:59+00:00",
    )


def _new_quote(session: orm.Session, change: ChangeInput, pricing: dict[str, Any]) -> Quote:
    plans = active_plans(session)
    lines = []
    for item in change.payload["items"]:
        plan = plans[item["product"]]
        unit_price = Decimal(pricing["prices"].get(item["product"], plan.unit_price))
        # Prices are per seat per year; the term scales them.
        amount = (unit_price * item["seats"] * change.payload["term_months"] / 12).quantize(
            CENT, ROUND_HALF_UP
        )
        lines.append(
            {
                "product": plan.name,
                "seats": item["seats"],
                "unit_price": str(unit_price),
                "amount": str(amount),
            }
        )
    subtotal = sum((Decimal(line["amount"]) for line in lines), Decimal(0))
    discount = Decimal(pricing["discount_pct"])
    total = (subtotal * (Decimal(100) - discount) / Decimal(100)).quantize(CENT, ROUND_HALF_UP)
    quote = Quote(
        request_id=change.request_id,
        account_id=change.account_id,
        lines=lines,
        term_months=change.payload["term_months"],
        discount_pct=discount,
        subtotal=subtotal,
        total=total,
        currency=next(iter(plans.values())).currency if plans else "USD",
        valid_until=clock.today() + timedelta(days=pricing["valid_days"]),
    )
    session.add(quote)
    session.flush()
    return quote


def quote_result(quote: Quote) -> dict[str, Any]:
    result: dict[str, Any] = {
        "quote_id": quote.id,
        "total": str(quote.total),
        "currency": quote.currency,
        "valid_until": quote.valid_until.isoformat(),
    }
    if quote.purchase_order_id:
        result["purchase_order_id"] = quote.purchase_order_id
    return result


def extend_quote(session: orm.Session, request_id: int, valid_until: str) -> dict[str, Any]:
    quote = session.scalar(sa.select(Quote).where(Quote.request_id == request_id))
    assert quote is not None
    quote.valid_until = date.fromisoformat(valid_until[:10])
    return quote_result(quote)


def check_po_number(po_number: Any) -> str:
    if not isinstance(po_number, str) or not PO_NUMBER_PATTERN.match(po_number.strip()):
        raise ValidationFailed(
            str(_l("Please correct the highlighted fields.")),
            {"po_number": str(_l("Your PO number: letters, digits, spaces and . / _ - only."))},
        )
    return po_number.strip()


def accept_quote(session: orm.Session, change: ChangeInput, _settings: Settings) -> dict[str, Any]:
    """Create the account's purchase order from the quote's lines, once."""
    quote = session.scalar(sa.select(Quote).where(Quote.request_id == change.request_id))
    assert quote is not None
    if quote.purchase_order_id is None:
        account = session.get(Account, change.account_id)
        assert account is not None
        contact = (
            session.get(User, account.billing_contact_id) if account.billing_contact_id else None
        )
        keep = (Decimal(100) - quote.discount_pct) / Decimal(100)
        po = create_purchase_order(
            session,
            account.id,
            change.po_number,
            default_bill_to(account.name, contact.name if contact else None),
            [
                NewLine(
                    line["product"],
                    line["seats"],
                    # The quote's discount is in the price the customer agreed to pay.
                    (Decimal(line["amount"]) * keep / line["seats"]).quantize(CENT),
                )
                for line in quote.lines
            ],
            quote.currency,
            notes=str(_l("From quote #%(id)d", id=change.request_id)),
        )
        quote.po_number, quote.purchase_order_id = change.po_number, po.id
        session.add(
            AuditEntry(
                account_id=account.id,
                request_id=change.request_id,
                action="quote.accepted",
                details={
                    "quote_id": quote.id,
                    "purchase_order_id": po.id,
                    "po_number": change.po_number,
                },
            )
        )
        session.flush()
    return quote_result(quote)


def quote_for(session: orm.Session, request_id: int) -> Quote | None:
    return session.scalar(sa.select(Quote).where(Quote.request_id == request_id))


def describe_quote(_session: orm.Session, payload: dict[str, Any]) -> list[FieldChange]:
    rows = [
        FieldChange(item["product"], "", str(_l("%(n)d seats", n=item["seats"])))
        for item in payload["items"]
    ]
    rows.append(FieldChange(str(_l("Term")), "", str(_l("%(n)d months", n=payload["term_months"]))))
    if payload.get("notes"):
        rows.append(FieldChange("notes", "", payload["notes"]))
    return rows


def quote_number(quote: Quote) -> str:
    return f"Q-{quote.request_id}"


def quote_pdf(session: orm.Session, quote: Quote) -> bytes:
    """The quote as the customer receives it: lines, totals, validity."""
    from portal.documents.pdf import render_quote

    account = session.get(Account, quote.account_id)
    assert account is not None
    return render_quote(
        quote.lines,
        quote.currency,
        quote.subtotal,
        quote.discount_pct,
        quote.total,
        quote.valid_until,
        account.name,
        quote_number(quote),
    )
