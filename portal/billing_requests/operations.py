"""Submitting requests and acting on them: the writes that pages, API and activities share."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc, orm
from temporalio.client import (
    Client,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from portal import clock
from portal.billing_requests.kinds import quote
from portal.billing_requests.types import RequestKind, kind_of
from portal.config import TimerSettings
from portal.documents.operations import check_upload, store_document
from portal.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PortalError,
    ServiceUnavailable,
    ValidationFailed,
    refusal_message,
)
from portal.gateway import TemporalBridge, TemporalUnavailable
from portal.i18n import _l
from portal.models import Account, BillingRequest, Document, User
from portal.purchase_orders.operations import FieldChange
from workflows import search
from workflows.lifecycle import (
    FINAL_STATUSES,
    FORBIDDEN,
    Action,
    Actor,
    RequestFacts,
    Role,
    Status,
    allowed_actions,
)
from workflows.messages import (
    AcceptQuoteInput,
    ApproveInput,
    CancelInput,
    ClaimInput,
    DeclineQuoteInput,
    ExtendQuoteInput,
    ProvideInfoInput,
    ReassignInput,
    RejectInput,
    RequestInfoInput,
    RequestSnapshot,
    RequestTimers,
    RetryInput,
    StartRequestInput,
    workflow_id_for,
)
from workflows.request_workflow import RequestWorkflow

log = logging.getLogger(__name__)
MAX_TEXT = 2000
UNAVAILABLE_MESSAGE = _l(
    "The request service is not answering right now. "
    "Nothing was saved; please try again in a moment."
)


UNCONFIRMED_MESSAGE = _l(
    "The request service did not confirm in time. Your action may still go through: "
    "reload the page in a moment before trying again."
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


# -- reading -------------------------------------------------------------------------------


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
    try:
        wanted = int(request_id)
    except (TypeError, ValueError):
        raise NotFound(str(_l("No such request."))) from None
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
    return kind.describe(session, item.payload) if kind else []


def list_requests(
    session: orm.Session, user: User, status: str | None = None, request_type: str | None = None
) -> list[BillingRequest]:
    query = visible_requests(user).order_by(
        BillingRequest.created_at.desc(), BillingRequest.id.desc()
    )
    if status:
        query = query.where(BillingRequest.status == status)
    if request_type:
        query = query.where(BillingRequest.type == request_type)
    return list(session.scalars(query.limit(200)))


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
    if not user.is_staff:
        raise Forbidden(str(_l("Only LogMeIn technicians can see the queue.")))
    query = sa.select(BillingRequest)
    if filters.status:
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
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // QUEUE_PAGE_SIZE))
    page = min(max(1, filters.page), pages)
    items = session.scalars(
        query.options(
            orm.joinedload(BillingRequest.account), orm.joinedload(BillingRequest.assignee)
        )
        .order_by(BillingRequest.created_at, BillingRequest.id)
        .offset((page - 1) * QUEUE_PAGE_SIZE)
        .limit(QUEUE_PAGE_SIZE)
    )
    return QueuePage(items=list(items), page=page, pages=pages, total=total)


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


@dataclass(frozen=True)
class BulkOutcome:
    request_id: int
    approved: bool
    message: str


def approve_many(
    session: orm.Session, bridge: TemporalBridge, user: User, request_ids: list[int]
) -> list[BulkOutcome]:
    """Approve form requests one by one: each its own decision in its own workflow."""
    outcomes = []
    for request_id in request_ids:
        try:
            item = get_request(session, user, request_id)
            if item.type != "form_request":
                raise Conflict(str(_l("Only form requests are approved in bulk.")))
            perform(session, bridge, user, request_id, Action.APPROVE)
        except PortalError as error:
            outcomes.append(BulkOutcome(request_id, False, error.message))
        else:
            outcomes.append(BulkOutcome(request_id, True, str(_l("Approved."))))
    return outcomes


def staff_members(session: orm.Session) -> list[User]:
    query = sa.select(User).where(User.role.in_([Role.TECHNICIAN, Role.SUPERVISOR]), User.active)
    return list(session.scalars(query.order_by(User.name)))


# -- submitting ----------------------------------------------------------------------------


def submit_request(
    session: orm.Session,
    bridge: TemporalBridge,
    timers: TimerSettings,
    user: User,
    request_type: Any,
    payload: Any,
    idempotency_key: str | None = None,
) -> BillingRequest:
    """Store the request and start its workflow, both or neither."""
    if not user.is_staff:
        # Who may submit at all is decided before anything sent is looked at.
        _own_corporate_account(session, user)
    kind = kind_of(request_type) if isinstance(request_type, str) else None
    if kind is None:
        raise ValidationFailed(
            str(_l("Please correct the highlighted fields.")),
            {"type": str(_l("Unknown request type."))},
        )
    if not isinstance(payload, dict):
        raise ValidationFailed(
            str(_l("Please correct the highlighted fields.")),
            {"payload": str(_l("Must be an object."))},
        )
    account = _requesting_account(session, user, kind, payload)
    if idempotency_key is not None and (
        not isinstance(idempotency_key, str) or len(idempotency_key) > 100
    ):
        raise ValidationFailed(
            str(_l("Please correct the highlighted fields.")),
            {"idempotency_key": str(_l("At most 100 characters."))},
        )
    clean_payload = kind.validate(session, account.id, payload)
    if idempotency_key:
        existing = _by_idempotency_key(session, user, idempotency_key)
        if existing is not None:
            return existing
    request = BillingRequest(
        account_id=account.id,
        requester_id=user.id,
        type=request_type,
        status="submitted",
        payload=clean_payload,
        idempotency_key=idempotency_key or None,
        timeline=[],
    )
    session.add(request)
    try:
        session.flush()
    except exc.IntegrityError:
        session.rollback()
        existing = _by_idempotency_key(session, user, idempotency_key or "")
        if existing is None:
            raise
        return existing
    start = StartRequestInput(
        request_id=request.id,
        request_type=request.type,
        account_id=account.id,
        requester=actor_for(user),
        payload=clean_payload,
        submitted_at=request.created_at.isoformat(),
        timers=RequestTimers(
            review_sla_seconds=timers.review_sla,
            escalation_sla_seconds=timers.escalation_sla,
            info_timeout_seconds=timers.info_timeout,
            quote_reminder_seconds=timers.quote_reminder,
            invitation_seconds=timers.invitation,
            apply_max_attempts=timers.apply_attempts,
        ),
        started_by_staff=user.is_staff,
        prepares_approval=kind.prepares_approval,
        clock_shift_seconds=clock.shift_seconds(),
    )
    request.timeline = [_event_dict(start)]
    try:
        bridge.run(lambda client: start_request_workflow(client, bridge.settings.task_queue, start))
    except (TemporalUnavailable, RPCError) as error:
        session.rollback()
        log.warning("request not submitted, Temporal unavailable: %s", error)
        raise ServiceUnavailable(str(UNAVAILABLE_MESSAGE)) from error
    try:
        session.commit()
    except Exception:
        # The row is gone, so its workflow must go too: never one without the other.
        _terminate_quietly(bridge, request.id)
        raise
    log.info("request submitted", extra={"billing_request": request.id, "type": request.type})
    return request


def _event_dict(start: StartRequestInput) -> dict[str, Any]:
    return {
        "at": start.submitted_at,
        "actor_id": start.requester.user_id,
        "actor_name": start.requester.name,
        "event": "submitted",
        "note": str(start.payload.get("reason", "")),
    }


def _requesting_account(
    session: orm.Session, user: User, kind: RequestKind, payload: dict[str, Any]
) -> Account:
    """The account a request is for: the contact's own, or the one a technician names."""
    if user.is_staff and kind.staff_may_start:
        account_id = payload.get("account_id")
        account = session.get(Account, account_id) if isinstance(account_id, int) else None
        if account is None or account.kind != "corporate":
            raise ValidationFailed(
                str(_l("Please correct the highlighted fields.")),
                {"account_id": str(_l("Choose a Corporate account."))},
            )
        return account
    return _own_corporate_account(session, user)


