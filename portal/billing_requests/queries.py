"""Reading requests: who sees which, a request's page, the contact's list, the technicians'
queue and its review deadlines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from portal.billing_requests.kinds import kind_of
from portal.billing_requests.kinds.base import APPLIED, FieldChange, Recorded
from portal.config import TimerSettings
from portal.db import row_id
from portal.errors import Forbidden, NotFound
from portal.i18n import _l
from portal.models import BillingRequest, User
from workflows.lifecycle import (
    FINAL_STATUSES,
    Action,
    Actor,
    RequestFacts,
    Role,
    Status,
    allowed_actions,
)


def actor_for(user: User) -> Actor:
    return Actor(user_id=user.id, role=user.role, account_id=user.account_id, name=user.name)


def facts_of(request: BillingRequest) -> RequestFacts:
    return RequestFacts(
        status=request.status,
        account_id=request.account_id,
        requester_id=request.requester_id,
        assignee_id=request.assignee_id,
        # Four eyes: what a technician starts on an account's behalf, a supervisor decides.
        started_by_staff=request.requester.is_staff,
    )


def actions_for(request: BillingRequest, user: User) -> frozenset[Action]:
    return allowed_actions(facts_of(request), actor_for(user))


def visible_requests(user: User) -> sa.Select[BillingRequest]:
    """Staff see every account's requests, a billing contact their account's, others none."""
    query = sa.select(BillingRequest)
    if user.is_staff:
        return query
    if user.role != Role.BILLING_CONTACT or user.account_id is None:
        raise Forbidden(str(_l("Only the account's billing contact can see billing requests.")))
    return query.where(BillingRequest.account_id == user.account_id)


def pending_requests_of_account(account_id: int) -> sa.Select[BillingRequest]:
    """Requests not yet finished: waiting for a decision, an answer or their date."""
    final = [status.value for status in FINAL_STATUSES]
    return (
        sa.select(BillingRequest)
        .where(BillingRequest.account_id == account_id, BillingRequest.status.not_in(final))
        .order_by(BillingRequest.created_at)
    )


def get_request(session: orm.Session, user: User, request_id: Any) -> BillingRequest:
    wanted = row_id(request_id)
    if wanted is None:
        raise NotFound(str(_l("No such request.")))
    request = session.scalar(visible_requests(user).where(BillingRequest.id == wanted))
    if request is None:
        raise NotFound(str(_l("No such request.")))
    return request


@dataclass(frozen=True)
class RequestView:
    """A request as its page shows it: the proposed change and what the viewer may do."""

    item: BillingRequest
    changes: list[FieldChange]
    actions: frozenset[Action]


def view_request(session: orm.Session, user: User, request_id: Any) -> RequestView:
    item = get_request(session, user, request_id)
    changes = describe_changes(session, item)
    return RequestView(item=item, changes=changes, actions=actions_for(item, user))


def describe_changes(session: orm.Session, item: BillingRequest) -> list[FieldChange]:
    kind = kind_of(item.type)
    if kind is None:
        return []
    snapshot = item.snapshot
    if snapshot is None:
        # Submitted before snapshots were kept: today's state is the best "before" there is.
        snapshot = kind.snapshot(session, item.account_id, item.payload)
    applied = (item.result or {}).get(APPLIED)
    recorded = Recorded(item.payload, snapshot, applied if isinstance(applied, dict) else {})
    return kind.describe(session, recorded)


def requests_query(
    user: User, status: str | None = None, request_type: str | None = None
) -> sa.Select[BillingRequest]:
    """The requests `user` sees, newest first, of one status and type when given."""
    query = visible_requests(user).order_by(
        BillingRequest.created_at.desc(), BillingRequest.id.desc()
    )
    if status:
        query = query.where(BillingRequest.status == status)
    if request_type:
        query = query.where(BillingRequest.type == request_type)
    return query


def list_requests(
    session: orm.Session, user: User, status: str | None = None, request_type: str | None = None
) -> list[BillingRequest]:
    """The requests page's list (the API pages through `requests_query`)."""
    return list(session.scalars(requests_query(user, status, request_type).limit(200)))


