"""A Corporate account's billing-centre change: the same rules as self-service, applied by a
technician's approval and billed on an invoice instead of the card."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from portal.billing_centre import operations as billing
from portal.billing_requests.kinds.base import FieldChange, RequestKind
from portal.billing_requests.kinds.fields import FieldErrors
from portal.config import Settings
from portal.i18n import _l
from portal.models import Account, AuditEntry, Subscription
from workflows.lifecycle import RequestType
from workflows.messages import ChangeInput


class SubscriptionChange(RequestKind):
    """Started from the billing centre's pages and API, never from a form of its own."""

    name = RequestType.SUBSCRIPTION_CHANGE
    label = _l("Subscription change")

    def validate(
        self, session: orm.Session, account_id: int, payload: dict[str, Any]
    ) -> dict[str, Any]:
        return validate_subscription_change(session, account_id, payload)

    def describe(self, session: orm.Session, payload: dict[str, Any]) -> list[FieldChange]:
        return describe_subscription_change(session, payload)

    def apply(
        self, session: orm.Session, change: ChangeInput, settings: Settings
    ) -> dict[str, Any]:
        return apply_subscription_change(session, change)


def validate_subscription_change(
    session: orm.Session, account_id: int, payload: dict[str, Any]
) -> dict[str, Any]:
    errors = FieldErrors()
    reason = errors.text(payload, "reason", 1000, required=False)
    errors.raise_if_any()
    subscription = billing.subscription_of_account(
        session, account_id, payload.get("subscription_id")
    )
    wanted: dict[str, Any] = {key: payload[key] for key in ("seats", "tier") if key in payload}
    preview = billing.preview(session, subscription, wanted)
    if preview.error:
        errors.add("change", billing.refusal_text(preview.error))
        errors.raise_if_any()
    return {"subscription_id": subscription.id, **wanted, "reason": reason}


def describe_subscription_change(
    session: orm.Session, payload: dict[str, Any]
) -> list[FieldChange]:
    subscription = session.get(Subscription, payload["subscription_id"])
    if subscription is None:
        return []
    target = billing.target_of(session, subscription, payload)
    result = billing.preview(session, subscription, payload)
    rows = [
        FieldChange(str(_l("Plan")), subscription.plan.name, target.plan.name),
        FieldChange(str(_l("Seats")), str(subscription.seats), str(target.seats)),
    ]
    if not result.error:
        rows.append(FieldChange(str(_l("Amount due")), "", str(result.amount_due)))
        rows.append(FieldChange(str(_l("Amount credited")), "", str(result.amount_credited)))
        rows.append(
            FieldChange(
                str(_l("Billing date")),
                subscription.next_billing_date.isoformat(),
                result.new_billing_date.isoformat(),
            )
        )
    return rows


def apply_subscription_change(session: orm.Session, change: ChangeInput) -> dict[str, Any]:
    done = session.scalar(sa.select(AuditEntry).where(AuditEntry.request_id == change.request_id))
    if done is not None:
        return dict(done.details.get("result", {}))
    account = session.get(Account, change.account_id)
    assert account is not None
    subscription = billing.subscription_of_account(
        session, account.id, change.payload["subscription_id"]
    )
    result = billing.apply_approved_change(
        session, account, subscription, change.payload, change.approved_by.user_id
    )
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
