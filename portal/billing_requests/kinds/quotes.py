"""The quote itself: the technician's price override, its lines and total (rounded half-up to
the cent), the purchase-order lines it becomes once accepted, its validity and its PDF."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from portal import clock
from portal.billing_requests.kinds.fields import FieldErrors
from portal.errors import ValidationFailed
from portal.i18n import _l
from portal.models import Account, Plan, Quote
from portal.purchase_orders.operations import NewLine
from workflows.messages import ChangeInput

CENT = Decimal("0.01")
MAX_VALID_DAYS = 365


def active_plans(session: orm.Session, currency: str) -> dict[str, Plan]:
    """The price list of one currency (an account's), by plan name."""
    plans = session.scalars(
        sa.select(Plan)
        .where(Plan.active, Plan.currency == currency)
        .order_by(Plan.product, Plan.tier_rank)
    )
    return {plan.name: plan for plan in plans}


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, ROUND_HALF_UP)


def parse_pricing(
    payload: dict[str, Any], pricing: dict[str, Any] | None, default_days: int | None
) -> dict[str, Any]:
    """A technician's override: unit prices per product, a discount, a validity; all optional.
    Without a validity it is `default_days` (Settings.quote_valid_days); None only checks."""
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
            prices[str(line["product"])] = str(cents(price))
    discount = _decimal(pricing.get("discount_pct", 0))
    if discount is None or not Decimal(0) <= discount <= Decimal(100):
        errors.add("pricing.discount_pct", _l("A discount from 0 to 100 percent."))
    days = pricing.get("valid_days", default_days)
    if days is not None and not FieldErrors.is_whole(days, 1, MAX_VALID_DAYS):
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


def priced_lines(
    plans: dict[str, Plan], payload: dict[str, Any], pricing: dict[str, Any]
) -> list[dict[str, Any]]:
    """The quote's lines: prices are per seat per year; a seat for the term is rounded to the
    cent first, so that each line is its seats times that price, exactly."""
    lines = []
    for item in payload["items"]:
        plan = plans[item["product"]]
        unit_price = Decimal(pricing["prices"].get(item["product"], plan.unit_price))
        seat_for_term = cents(unit_price * payload["term_months"] / 12)
        lines.append(
            {
                "product": plan.name,
                "seats": item["seats"],
                "unit_price": str(unit_price),
                "seat_price": str(seat_for_term),
                "amount": str(seat_for_term * item["seats"]),
            }
        )
    return lines


def discounted(subtotal: Decimal, discount_pct: Decimal) -> Decimal:
    return cents(subtotal * (Decimal(100) - discount_pct) / Decimal(100))


def purchase_order_lines(quote: Quote) -> list[NewLine]:
    """The purchase order an accepted quote becomes: its lines at the quoted price of a seat for
    the term, and its discount as a line of its own, so the totals are equal to the cent."""
    lines = [NewLine(line["product"], line["seats"], _seat_price(line)) for line in quote.lines]
    if quote.total != quote.subtotal:
        label = f"{_l('Discount')} ({quote.discount_pct.normalize():f} %)"
        lines.append(NewLine(label, 1, quote.total - quote.subtotal))
    return lines


def _seat_price(line: dict[str, Any]) -> Decimal:
    if "seat_price" in line:
        return Decimal(line["seat_price"])
    # Quotes priced before lines stated it: their amount spread over the seats.
    return cents(Decimal(line["amount"]) / line["seats"])


def new_quote(session: orm.Session, change: ChangeInput, pricing: dict[str, Any]) -> Quote:
    account = session.get(Account, change.account_id)
    assert account is not None
    plans = active_plans(session, account.currency)
    lines = priced_lines(plans, change.payload, pricing)
    subtotal = sum((Decimal(line["amount"]) for line in lines), Decimal(0))
    discount = Decimal(pricing["discount_pct"])
    quote = Quote(
        request_id=change.request_id,
        account_id=change.account_id,
        lines=lines,
        term_months=change.payload["term_months"],
        discount_pct=discount,
        subtotal=subtotal,
        total=discounted(subtotal, discount),
        currency=account.currency,
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


def quote_for(session: orm.Session, request_id: int) -> Quote | None:
    return session.scalar(sa.select(Quote).where(Quote.request_id == request_id))


def extend_quote(session: orm.Session, request_id: int, valid_until: str) -> dict[str, Any]:
    quote = quote_for(session, request_id)
    assert quote is not None
    quote.valid_until = date.fromisoformat(valid_until[:10])
    return quote_result(quote)


def quote_number(quote: Quote) -> str:
    return f"Q-{quote.request_id}"


def quote_document(session: orm.Session, quote: Quote, language: str | None = None) -> bytes:
    """The quote as the customer receives it: lines, totals, validity, in `language` (None:
    the language of the moment)."""
    from portal.documents.pdf_billing import render_quote

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
        language=language,
    )
