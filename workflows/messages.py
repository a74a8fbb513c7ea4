"""The dataclasses that cross the workflow boundary: one input per call, `<Verb>Input` names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workflows.lifecycle import Actor

TASK_QUEUE = "billing-requests"

# Activities are called by name so that workflow code never imports the database layer.
PROJECT_REQUEST = "project_request"
PREPARE_APPROVAL = "prepare_approval"
APPLY_CHANGE = "apply_change"
EXTEND_QUOTE = "extend_quote"
EXPIRE_INVITATION = "expire_invitation"  # what LAPSE_CHANGE replaced; running workflows call it
LAPSE_CHANGE = "lapse_change"
QUEUE_NOTIFICATION = "queue_notification"

# A completed change may hand out something that lapses when unused (a new billing contact's
# set-password link): its apply result then holds {LAPSE: {"after_seconds": N}}, and the
# workflow calls LAPSE_CHANGE that long after completion.
LAPSE = "lapse"


def workflow_id_for(request_id: int) -> str:
    return f"request-{request_id}"


def end_of_day(iso_date: str) -> str:
    """A quote is valid through its last day, business time (UTC)."""
    return f"{iso_date[:10]}T23:59:59+00:00"


@dataclass(frozen=True)
class RequestTimers:
    review_sla_seconds: int
    escalation_sla_seconds: int
    info_timeout_seconds: int
    quote_reminder_seconds: int = 7 * 86400
    invitation_seconds: int = 72 * 3600
    apply_max_attempts: int = 5


@dataclass(frozen=True)
class StartRequestInput:
    request_id: int
    request_type: str
    account_id: int
    requester: Actor
    payload: dict[str, Any]
    submitted_at: str
    timers: RequestTimers
    started_by_staff: bool = False
    # False when approving leads straight to applying (no quote to price, no date to plan).
    prepares_approval: bool = True
    # Business time minus `workflow.now()` (portal.clock); zero in production.
    clock_shift_seconds: int = 0


@dataclass(frozen=True)
class TimelineEvent:
    at: str
    actor_id: int | None
    actor_name: str
    event: str
    note: str = ""


@dataclass(frozen=True)
class RequestSnapshot:
    request_id: int
    version: int
    status: str
    assignee_id: int | None
    escalated: bool
    timeline: list[TimelineEvent]
    result: dict[str, Any] | None = None
    # A mail to queue in the same transaction as the projection.
    notice: QueueNotificationInput | None = None


@dataclass(frozen=True)
class ClaimInput:
    actor: Actor


@dataclass(frozen=True)
class ApproveInput:
    actor: Actor
    comment: str = ""
    # A quote's price override: {lines: [{product, unit_price}], discount_pct, valid_days}.
    pricing: dict[str, Any] | None = None
    # An answer's attachment, stored as a document before the approval.
    attachment_id: int | None = None


@dataclass(frozen=True)
class RejectInput:
    actor: Actor
    reason: str


@dataclass(frozen=True)
class RequestInfoInput:
    actor: Actor
    question: str


@dataclass(frozen=True)
class ProvideInfoInput:
    actor: Actor
    message: str


@dataclass(frozen=True)
class CancelInput:
    actor: Actor
    reason: str = ""


@dataclass(frozen=True)
class ReassignInput:
    actor: Actor
    assignee: Actor


@dataclass(frozen=True)
class RetryInput:
    actor: Actor


@dataclass(frozen=True)
class AcceptQuoteInput:
    actor: Actor
    po_number: str


@dataclass(frozen=True)
class DeclineQuoteInput:
    actor: Actor
    reason: str = ""


@dataclass(frozen=True)
class ExtendQuoteInput:
    actor: Actor
    valid_until: str  # ISO date


@dataclass(frozen=True)
class ChangeInput:
    """What an activity needs to prepare or apply an approved request."""

    request_id: int
    request_type: str
    account_id: int
    payload: dict[str, Any]
    approved_by: Actor
    comment: str = ""
    pricing: dict[str, Any] | None = None
    attachment_id: int | None = None
    po_number: str = ""


@dataclass(frozen=True)
class ApprovalPlan:
    """What approval leads to: `approved` (apply now), `quoted` or `scheduled` until `due_at`."""

    status: str
    result: dict[str, Any]
    due_at: str | None = None


@dataclass(frozen=True)
class ExtendQuoteActivityInput:
    request_id: int
    valid_until: str


@dataclass(frozen=True)
class ExpireInvitationInput:
    invitation_id: int


@dataclass(frozen=True)
class LapseInput:
    request_id: int
    request_type: str
    result: dict[str, Any]


@dataclass(frozen=True)
class QueueNotificationInput:
    """The mail of an event; whom it tells is the event's own decision (vocabulary in
    portal/billing_requests/events.py)."""

    request_id: int
    event: str
    # Sent by workflows started before events decided it; read by nothing now.
    audience: str = ""
    note: str = ""
    context: dict[str, Any] = field(default_factory=dict)