def _own_corporate_account(session: orm.Session, user: User) -> Account:
    if user.role != Role.BILLING_CONTACT or user.account_id is None:
        raise Forbidden(str(_l("Only the account's billing contact can submit billing requests.")))
    account = session.get(Account, user.account_id)
    if account is None or account.kind != "corporate":
        raise Forbidden(str(_l("Requests to technicians are for Corporate accounts.")))
    return account


def _by_idempotency_key(session: orm.Session, user: User, key: str) -> BillingRequest | None:
    return session.scalar(
        sa.select(BillingRequest).where(
            BillingRequest.requester_id == user.id, BillingRequest.idempotency_key == key
        )
    )


async def start_request_workflow(client: Client, task_queue: str, start: StartRequestInput) -> None:
    await client.start_workflow(
        RequestWorkflow.run,
        start,
        id=workflow_id_for(start.request_id),
        task_queue=task_queue,
        # The id was just allocated by our own uncommitted insert, so a workflow already under
        # it can only be the orphan of a rolled-back submission (SQLite reuses such ids).
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        id_conflict_policy=WorkflowIDConflictPolicy.TERMINATE_EXISTING,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(search.REQUEST_TYPE, start.request_type),
                SearchAttributePair(search.REQUEST_STATUS, "submitted"),
                SearchAttributePair(search.ACCOUNT_ID, start.account_id),
            ]
        ),
        rpc_timeout=timedelta(seconds=5),
    )


