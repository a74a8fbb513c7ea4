"""A Corporate account's billing-centre change: the same rules as self-service, applied by a
technician's approval and billed on an invoice instead of the card."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm
from temporalio.exceptions import ApplicationError

from portal.billing_centre import operations as billing
from portal.billing_centre import subscriptions as lifecycle
from portal.billing_centre.subscriptions import subscription_status_label
from portal.billing_requests.kinds.base import APPLIED, FieldChange, Recorded, RequestKind
from portal.billing_requests.kinds.fields import FieldErrors, money_text
from portal.config import Settings
from portal.errors import PortalError
from portal.i18n import _l, format_iso_day
from portal.models import Account, AuditEntry, Invoice, Subscription
from workflows.lifecycle import RequestType
from workflows.messages import ChangeInput
from workflows.request_process import REFUSED


class SubscriptionChange(RequestKind):
    """Started from the billing centre's pages and API, never from a form of its own."""

    name = RequestType.SUBSCRIPTION_CHANGE
    label = _l("Subscription change")

    def validate(
        self, session: orm.Session, account_id: int, payload: dict[str, Any]
    ) -> dict[str, Any]:
        return validate_subscription_change(session, account_id, payload)

    def describe(self, session: orm.Session, recorded: Recorded) -> list[FieldChange]:
        return describe_subscription_change(recorded.payload, recorded.before, recorded.applied)

    def snapshot(
        self, session: orm.Session, account_id: int, payload: dict[str, Any]
    ) -> dict[str, Any]:
        return snapshot_subscription(session, account_id, payload)

    def apply(
        self, session: orm.Session, change: ChangeInput, settings: Settings
    ) -> dict[str, Any]:
        return apply_subscription_change(session, change)

    def subscriptions_changed(self, result: dict[str, Any]) -> list[int]:
        return [int(result["subscription_id"])] if result.get("subscription_id") else []


# What a Corporate contact asks of a subscription; payloads from before `action` change seats
# or tier.
ACTIONS = ("change", "cancel", "undo_cancel", "add", "reactivate")
ACTION_LABELS = {
    "change": _l("Change seats or tier"),
    "cancel": _l("Cancel at the end of the period"),
    "undo_cancel": _l("Keep it (undo the cancellation)"),
    "add": _l("Add a subscription"),
    "reactivate": _l("Reactivate"),
}


def action_of(payload: Mapping[str, Any]) -> str:
    return str(payload.get("action") or "change")


def validate_subscription_change(
    session: orm.Session, account_id: int, payload: dict[str, Any]
) -> dict[str, Any]:
    """The same rules as the billing centre's, checked when the contact asks (and again when
    the change is applied)."""
    errors = FieldErrors()
    reason = errors.text(payload, "reason", 1000, required=False)
    action = errors.choice(payload, "action", ACTIONS) if "action" in payload else "change"
    errors.raise_if_any()
    account = session.get(Account, account_id)
    assert account is not None
    if action == "add":
        plan, seats, period = lifecycle.addition_of(session, account, payload)
        return {
            "action": action,
            "plan": plan.name,
            "seats": seats,
            "period": period,
            "reason": reason,
        }
    subscription = billing.subscription_of_account(
        session, account_id, payload.get("subscription_id")
    )
    if action == "cancel":
        lifecycle.check_cancel(subscription)
        return {"action": action, "subscription_id": subscription.id, "reason": reason}
    if action == "reactivate":
        lifecycle.check_reactivate(session, account, subscription)
        return {"action": action, "subscription_id": subscription.id, "reason": reason}
    if action == "undo_cancel":
        lifecycle.check_undo_cancel(session, account, subscription)
        return {"action": action, "subscription_id": subscription.id, "reason": reason}
    wanted: dict[str, Any] = {key: payload[key] for key in ("seats", "tier") if key in payload}
    preview = billing.preview(session, subscription, wanted)
    if preview.error:
        errors.add("change", billing.refusal_text(preview.error))
        errors.raise_if_any()
    return {"action": action, "subscription_id": subscription.id, **wanted, "reason": reason}


def snapshot_subscription(
    session: orm.Session, account_id: int, payload: dict[str, Any]
) -> dict[str, Any]:
    """The subscription as the contact saw it when asking, and what the change was to cost."""
    action = action_of(payload)
    subscription = session.get(Subscription, payload.get("subscription_id") or 0)
    if action == "add" or subscription is None:
        return {}
    before: dict[str, Any] = {
        "plan": subscription.plan.name,
        "seats": subscription.seats,
        "status": subscription.status,
        "billing_date": subscription.next_billing_date.isoformat(),
        "currency": subscription.account.currency,
    }
    if action == "change":
        target = billing.target_of(session, subscription, payload)
        preview = billing.preview(session, subscription, payload)
        before.update(target_plan=target.plan.name, target_seats=target.seats)
        if not preview.error:
            before.update(
                amount_due=str(preview.amount_due),
                amount_credited=str(preview.amount_credited),
                new_billing_date=preview.new_billing_date.isoformat(),
            )
    return before


