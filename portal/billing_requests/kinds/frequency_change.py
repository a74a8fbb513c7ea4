"""Billing-frequency change: Corporate accounts are billed annually unless Corporate account
services agree; an approved change is scheduled and takes effect at the next renewal."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm
from wtforms import SelectField, TextAreaField
from wtforms.validators import Optional

from portal import clock
from portal.billing_requests.kinds.base import (
    APPLIED,
    FieldChange,
    Recorded,
    RequestForm,
    RequestKind,
    shortened,
)
from portal.billing_requests.kinds.fields import CHOOSE, FieldErrors
from portal.config import Settings
from portal.i18n import _, _l, format_day, format_iso_day
from portal.models import Account, AuditEntry, BillingRequest, Subscription, User
from portal.models.billing import LIVING_STATUSES
from workflows.lifecycle import Event, RequestType, Status
from workflows.messages import ApprovalPlan, ChangeInput

FREQUENCIES = ("annual", "semiannual", "quarterly", "monthly")
FREQUENCY_LABELS = {
    "annual": _l("Annual"),
    "semiannual": _l("Semiannual"),
    "quarterly": _l("Quarterly"),
    "monthly": _l("Monthly"),
}


class FrequencyChangeForm(RequestForm):
    frequency = SelectField(
        _l("New billing frequency"),
        choices=[("", CHOOSE), *FREQUENCY_LABELS.items()],
        validators=[Optional()],
    )
    reason = TextAreaField(_l("Reason for the change"))
    current: str = ""

    @classmethod
    def build(cls, session: orm.Session, user: User) -> FrequencyChangeForm:
        form = cls()
        account = session.get(Account, user.account_id) if user.account_id else None
        form.current = account.billing_frequency if account else ""
        return form

    def payload(self) -> dict[str, Any]:
        return {"frequency": self.frequency.data or "", "reason": self.reason.data or ""}


class FrequencyChange(RequestKind):
    name = RequestType.FREQUENCY_CHANGE
    label = _l("Billing-frequency change")
    new_title = _l("Change the billing frequency")
    form = FrequencyChangeForm

    def validate(
        self, session: orm.Session, account_id: int, payload: dict[str, Any]
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

    def mail_facts(self, session: orm.Session, request: BillingRequest, event: Event) -> list[str]:
        if event is not Event.SCHEDULED:
            return []
        frequency = FREQUENCY_LABELS.get(str((request.payload or {}).get("frequency")))
        effective = (request.result or {}).get("effective_on")
        facts = [_("New billing frequency: %(frequency)s", frequency=str(frequency))]
        if effective:
            when = format_day(date.fromisoformat(str(effective)[:10]))
            facts.append(_("Takes effect on: %(date)s", date=when))
        return facts if frequency else facts[1:]

    def headline(self, payload: Mapping[str, Any]) -> str:
        return shortened(_frequency_label(payload.get("frequency")))

    def describe(self, session: orm.Session, recorded: Recorded) -> list[FieldChange]:
        rows = [
            FieldChange(
                str(_l("Billing frequency")),
                _frequency_label(recorded.before.get("frequency")),
                _frequency_label(recorded.payload["frequency"]),
                _frequency_label(recorded.applied["frequency"])
                if "frequency" in recorded.applied
                else None,
            )
        ]
        if recorded.applied.get("effective_on"):
            when = format_iso_day(recorded.applied["effective_on"])
            rows.append(FieldChange(str(_l("Takes effect on")), "", "", when))
        return rows

    def snapshot(
        self, session: orm.Session, account_id: int, payload: dict[str, Any]
    ) -> dict[str, Any]:
        account = session.get(Account, account_id)
        return {"frequency": account.billing_frequency if account else None}

    def prepare(
        self, session: orm.Session, change: ChangeInput, settings: Settings
    ) -> ApprovalPlan:
        """The change waits for the next renewal (today when none is set or it is past)."""
        account = session.get(Account, change.account_id)
        assert account is not None
        effective = max(account.next_renewal or clock.today(), clock.today())
        due = datetime(effective.year, effective.month, effective.day, tzinfo=UTC)
        return ApprovalPlan(
            status=Status.SCHEDULED,
            result={
                "effective_on": effective.isoformat(),
                "frequency": change.payload["frequency"],
            },
            due_at=due.isoformat(),
        )

    def apply(
        self, session: orm.Session, change: ChangeInput, settings: Settings
    ) -> dict[str, Any]:
        return apply_frequency_change(session, change)


def apply_frequency_change(session: orm.Session, change: ChangeInput) -> dict[str, Any]:
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
    # The renewal of today (if it has not run yet) and every later one bill the new period.
    for subscription in session.scalars(
        sa.select(Subscription).where(
            Subscription.account_id == account.id, Subscription.status.in_(LIVING_STATUSES)
        )
    ):
        if subscription.period != frequency:
            subscription.next_period = frequency
    effective_on = clock.today().isoformat()
    return {
        "frequency": frequency,
        "effective_on": effective_on,
        APPLIED: {"frequency": frequency, "effective_on": effective_on},
    }


def _frequency_label(frequency: Any) -> str:
    label = FREQUENCY_LABELS.get(str(frequency))
    return str(label) if label is not None else ""


def scheduled_frequency(session: orm.Session, account_id: int, on: date) -> str | None:
    """The billing frequency a scheduled (approved) change makes the account's from `on`."""
    scheduled = session.scalars(
        sa.select(BillingRequest).where(
            BillingRequest.account_id == account_id,
            BillingRequest.type == RequestType.FREQUENCY_CHANGE,
            BillingRequest.status == Status.SCHEDULED,
        )
    )
    for request in scheduled:
        effective = (request.result or {}).get("effective_on")
        if effective and date.fromisoformat(str(effective)[:10]) <= on:
            return str(request.payload["frequency"])
    return None