# The queue's default leaves out what nobody has to act on any more; a failed change waits for
# a technician's retry, so it stays. `status=all` shows everything.
SETTLED_STATUSES = FINAL_STATUSES - {Status.FAILED}
ALL_STATUSES = "all"


@dataclass(frozen=True)
class QueueFilters:
    status: str | None = None
    request_type: str | None = None
    account_id: int | None = None
    assignee: str | None = None  # "me", "none" or a user id
    escalated: bool = False
    page: int = 1


@dataclass(frozen=True)
class QueuePage:
    items: list[BillingRequest]
    page: int
    pages: int
    total: int


QUEUE_PAGE_SIZE = 25


def technician_queue(session: orm.Session, user: User, filters: QueueFilters) -> QueuePage:
    """The console's numbered pages of the queue, oldest first."""
    query = queue_query(user, filters)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // QUEUE_PAGE_SIZE))
    page = min(max(1, filters.page), pages)
    items = session.scalars(
        query.order_by(BillingRequest.created_at, BillingRequest.id)
        .offset((page - 1) * QUEUE_PAGE_SIZE)
        .limit(QUEUE_PAGE_SIZE)
    )
    return QueuePage(items=list(items), page=page, pages=pages, total=total)


def queue_query(user: User, filters: QueueFilters) -> sa.Select[BillingRequest]:
    """The requests of the queue that `filters` choose (the API pages them with a cursor)."""
    if not user.is_staff:
        raise Forbidden(str(_l("Only LogMeIn technicians can see the queue.")))
    query = sa.select(BillingRequest)
    if filters.status is None:
        query = query.where(BillingRequest.status.not_in(SETTLED_STATUSES))
    elif filters.status != ALL_STATUSES:
        query = query.where(BillingRequest.status == filters.status)
    if filters.request_type:
        query = query.where(BillingRequest.type == filters.request_type)
    if filters.account_id:
        query = query.where(BillingRequest.account_id == filters.account_id)
    if filters.escalated:
        query = query.where(BillingRequest.escalated.is_(True))
    if filters.assignee == "me":
        query = query.where(BillingRequest.assignee_id == user.id)
    elif filters.assignee == "none":
        query = query.where(BillingRequest.assignee_id.is_(None))
    elif filters.assignee and filters.assignee.isdigit():
        query = query.where(BillingRequest.assignee_id == int(filters.assignee))
    return query.options(
        orm.joinedload(BillingRequest.account), orm.joinedload(BillingRequest.assignee)
    )


@dataclass(frozen=True)
class Deadline:
    """When a technician should have decided, and how far off that is (negative: overdue)."""

    due_at: datetime
    seconds_left: int

    @property
    def overdue(self) -> bool:
        return self.seconds_left < 0


def review_deadline(item: BillingRequest, timers: TimerSettings, now: datetime) -> Deadline | None:
    """The review SLA runs from submission while a request waits on LogMeIn (not the customer)."""
    if item.status not in (Status.SUBMITTED, Status.IN_REVIEW):
        return None
    due_at = item.created_at + timedelta(seconds=timers.review_sla)
    return Deadline(due_at, int((due_at - now).total_seconds()))


def staff_members(session: orm.Session) -> list[User]:
    query = sa.select(User).where(User.role.in_([Role.TECHNICIAN, Role.SUPERVISOR]), User.active)
    return list(session.scalars(query.order_by(User.name)))


def quote_pdf_of(
    session: orm.Session, user: User, request_id: Any, language: str | None = None
) -> tuple[bytes, str]:
    """The priced quote of a request `user` sees, as its PDF (in `language`) and file name
    (NotFound before it is priced)."""
    from portal.billing_requests.kinds.quotes import quote_document, quote_for

    item = get_request(session, user, request_id)
    found = quote_for(session, item.id)
    if found is None:
        raise NotFound(str(_l("This request has no priced quote yet.")))
    return quote_document(session, found, language), f"quote-{item.id}.pdf"
