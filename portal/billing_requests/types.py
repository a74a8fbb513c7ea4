"""What each request type contributes: payload rules, approval, how it is applied and shown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import orm

from portal.billing_requests.kinds import (
    account_inquiry,
    contact_change,
    form_request,
    frequency_change,
    quote,
    subscription_change,
)
from portal.config import Settings
from portal.i18n import _l
from portal.purchase_orders import operations as purchase_orders
from portal.purchase_orders.operations import FieldChange
from workflows.lifecycle import RequestType, Status
from workflows.messages import ApprovalPlan, ChangeInput

if TYPE_CHECKING:
    from portal.models import BillingRequest

Validator = Callable[[orm.Session, int, dict[str, Any]], dict[str, Any]]
Preparer = Callable[[orm.Session, ChangeInput, Settings], ApprovalPlan]
Applier = Callable[[orm.Session, ChangeInput, Settings], dict[str, Any]]
Describer = Callable[[orm.Session, dict[str, Any]], list[FieldChange]]
ApprovalCheck = Callable[[orm.Session, "BillingRequest", str, dict[str, Any] | None], None]


def approve_now(_session: orm.Session, _change: ChangeInput, _settings: Settings) -> ApprovalPlan:
    return ApprovalPlan(status=Status.APPROVED, result={})


def no_approval_check(
    _session: orm.Session, _request: BillingRequest, _comment: str, _pricing: dict[str, Any] | None
) -> None:
    return None


@dataclass(frozen=True)
class RequestKind:
    label: Any
    validate: Validator
    apply: Applier
    describe: Describer
    prepare: Preparer = approve_now
    check_approval: ApprovalCheck = no_approval_check
    # A technician may start it on an account's behalf (then a supervisor decides).
    staff_may_start: bool = False

    @property
    def prepares_approval(self) -> bool:
        return self.prepare is not approve_now


KINDS: dict[str, RequestKind] = {
    RequestType.PO_EDIT: RequestKind(
        label=_l("Purchase-order edit"),
        validate=purchase_orders.validate_po_edit,
        apply=purchase_orders.apply_po_edit,
        describe=purchase_orders.describe_po_edit,
    ),
    RequestType.QUOTE: RequestKind(
        label=_l("Quote"),
        validate=quote.validate_quote,
        apply=quote.accept_quote,
        describe=quote.describe_quote,
        prepare=quote.price_quote,
        check_approval=quote.check_approval,
    ),
    RequestType.CONTACT_CHANGE: RequestKind(
        label=_l("Billing-contact change"),
        validate=contact_change.validate_contact_change,
        apply=contact_change.apply_contact_change,
        describe=contact_change.describe_contact_change,
        staff_may_start=True,
    ),
    RequestType.FREQUENCY_CHANGE: RequestKind(
        label=_l("Billing-frequency change"),
        validate=frequency_change.validate_frequency_change,
        apply=frequency_change.apply_frequency_change,
        describe=frequency_change.describe_frequency_change,
        prepare=frequency_change.schedule_frequency_change,
    ),
    RequestType.FORM_REQUEST: RequestKind(
        label=_l("Form request"),
        validate=form_request.validate_form_request,
        apply=form_request.produce_form,
        describe=form_request.describe_form_request,
    ),
    RequestType.ACCOUNT_INQUIRY: RequestKind(
        label=_l("Account inquiry"),
        validate=account_inquiry.validate_inquiry,
        apply=account_inquiry.answer_inquiry,
        describe=account_inquiry.describe_inquiry,
        check_approval=account_inquiry.check_approval,
    ),
    RequestType.SUBSCRIPTION_CHANGE: RequestKind(
        label=_l("Subscription change"),
        validate=subscription_change.validate_subscription_change,
        apply=subscription_change.apply_subscription_change,
        describe=subscription_change.describe_subscription_change,
    ),
}

STATUS_LABELS = {
    "submitted": _l("Submitted"),
    "in_review": _l("In review"),
    "waiting_for_customer": _l("Waiting for you"),
    "approved": _l("Approved"),
    "completed": _l("Completed"),
    "rejected": _l("Rejected"),
    "cancelled": _l("Cancelled"),
    "expired": _l("Expired"),
    "failed": _l("Failed"),
    "quoted": _l("Quoted"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "scheduled": _l("Scheduled"),
}

EVENT_LABELS = {
    "submitted": _l("Submitted"),
    "claimed": _l("Claimed by a technician"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "info_requested": _l("Question for the customer"),
    "info_provided": _l("Customer answered"),
    "cancelled": _l("Cancelled"),
    "reassigned": _l("Reassigned"),
    "completed": _l("Change applied"),
    "failed": _l("Could not be applied"),
    "expired": _l("Closed without an answer"),
    "sla_reminder": _l("Review reminder sent"),
    "escalated": _l("Escalated to supervisors"),
    "quoted": _l("Quote priced"),
    "quote_expiring": _l("Quote expires soon"),
    "quote_extended": _l("Quote validity extended"),
    "quote_accepted": _l("Quote accepted"),
    "quote_declined": _l("Quote declined"),
    "scheduled": _l("Scheduled for the next renewal"),
    "invitation_expired": _l("Set-password link expired"),
    "retried": _l("Retried by a technician"),
}


def kind_of(request_type: str) -> RequestKind | None:
    return KINDS.get(request_type)
