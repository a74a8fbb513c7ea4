"""Acting on a request: each human step goes to its workflow as an Update; the projection the
pages read is written when the Update returns."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from portal import clock
from portal.billing_requests.kinds import kind_of
from portal.billing_requests.kinds.quote import check_po_number
from portal.billing_requests.queries import actor_for, get_request
from portal.billing_requests.steps import MAX_TEXT, Step, Upload
from portal.db import row_id
from portal.documents.operations import check_upload, store_document
from portal.errors import Conflict, Forbidden, PortalError, ValidationFailed
from portal.gateway import TemporalBridge, update_request
from portal.i18n import _l
from portal.models import BillingRequest, Document, User
from workflows.lifecycle import Action, Actor, lacks_required_text
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
    RetryInput,
)
from workflows.request_workflow import RequestWorkflow

log = logging.getLogger(__name__)


# What the pages say when a text the action requires (workflows.lifecycle) is empty.
TEXT_REQUIRED_MESSAGES = {
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
    # A key names one caller's one action on this request (the Update ids are the workflow's):
    # another technician's click with the same key is a click of its own.
    scoped = f"{user.id}:{action.value}:{update_id}" if update_id else None
    update_request(bridge, request.id, method, argument, scoped)
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
            actor, check_po_number(step.po_number)
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
    if action in TEXT_REQUIRED_MESSAGES and lacks_required_text(action, text):
        message = str(TEXT_REQUIRED_MESSAGES[action])
        raise ValidationFailed(message, {field: message})
    if len(text) > MAX_TEXT:
        raise ValidationFailed(
            str(_l("Please correct the highlighted fields.")),
            {field: str(_l("At most %(max)d characters.", max=MAX_TEXT))},
        )
    return str(text)


def _assignee(session: orm.Session, assignee_id: Any) -> Actor:
    wanted = row_id(assignee_id)
    user = session.get(User, wanted) if wanted is not None else None
    if user is None or not user.is_staff:
        raise ValidationFailed(
            str(_l("Please correct the highlighted fields.")),
            {"assignee": str(_l("Choose a technician."))},
        )
    return actor_for(user)


@dataclass(frozen=True)
class BulkOutcome:
    request_id: int
    approved: bool
    message: str


def approve_many(
    session: orm.Session, bridge: TemporalBridge, user: User, request_ids: list[int]
) -> list[BulkOutcome]:
    """Approve requests of the kinds approved in bulk one by one: each its own decision in its
    own workflow."""
    outcomes = []
    for request_id in request_ids:
        try:
            item = get_request(session, user, request_id)
            kind = kind_of(item.type)
            if kind is None or not kind.approved_in_bulk:
                raise Conflict(str(_l("Only form requests are approved in bulk.")))
            perform(session, bridge, user, request_id, Action.APPROVE)
        except PortalError as error:
            outcomes.append(BulkOutcome(request_id, False, error.message))
        else:
            outcomes.append(BulkOutcome(request_id, True, str(_l("Approved."))))
    return outcomes
