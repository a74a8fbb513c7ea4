"""The dataclasses that cross the workflow boundary: one input per call, `<Verb>Input` names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workflows.lifecycle import Actor

TASK_QUEUE = "billing-requests"

# Activities are called by name so that workflow code never imports the database layer.
PROJECT_REQUEST = "project_request"
APPLY_CHANGE = "apply_change"
QUEUE_NOTIFICATION = "queue_notification"


def workflow_id_for(request_id: int) -> str:
    return f"request-{request_id}"


@dataclass(frozen=True)
class RequestTimers:
    review_sla_seconds: int
    escalation_sla_seconds: int
    info_timeout_seconds: int
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


@dataclass(frozen=True)
class ClaimInput:
    actor: Actor


@dataclass(frozen=True)
class ApproveInput:
    actor: Actor
    comment: str = ""


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
class ApplyChangeInput:
    request_id: int
    request_type: str
    account_id: int
    payload: dict[str, Any]
    approved_by: Actor
    comment: str = ""


@dataclass(frozen=True)
class QueueNotificationInput:
    request_id: int
    event: str
    audience: str  # "requester", "assignee" or "supervisors"
    note: str = ""
    context: dict[str, Any] = field(default_factory=dict)


class Audience:
    REQUESTER = "requester"
    ASSIGNEE = "assignee"
    SUPERVISORS = "supervisors"