def describe_subscription_change(
    payload: Mapping[str, Any], before: Mapping[str, Any], applied: Mapping[str, Any]
) -> list[FieldChange]:
    action = action_of(payload)
    asked = FieldChange(str(_l("Change")), "", str(ACTION_LABELS.get(action, action)))
    if action == "add":
        return [
            asked,
            FieldChange(str(_l("Plan")), "", str(payload.get("plan", "")), _text(applied, "plan")),
            FieldChange(
                str(_l("Seats")), "", str(payload.get("seats", "")), _text(applied, "seats")
            ),
            FieldChange(str(_l("Billing period")), "", str(payload.get("period", ""))),
            _status_row(before, applied),
        ]
    if not before:
        return [asked]
    if action in ("cancel", "undo_cancel", "reactivate"):
        return [
            asked,
            FieldChange(str(_l("Plan")), str(before["plan"]), str(before["plan"])),
            _status_row(before, applied),
            FieldChange(
                str(_l("Billing date")),
                format_iso_day(before["billing_date"]),
                "",
                format_iso_day(applied.get("billing_date")),
            ),
        ]
    currency = str(before.get("currency", "USD"))
    rows = [
        FieldChange(
            str(_l("Plan")),
            str(before["plan"]),
            str(before.get("target_plan", before["plan"])),
            _text(applied, "plan"),
        ),
        FieldChange(
            str(_l("Seats")),
            str(before["seats"]),
            str(before.get("target_seats", before["seats"])),
            _text(applied, "seats"),
        ),
    ]
    if "amount_due" in before:
        rows += [
            FieldChange(
                str(_l("Amount due")),
                "",
                money_text(before["amount_due"], currency),
                _money(applied, "amount_due", currency),
            ),
            FieldChange(
                str(_l("Amount credited")),
                "",
                money_text(before["amount_credited"], currency),
                _money(applied, "amount_credited", currency),
            ),
            FieldChange(
                str(_l("Billing date")),
                format_iso_day(before["billing_date"]),
                format_iso_day(before["new_billing_date"]),
                format_iso_day(applied.get("billing_date")),
            ),
        ]
    return rows


def _status_row(before: Mapping[str, Any], applied: Mapping[str, Any]) -> FieldChange:
    def label(status: Any) -> str:
        return subscription_status_label(str(status)) if status else ""

    done = label(applied.get("status")) if applied.get("status") else None
    return FieldChange(str(_l("Status")), label(before.get("status")), "", done)


def _text(applied: Mapping[str, Any], key: str) -> str | None:
    return str(applied[key]) if key in applied else None


def _money(applied: Mapping[str, Any], key: str, currency: str) -> str | None:
    return money_text(applied[key], currency) if key in applied else None


def _applied_values(subscription: Subscription, **amounts: Any) -> dict[str, Any]:
    return {
        "plan": subscription.plan.name,
        "seats": subscription.seats,
        "status": subscription.status,
        "billing_date": subscription.next_billing_date.isoformat(),
        **amounts,
    }


def apply_subscription_change(session: orm.Session, change: ChangeInput) -> dict[str, Any]:
    """Applied once (a retried activity answers what it did); a change the rules no longer
    allow (cancelled meanwhile, a second subscription of the product) fails the request with
    the reason, for the technician to see."""
    done = session.scalar(sa.select(AuditEntry).where(AuditEntry.request_id == change.request_id))
    if done is not None:
        return dict(done.details.get("result", {}))
    account = session.get(Account, change.account_id)
    assert account is not None
    try:
        result = _apply(session, account, change)
    except PortalError as error:
        raise ApplicationError(error.message, type=REFUSED, non_retryable=True) from None
    session.add(
        AuditEntry(
            account_id=account.id,
            actor_id=change.approved_by.user_id,
            request_id=change.request_id,
            action="subscription_change.applied",
            details={"result": result},
        )
    )
    return result


def _apply(session: orm.Session, account: Account, change: ChangeInput) -> dict[str, Any]:
    payload, actor = change.payload, change.approved_by.user_id
    action = action_of(payload)
    if action == "add":
        added = lifecycle.add_for(
            session,
            account,
            actor,
            payload,
            lambda plan: lifecycle.invoice_bill(session, account, plan.product),
        )
        return _applied(session, action, added)
    subscription = billing.subscription_of_account(session, account.id, payload["subscription_id"])
    if action == "cancel":
        return _applied(
            session, action, lifecycle.cancel_for(session, account, actor, subscription)
        )
    if action == "undo_cancel":
        kept = lifecycle.undo_cancel_for(session, account, actor, subscription)
        return _applied(session, action, kept)
    if action == "reactivate":
        bill = lifecycle.invoice_bill(session, account, subscription.plan.product)
        reactivated = lifecycle.reactivate_for(session, account, actor, subscription, bill)
        return _applied(session, action, reactivated)
    result = billing.apply_approved_change(session, account, subscription, payload, actor)
    amounts = {key: result[key] for key in ("amount_due", "amount_credited")}
    return {**result, APPLIED: _applied_values(subscription, **amounts)}


def _applied(session: orm.Session, action: str, subscription: Subscription) -> dict[str, Any]:
    invoice = (
        session.scalar(
            sa.select(Invoice.id)
            .where(Invoice.subscription_id == subscription.id, Invoice.kind == "charge")
            .order_by(Invoice.id.desc())
            .limit(1)
        )
        if action in ("add", "reactivate")
        else None
    )
    return {
        "action": action,
        "subscription_id": subscription.id,
        "status": subscription.status,
        "new_billing_date": subscription.next_billing_date.isoformat(),
        "invoice_id": invoice,
        APPLIED: _applied_values(subscription),
    }