def _terminate_quietly(bridge: TemporalBridge, request_id: int) -> None:
    async def terminate(client: Client) -> None:
        await client.get_workflow_handle(workflow_id_for(request_id)).terminate(
            "request row not stored"
        )

    try:
        bridge.run(terminate)
    except Exception:
        log.exception("could not terminate the workflow of unsaved request %s", request_id)


# -- acting --------------------------------------------------------------------------------

TEXT_REQUIRED = {
    Action.REJECT: _l("Give the customer a reason."),
    Action.REQUEST_INFO: _l("Write the question for the customer."),
    Action.PROVIDE_INFO: _l("Write your answer."),
}
TEXT_FIELD = {
    Action.APPROVE: "comment",
    Action.REJECT: "reason",
    Action.REQUEST_INFO: "question",
    Action.PROVIDE_INFO: "message",
    Action.CANCEL: "reason",
    Action.DECLINE_QUOTE: "reason",
}


@dataclass(frozen=True)
class Upload:
    """A file sent with an action (an answer's attachment)."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Step:
    """What a person sends with an action: its text and the action's own fields."""

    text: Any = ""
    assignee_id: Any = None
    pricing: Any = None
    attachment_id: int | None = None
    po_number: Any = ""
    valid_until: Any = ""


def perform(
    session: orm.Session,
    bridge: TemporalBridge,
    user: User,
    request_id: Any,
    action: Action,
    step: Step | None = None,
    update_id: str | None = None,
) -> BillingRequest:
    """Send one human step to the request's workflow; the projection is written when it returns."""
    step = step or Step()
    request = get_request(session, user, request_id)
    method, argument = _update_for(session, request, actor_for(user), action, step)
    _run_update(bridge, request.id, method, argument, update_id)
    log.info("request updated", extra={"billing_request": request.id, "action": action.value})
    session.expire_all()
    refreshed = session.get(BillingRequest, request.id)
    assert refreshed is not None
    return refreshed


def approve_with_attachment(
    session: orm.Session,
    bridge: TemporalBridge,
    user: User,
    request_id: Any,
    text: str,
    upload: Upload,
) -> BillingRequest:
    """Approve (answer) with a PDF: stored first, so the workflow's activity finds it; a refused
    approval removes it again."""
    request = get_request(session, user, request_id)
    check_upload(upload.filename, upload.content_type, upload.data)
    document = store_document(
        session,
        request.account_id,
        "attachment",
        upload.filename,
        upload.data,
        "application/pdf",  # check_upload made sure it is one, whatever the browser declared
    )
    session.commit()
    step = Step(text=text, attachment_id=document.id)
    try:
        return perform(session, bridge, user, request.id, Action.APPROVE, step)
    except (ValidationFailed, Forbidden, Conflict):
        # Refused: nothing changed, so the file belongs to nothing.
        session.rollback()
        session.execute(sa.delete(Document).where(Document.id == step.attachment_id))
        session.commit()
        raise


def _update_for(
    session: orm.Session, request: BillingRequest, actor: Actor, action: Action, step: Step
) -> tuple[Any, Any]:
    message = _checked_text(action, step.text)
    if action is Action.APPROVE:
        kind = kind_of(request.type)
        if kind is not None:
            kind.check_approval(session, request, message, step.pricing)
        pricing = step.pricing if isinstance(step.pricing, dict) else None
        return RequestWorkflow.approve, ApproveInput(actor, message, pricing, step.attachment_id)
    if action is Action.ACCEPT_QUOTE:
        return RequestWorkflow.accept_quote, AcceptQuoteInput(
            actor, quote.check_po_number(step.po_number)
        )
    if action is Action.EXTEND_QUOTE:
        return RequestWorkflow.extend_quote, ExtendQuoteInput(actor, _future_date(step.valid_until))
    if action is Action.REASSIGN:
        return RequestWorkflow.reassign, ReassignInput(actor, _assignee(session, step.assignee_id))
    simple = {
        Action.CLAIM: (RequestWorkflow.claim, ClaimInput(actor)),
        Action.REJECT: (RequestWorkflow.reject, RejectInput(actor, message)),
        Action.REQUEST_INFO: (RequestWorkflow.request_info, RequestInfoInput(actor, message)),
        Action.PROVIDE_INFO: (RequestWorkflow.provide_info, ProvideInfoInput(actor, message)),
        Action.CANCEL: (RequestWorkflow.cancel, CancelInput(actor, message)),
        Action.DECLINE_QUOTE: (RequestWorkflow.decline_quote, DeclineQuoteInput(actor, message)),
        Action.RETRY: (RequestWorkflow.retry, RetryInput(actor)),
    }
    return simple[action]


