"""Billing-frequency change: Corporate accounts are billed annually unless Corporate account
services agree; an approved change is scheduled and takes effect at the next renewal."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import orm

from portal import clock
from portal.billing_requests.kinds.fields import FieldErrors
from portal.config import Settings
from portal.i18n import _l
from portal.models import Account, AuditEntry
from portal.purchase_orders.operations import FieldChange
from workflows.lifecycle import Status
from workflows.messages import ApprovalPlan, ChangeInput

FREQUENCIES = ("annual", "semiannual", "quarterly", "monthly")
FREQUENCY_LABELS = {
    "annual": _l("Annual"),
    "semiannual": _l("Semiannual"),
    "quarterly": _l("Quarterly"),
    "monthly": _l("Monthly"),
}


def validate_frequency_change(
    session: orm.Session, account_id: int, payload: dict[str, Any]
) -> dict[str, Any]:
    errors = FieldErrors()
    frequency = errors.choice(payload, "frequency", FREQUENCIES)
    reason = errors.text(payload, "reason", 1000)
    account = session.get(Account, account_id)
    assert account is not None
    if frequency and frequency == account.billing_frequency:
        errors.add("frequency", _l("Your account is billed this way already."))
    errors.raise_if_any()
    return {"frequency": frequency, "reason": reason}


def describe_frequency_change(session: orm.Session, payload: dict[str, Any]) -> list[FieldChange]:
    return [
        FieldChange(str(_l("Billing frequency")), "", str(FREQUENCY_LABELS[payload["frequency"]]))
    ]


def schedule_frequency_change(
    session: orm.Session, change: ChangeInput, _settings: Settings
) -> ApprovalPlan:
    """The change waits for the next renewal (today when none is set or it is past)."""
    account = session.get(Account, change.account_id)
    assert account is not None
    effective = max(account.next_renewal or clock.today(), clock.today())
    due = datetime(effective.year, effective.month, effective.day, tzinfo=UTC)
    return ApprovalPlan(
        status=Status.SCHEDULED,
        result={"effective_on": effective.isoformat(), "frequency": change.payload["frequency"]},
        due_at=due.isoformat(),
    )


def apply_frequency_change(
    session: orm.Session, change: ChangeInput, _settings: Settings
) -> dict[str, Any]:
    account = session.get(Account, change.account_id)
    assert account is not None
    frequency = change.payload["frequency"]
    if account.billing_frequency != frequency:
        session.add(
            AuditEntry(
                account_id=account.id,
                actor_id=change.approved_by.user_id,
                request_id=change.request_id,
                action="billing_frequency.changed",
                details={"from": account.billing_frequency, "to": frequency},
            )
        )
        account.billing_frequency = frequency
    return {"frequency": frequency, "effective_on": clock.today().isoformat()}
