"""Properties of the proration rules (portal/billing_centre/proration.py)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from portal.billing_centre.proration import (
    Holding,
    PlanPrice,
    Refusal,
    exact_change,
    next_period_end,
    period_price,
    preview_change,
    unused_fraction,
)

PRO = PlanPrice("GoToMeeting Professional", "GoToMeeting", 1, Decimal("144.00"))
BUSINESS = PlanPrice("GoToMeeting Business", "GoToMeeting", 2, Decimal("192.00"))
ENTERPRISE = PlanPrice("GoToMeeting Enterprise", "GoToMeeting", 3, Decimal("336.00"))
WEBINAR = PlanPrice("GoToWebinar Standard", "GoToWebinar", 1, Decimal("708.00"))
MEETING_PLANS = (PRO, BUSINESS, ENTERPRISE)

periods = st.sampled_from(["monthly", "annual"])
seats = st.integers(min_value=1, max_value=5000)
starts = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))


@st.composite
def holdings(draw: st.DrawFn) -> tuple[Holding, date]:
    period = draw(periods)
    start = draw(starts)
    end = next_period_end(start, period)
    today = start + timedelta(days=draw(st.integers(min_value=0, max_value=(end - start).days - 1)))
    holding = Holding(draw(st.sampled_from(MEETING_PLANS)), draw(seats), period, start, end)
    return holding, today


@given(holdings(), st.sampled_from(MEETING_PLANS), seats)
def test_amounts_are_never_negative_and_never_both(
    case: tuple[Holding, date], plan: PlanPrice, new_seats: int
) -> None:
    holding, today = case
    preview = preview_change(holding, plan, new_seats, today)
    assert preview.amount_due >= 0 and preview.amount_credited >= 0
    assert preview.amount_due == 0 or preview.amount_credited == 0
    assert preview.amount_due == preview.amount_due.quantize(Decimal("0.01"))


@given(holdings(), st.sampled_from(MEETING_PLANS), seats)
def test_never_charges_for_unused_time(
    case: tuple[Holding, date], plan: PlanPrice, new_seats: int
) -> None:
    holding, today = case
    preview = preview_change(holding, plan, new_seats, today)
    if preview.refused:
        return
    old_unused = Fraction(period_price(holding.plan, holding.seats, holding.period)) * (
        unused_fraction(holding, today)
    )
    new_full = Fraction(period_price(plan, new_seats, holding.period))
    half_cent = Fraction(1, 200)
    if preview.amount_due > 0:
        # Paying for a new full period, less every unused cent of the old one; the date moves.
        assert abs(Fraction(preview.amount_due) - (new_full - old_unused)) <= half_cent
        assert preview.new_billing_date == next_period_end(today, holding.period)
    else:
        # A credit never exceeds what is left of what was paid; the billing date stays.
        assert Fraction(preview.amount_credited) <= old_unused + half_cent
        assert preview.new_billing_date == holding.next_billing_date


@given(holdings(), seats, seats)
def test_seat_reductions_add_up(case: tuple[Holding, date], first: int, second: int) -> None:
    """Two successive reductions credit exactly what one reduction to the end would."""
    holding, today = case
    high, low = max(first, second), min(first, second)
    start = Holding(
        holding.plan, high + 2, holding.period, holding.period_start, holding.next_billing_date
    )
    step_one, _ = exact_change(start, holding.plan, high + 1, today)
    middle = Holding(
        holding.plan, high + 1, holding.period, holding.period_start, holding.next_billing_date
    )
    step_two, _ = exact_change(middle, holding.plan, low, today)
    direct, _ = exact_change(start, holding.plan, low, today)
    assert abs(step_one + step_two - direct) < Decimal("1e-18")  # exact, before rounding


@given(periods, starts, st.sampled_from(MEETING_PLANS), seats, seats)
def test_a_change_and_its_reverse_cancel_out_to_the_cent(
    period: str, start: date, plan: PlanPrice, old_seats: int, new_seats: int
) -> None:
    """On a billing date, adding seats then removing them again costs nothing."""
    end = next_period_end(start, period)
    holding = Holding(plan, old_seats, period, start, end)
    if old_seats == new_seats:
        return
    there = preview_change(holding, plan, new_seats, start)
    moved = Holding(plan, new_seats, period, start, there.new_billing_date)
    back = preview_change(moved, plan, old_seats, start)
    assert there.amount_due - there.amount_credited + back.amount_due - back.amount_credited == 0


def test_rules_of_the_seed_refuse_what_support_must_do() -> None:
    holding = Holding(BUSINESS, 10, "annual", date(2026, 1, 1), date(2027, 1, 1))
    today = date(2026, 7, 1)
    assert preview_change(holding, PRO, 10, today).error == Refusal.LOWER_TIER
    assert preview_change(holding, WEBINAR, 10, today).error == Refusal.DIFFERENT_PRODUCT
    assert preview_change(holding, BUSINESS, 0, today).error == Refusal.BAD_SEATS
    assert preview_change(holding, BUSINESS, 10, today).error == Refusal.NO_CHANGE


def test_worked_examples() -> None:
    holding = Holding(BUSINESS, 10, "annual", date(2026, 1, 1), date(2027, 1, 1))
    # Half-way (181 of 365 days used): removing 4 seats credits 4 x 192 x 184/365.
    reduced = preview_change(holding, BUSINESS, 6, date(2026, 7, 1))
    assert reduced.amount_credited == Decimal("387.16")
    assert reduced.new_billing_date == date(2027, 1, 1)
    # Moving up to Enterprise: a new year at 3360.00 less the unused 1920 x 184/365.
    upgraded = preview_change(holding, ENTERPRISE, 10, date(2026, 7, 1))
    assert upgraded.amount_due == Decimal("2392.11")
    assert upgraded.new_billing_date == date(2027, 7, 1)