def _future_date(value: Any) -> str:
    try:
        wanted = date.fromisoformat(str(value))
    except ValueError:
        wanted = None
    if wanted is None or wanted <= clock.today():
        raise ValidationFailed(
            str(_l("Please correct the highlighted fields.")),
            {"valid_until": str(_l("A date after today, e.g. 2027-01-31."))},
        )
    return wanted.isoformat()


def _checked_text(action: Action, text: Any) -> str:
    field = TEXT_FIELD.get(action, "comment")
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise ValidationFailed(
            str(_l("Please correct the highlighted fields.")), {field: str(_l("Must be text."))}
        )
    text = text.strip()
    if action in TEXT_REQUIRED and not text:
        raise ValidationFailed(str(TEXT_REQUIRED[action]), {field: str(TEXT_REQUIRED[action])})
    if len(text) > MAX_TEXT:
        raise ValidationFailed(
            str(_l("Please correct the highlighted fields.")),
            {field: str(_l("At most %(max)d characters.", max=MAX_TEXT))},
        )
    return str(text)


def _assignee(session: orm.Session, assignee_id: Any) -> Actor:
    try:
        user = session.get(User, int(assignee_id))
    except (TypeError, ValueError):
        user = None
    if user is None or not user.is_staff:
        raise ValidationFailed(
            str(_l("Please correct the highlighted fields.")),
            {"assignee": str(_l("Choose a technician."))},
        )
    return actor_for(user)


def _run_update(
    bridge: TemporalBridge, request_id: int, method: Any, arg: Any, update_id: str | None
) -> None:
    async def call(client: Client) -> RequestSnapshot:
        handle = client.get_workflow_handle(workflow_id_for(request_id))
        result: RequestSnapshot = await handle.execute_update(
            method,
            arg,
            id=update_id,
            rpc_timeout=timedelta(seconds=bridge.settings.rpc_timeout_seconds * 2),
        )
        return result

    try:
        bridge.run(call, timeout=bridge.settings.rpc_timeout_seconds * 3)
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        if isinstance(cause, ApplicationError):
            if cause.type == FORBIDDEN:
                raise Forbidden(refusal_message(cause.message)) from error
            if cause.type == "Invalid":
                raise ValidationFailed(cause.message) from error
            raise Conflict(refusal_message(cause.message)) from error
        raise
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise Conflict(refusal_message("already_decided")) from error
        raise
    except TemporalUnavailable as error:
        raise ServiceUnavailable(str(UNAVAILABLE_MESSAGE)) from error
    except WorkflowUpdateRPCTimeoutOrCancelledError as error:
        # Sent but not confirmed in time: it may still happen, so say so rather than "nothing".
        raise ServiceUnavailable(str(UNCONFIRMED_MESSAGE)) from error


# -- projection (called by activities) ----------------------------------------------------


def project_snapshot(session: orm.Session, snapshot: RequestSnapshot) -> bool:
    """Write a workflow snapshot; an older snapshot arriving late changes nothing (False)."""
    values: dict[str, Any] = {
        "status": snapshot.status,
        "assignee_id": snapshot.assignee_id,
        "escalated": snapshot.escalated,
        "timeline": [dataclasses.asdict(event) for event in snapshot.timeline],
        "version": snapshot.version,
        "updated_at": clock.now(),
    }
    if snapshot.result is not None:
        values["result"] = snapshot.result
    written = session.execute(
        sa.update(BillingRequest)
        .where(BillingRequest.id == snapshot.request_id, BillingRequest.version < snapshot.version)
        .values(**values)
    )
    return bool(getattr(written, "rowcount", 0))
