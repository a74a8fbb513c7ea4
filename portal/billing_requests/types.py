"""What each request type contributes: payload rules, how it is applied, how it is shown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import orm

from portal.purchase_orders import operations as purchase_orders
from workflows.lifecycle import RequestType

Validator = Callable[[orm.Session, int, dict[str, Any]], dict[str, Any]]
Applier = Callable[[orm.Session, int, int | None, dict[str, Any]], dict[str, Any]]
Describer = Callable[[orm.Session, dict[str, Any]], list[purchase_orders.FieldChange]]


@dataclass(frozen=True)
class RequestKind:
    label: Any
    validate: Validator
    apply: Applier
    describe: Describer


KINDS: dict[str, RequestKind] = {
    RequestType.PO_EDIT: RequestKind(
        label=_l("Purchase-order edit"),
        validate=purchase_orders.validate_po_edit,
        apply=purchase_orders.apply_po_edit,
        describe=purchase_orders.describe_po_edit,
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
}


def kind_of(request_type: str) -> RequestKind | None:
    return KINDS.get(request_type)
