"""Who may do what to a request, and when: the one place these rules are written.

Pure Python so that the workflow's update validators and the portal's pages share it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    BILLING_CONTACT = "billing_contact"
    MEMBER = "member"
    TECHNICIAN = "technician"
    SUPERVISOR = "supervisor"


STAFF_ROLES = frozenset({Role.TECHNICIAN, Role.SUPERVISOR})


class RequestType(StrEnum):
    PO_EDIT = "po_edit"
    QUOTE = "quote"
    CONTACT_CHANGE = "contact_change"
    FREQUENCY_CHANGE = "frequency_change"
    FORM_REQUEST = "form_request"
    ACCOUNT_INQUIRY = "account_inquiry"
    SUBSCRIPTION_CHANGE = "subscription_change"


class Status(StrEnum):
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    WAITING_FOR_CUSTOMER = "waiting_for_customer"
    APPROVED = "approved"
    COMPLETED = "completed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    FAILED = "failed"
    QUOTED = "quoted"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    SCHEDULED = "scheduled"


# Before a decision: the statuses a technician works on and the customer may still cancel.
OPEN_STATUSES = frozenset({Status.SUBMITTED, Status.IN_REVIEW, Status.WAITING_FOR_CUSTOMER})
FINAL_STATUSES = frozenset(
    {
        Status.COMPLETED,
        Status.REJECTED,
        Status.CANCELLED,
        Status.EXPIRED,
        Status.FAILED,
        Status.DECLINED,
    }
)


class Event(StrEnum):
    """What a request's timeline records; each is labelled and decides its mail in
    portal/billing_requests/vocabulary.py (a test fails when one lacks either)."""

    SUBMITTED = "submitted"
    CLAIMED = "claimed"
    REASSIGNED = "reassigned"
    APPROVED = "approved"
    REJECTED = "rejected"
    INFO_REQUESTED = "info_requested"
    INFO_PROVIDED = "info_provided"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    FAILED = "failed"
    RETRIED = "retried"
    EXPIRED = "expired"
    SLA_REMINDER = "sla_reminder"
    ESCALATED = "escalated"
    QUOTED = "quoted"
    QUOTE_EXPIRING = "quote_expiring"
    QUOTE_EXTENDED = "quote_extended"
    QUOTE_ACCEPTED = "quote_accepted"
    QUOTE_DECLINED = "quote_declined"
    SCHEDULED = "scheduled"
    INVITATION_EXPIRED = "invitation_expired"
    # Mail-only: what a contact change tells the new and the former billing contact.
    CONTACT_CHANGED_NEW = "contact_changed_new"
    CONTACT_CHANGED_OLD = "contact_changed_old"


class Action(StrEnum):
    CLAIM = "claim"
    APPROVE = "approve"
    REJECT = "reject"
    REQUEST_INFO = "request_info"
    PROVIDE_INFO = "provide_info"
    CANCEL = "cancel"
    REASSIGN = "reassign"
    ACCEPT_QUOTE = "accept_quote"
    DECLINE_QUOTE = "decline_quote"
    EXTEND_QUOTE = "extend_quote"
    RETRY = "retry"


# The actions whose text may not be empty: a rejection's reason, a question, its answer, the
# customer's PO number accepting a quote. The pages and the workflow's validators both ask here.
TEXT_REQUIRED = frozenset(
    {Action.REJECT, Action.REQUEST_INFO, Action.PROVIDE_INFO, Action.ACCEPT_QUOTE}
)


def lacks_required_text(action: Action, text: str) -> bool:
    return action in TEXT_REQUIRED and not text.strip()


FORBIDDEN = "Forbidden"
CONFLICT = "Conflict"


@dataclass(frozen=True)
class Actor:
    user_id: int
    role: str
    account_id: int | None
    name: str

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


@dataclass(frozen=True)
class RequestFacts:
    status: str
    account_id: int
    requester_id: int
    assignee_id: int | None
    # Four eyes: what a technician starts on an account's behalf, a supervisor decides.
    started_by_staff: bool = False


class Refusal(Exception):
    """An action the rules forbid; `kind` is FORBIDDEN or CONFLICT, `code` names the rule."""

    def __init__(self, kind: str, code: str) -> None:
        super().__init__(code)
        self.kind = kind
        self.code = code


def _forbid(code: str) -> Refusal:
    return Refusal(FORBIDDEN, code)


def _conflict(code: str) -> Refusal:
    return Refusal(CONFLICT, code)


def closed_code(status: str) -> str:
    """Why a request that has left review takes no decision: how it ended says it."""
    if status == Status.CANCELLED:
        return "cancelled"
    return "expired" if status == Status.EXPIRED else "already_decided"


def _require_open(facts: RequestFacts) -> None:
    if facts.status not in OPEN_STATUSES:
        raise _conflict(closed_code(facts.status))


def _require_staff(facts: RequestFacts, actor: Actor) -> None:
    if not actor.is_staff:
        raise _forbid("staff_only")
    if actor.user_id == facts.requester_id:
        raise _forbid("own_request")
    if facts.started_by_staff and actor.role != Role.SUPERVISOR:
        raise _forbid("supervisor_decides")


def _require_deciding_staff(facts: RequestFacts, actor: Actor) -> None:
    _require_staff(facts, actor)
    _require_open(facts)
    if facts.assignee_id is None:
        raise _conflict("not_claimed")
    if facts.assignee_id != actor.user_id:
        raise _forbid("claimed_by_other")


def _require_account_side(facts: RequestFacts, actor: Actor) -> None:
    if actor.user_id == facts.requester_id:
        return
    if actor.role != Role.BILLING_CONTACT or actor.account_id != facts.account_id:
        raise _forbid("not_your_request")


def check(action: Action, facts: RequestFacts, actor: Actor, target: Actor | None = None) -> None:
    """Raise Refusal when `actor` may not take `action` on a request in state `facts`."""
    if action is Action.CLAIM:
        _require_staff(facts, actor)
        if facts.status != Status.SUBMITTED:
            raise _conflict(
                "already_claimed" if facts.status in OPEN_STATUSES else closed_code(facts.status)
            )
    elif action in (Action.APPROVE, Action.REJECT):
        _require_deciding_staff(facts, actor)
    elif action is Action.REQUEST_INFO:
        _require_deciding_staff(facts, actor)
        if facts.status != Status.IN_REVIEW:
            raise _conflict("already_waiting")
    elif action is Action.PROVIDE_INFO:
        _require_account_side(facts, actor)
        if facts.status != Status.WAITING_FOR_CUSTOMER:
            raise _conflict("no_question_pending")
    elif action is Action.CANCEL:
        _require_account_side(facts, actor)
        if facts.status not in OPEN_STATUSES and facts.status != Status.SCHEDULED:
            raise _conflict(closed_code(facts.status))
    elif action in (Action.ACCEPT_QUOTE, Action.DECLINE_QUOTE):
        _require_account_side(facts, actor)
        if facts.status != Status.QUOTED:
            raise _conflict("no_quote_pending")
    elif action is Action.EXTEND_QUOTE:
        if not actor.is_staff:
            raise _forbid("staff_only")
        if facts.assignee_id != actor.user_id and actor.role != Role.SUPERVISOR:
            raise _forbid("claimed_by_other")
        if facts.status != Status.QUOTED:
            raise _conflict("no_quote_pending")
    elif action is Action.RETRY:
        _require_staff(facts, actor)
        if facts.status != Status.FAILED:
            raise _conflict("not_failed")
    elif action is Action.REASSIGN:
        if actor.role != Role.SUPERVISOR:
            raise _forbid("supervisor_only")
        _require_open(facts)
        if target is None or not target.is_staff:
            raise _conflict("assignee_not_staff")
        if target.user_id == facts.requester_id:
            raise _conflict("assignee_is_requester")
        if facts.started_by_staff and target.role != Role.SUPERVISOR:
            raise _conflict("assignee_not_supervisor")


def allowed_actions(facts: RequestFacts, actor: Actor) -> frozenset[Action]:
    """The actions to offer `actor` on a page (reassign: when some target could be valid)."""
    allowed: set[Action] = set()
    for action in Action:
        try:
            check(action, facts, actor, target=actor if action is Action.REASSIGN else None)
        except Refusal as refusal:
            if action is Action.REASSIGN and refusal.code.startswith("assignee_"):
                allowed.add(action)
            continue
        allowed.add(action)
    return frozenset(allowed)
