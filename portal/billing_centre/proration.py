"""What a subscription change costs, by the billing centre's rules; one pure function serves the
preview page, the API and the workflow that applies a Corporate account's change.

The rules (seed, "Quels frais s'appliquent..."):
- a change takes effect at once and is prorated against the time left in the billing period;
- seats may be reduced: the unused value of the removed seats is credited, the billing date
  stays;
- a change that raises the price asks for payment: the new period starts today (the change
  date becomes the new billing date), less the unused value of the current period;
- a lower tier is not self-served (support does it), and products cannot be swapped.

Money is exact throughout (Decimal prices, Fraction shares of a period) and rounded once, half-up
to the cent, on the way out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

CENT = Decimal("0.01")
MAX_SEATS = 100_000
PERIOD_MONTHS = {"monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12}


class Refusal:
    """Why a change is refused: codes the pages and API translate."""

    DIFFERENT_PRODUCT = "different_product"
    LOWER_TIER = "lower_tier"
    BAD_SEATS = "bad_seats"
    NO_CHANGE = "no_change"
    NOT_ACTIVE = "not_active"


@dataclass(frozen=True)
class PlanPrice:
    name: str
    product: str
    tier_rank: int
    yearly_seat_price: Decimal


@dataclass(frozen=True)
class Holding:
    """What the account holds now: a plan, seats and the current billing period."""

    plan: PlanPrice
    seats: int
    period: str  # "monthly" or "annual"
    period_start: date
    next_billing_date: date


@dataclass(frozen=True)
class Preview:
    amount_due: Decimal
    amount_credited: Decimal
    new_billing_date: date
    error: str | None = None

    @property
    def refused(self) -> bool:
        return self.error is not None


def seat_price(plan: PlanPrice, period: str) -> Decimal:
    """One seat for one billing period, to the cent: what an invoice line states."""
    return _cents(plan.yearly_seat_price * PERIOD_MONTHS[period] / 12)


def period_price(plan: PlanPrice, seats: int, period: str) -> Decimal:
    """The price of one billing period: its seats at the seat price."""
    return seat_price(plan, period) * seats


def unused_fraction(holding: Holding, today: date) -> Fraction:
    """The share of the current period still to come: 1 on its first day, 0 at its end.
    Exact (a Fraction): 1/28 as a Decimal is a little less than 1/28, and an amount of exactly
    half a cent would then round down instead of half-up."""
    total = (holding.next_billing_date - holding.period_start).days
    left = (holding.next_billing_date - max(today, holding.period_start)).days
    if total <= 0:
        return Fraction(0)
    return Fraction(max(0, min(left, total)), total)


def next_period_end(start: date, period: str) -> date:
    months = PERIOD_MONTHS[period]
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    for day in (start.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    return start + timedelta(days=30 * months)  # unreachable: day 28 exists in every month


def _cents(amount: Decimal | Fraction) -> Decimal:
    if isinstance(amount, Fraction):
        # Rounded half-up (away from zero) while still exact, once.
        cents = math.floor(abs(amount) * 100 + Fraction(1, 2))
        return (Decimal(cents if amount >= 0 else -cents) / 100).quantize(CENT)
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def exact_change(
    holding: Holding, plan: PlanPrice, seats: int, today: date
) -> tuple[Fraction, date]:
    """Signed exact amount (positive: due, negative: credit) and the billing date after."""
    old_price = period_price(holding.plan, holding.seats, holding.period)
    new_price = period_price(plan, seats, holding.period)
    unused = unused_fraction(holding, today)
    old, new = Fraction(old_price), Fraction(new_price)
    if new_price > old_price:
        return new - old * unused, next_period_end(today, holding.period)
    return (new - old) * unused, holding.next_billing_date


def preview_change(holding: Holding, plan: PlanPrice, seats: int, today: date) -> Preview:
    """The amount due or credited for changing to `plan` x `seats` today, or why not."""
    refusal = _refusal(holding, plan, seats)
    if refusal is not None:
        return Preview(Decimal("0.00"), Decimal("0.00"), holding.next_billing_date, refusal)
    amount, billing_date = exact_change(holding, plan, seats, today)
    if amount >= 0:
        return Preview(_cents(amount), Decimal("0.00"), billing_date)
    return Preview(Decimal("0.00"), _cents(-amount), billing_date)


def _refusal(holding: Holding, plan: PlanPrice, seats: int) -> str | None:
    if plan.product != holding.plan.product:
        return Refusal.DIFFERENT_PRODUCT
    if plan.tier_rank < holding.plan.tier_rank:
        return Refusal.LOWER_TIER
    if not 1 <= seats <= MAX_SEATS:
        return Refusal.BAD_SEATS
    if plan.name == holding.plan.name and seats == holding.seats:
        return Refusal.NO_CHANGE
    return None


def first_charge(plan: PlanPrice, seats: int, period: str, today: date) -> tuple[Decimal, date]:
    """A new (or reactivated) subscription: a full period, paid now, from today."""
    return period_price(plan, seats, period), next_period_end(today, period)
