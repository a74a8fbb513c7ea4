"""Billing centre JSON API (docs/design.md §5): subscriptions, previews, changes, invoices, card."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request
from pydantic import BaseModel

from portal.billing_centre import actions, cards, sandbox, writes
from portal.billing_centre import operations as billing
from portal.billing_centre.invoices import get_invoice, invoices_query, payments_query
from portal.billing_centre.payments import PaymentProcessor, SandboxProcessor
from portal.billing_centre.schemas import (
    AddSubscriptionBody,
    BalanceReply,
    CardBody,
    CardReply,
    CardSaved,
    ChangeBody,
    ClockBody,
    ClockQuery,
    ClockReply,
    CorporateNote,
    InvoiceListQuery,
    InvoicePage,
    InvoiceReply,
    PaymentList,
    PreviewBody,
    PreviewReply,
    SubscriptionList,
    SubscriptionReply,
    SubscriptionStepBody,
)
from portal.billing_centre.statements import invoice_pdf
from portal.billing_centre.subscriptions import standard_account
from portal.billing_centre.writes import Outcome
from portal.billing_requests.api import request_json
from portal.billing_requests.schemas import RequestReply
from portal.billing_requests.submit import submit_request
from portal.documents.views import send_document
from portal.errors import NotFound
from portal.i18n import _, active_locale
from portal.models import Account, Invoice, Payment, Subscription, User
from portal.web.api_support import Reply, api_user, listed_account_id, token_required
from portal.web.extensions import get_bridge, get_session, get_settings
from portal.web.openapi import described
from portal.web.paging import ListQuery, list_args, page_of
from workflows.lifecycle import RequestType

bp = Blueprint("billing_api", __name__, url_prefix="/api/v1")
TAG = "Billing"


def init_app(app: Flask, processor: PaymentProcessor | None = None) -> None:
    app.extensions["payment_processor"] = processor or SandboxProcessor()


def processor() -> PaymentProcessor:
    found: PaymentProcessor = current_app.extensions["payment_processor"]
    return found


def account_id_of(user: User) -> int:
    return billing.account_of(get_session(), user).id


def sent(body: BaseModel) -> dict[str, Any]:
    """The body as the operations read it: the fields given, without the nulls."""
    return body.model_dump(mode="json", exclude_none=True)


def _write(account_id: int, body: dict[str, Any], write: Callable[[], Outcome]) -> Reply:
    """A billing write under the account's lease, answered once per Idempotency-Key; the
    workflows of the subscriptions it changed are told once it is committed."""
    outcome = writes.run(
        get_session(),
        api_user(),
        account_id,
        request.headers.get("Idempotency-Key") or None,
        writes.fingerprint(request.method, request.path, body),
        write,
    )
    actions.tell_changed(get_session(), get_bridge(), get_settings().timers, outcome)
    return jsonify(outcome.body), outcome.status


def _corporate(user: User) -> bool:
    return bool(user.account and user.account.kind == "corporate")


def _ask_a_technician(
    request_type: RequestType, payload: dict[str, Any], note: CorporateNote
) -> Reply:
    """A Corporate account's change: 202 with the request a technician approves."""
    created = submit_request(
        get_session(),
        get_bridge(),
        get_settings().timers,
        api_user(),
        request_type,
        {**payload, "reason": note.reason},
        note.idempotency_key or request.headers.get("Idempotency-Key"),
    )
    return jsonify(request_json(created, detail=True)), 202


# A write a Corporate account asks for instead: 202 with the request.
ASKED = {202: RequestReply}


@bp.get("/subscriptions")
@token_required
@described(TAG, {200: SubscriptionList}, errors=(400,), query=ListQuery)
def subscriptions(query: ListQuery) -> Reply:
    """The account's subscriptions (billing contacts), oldest first."""
    session = get_session()
    found = billing.subscriptions_query(session, api_user())
    page = page_of(session, found, Subscription, list_args(query), oldest_first=True)
    return jsonify(
        {
            "items": [actions.subscription_json(item) for item in page.items],
            "next_cursor": page.next_cursor,
        }
    )


@bp.post("/subscriptions")
@token_required
@described(
    TAG,
    {201: SubscriptionReply, **ASKED},
    errors=(400, 402, 409),
    json=AddSubscriptionBody,
)
def add(json: AddSubscriptionBody) -> Reply:
    """Add a subscription, paid by card (Corporate accounts: 202, a request)."""
    session, user, body = get_session(), api_user(), sent(json)
    if _corporate(user):
        wanted: dict[str, Any] = {k: body[k] for k in ("plan", "seats", "period") if k in body}
        return _ask_a_technician(RequestType.SUBSCRIPTION_CHANGE, {"action": "add", **wanted}, json)
    return _write(account_id_of(user), body, lambda: actions.add(session, processor(), user, body))


@bp.post("/subscriptions/<subscription_id>/preview")
@token_required
@described(TAG, {200: PreviewReply}, errors=(400, 404), json=PreviewBody)
def preview(subscription_id: str, json: PreviewBody) -> Reply:
    """What a change of seats or tier would cost now, tax included (nothing is changed)."""
    session = get_session()
    subscription = billing.get_subscription(session, api_user(), subscription_id)
    account = billing.account_of(session, api_user())
    result = billing.as_paid(account, billing.preview(session, subscription, sent(json)))
    return jsonify(
        {
            "amount_due": str(result.amount_due),
            "amount_credited": str(result.amount_credited),
            "currency": account.currency,
            "new_billing_date": result.new_billing_date.isoformat(),
            "error": billing.refusal_text(result.error) if result.error else None,
        }
    )


@bp.post("/subscriptions/<subscription_id>/change")
@token_required
@described(
    TAG,
    {200: SubscriptionReply, **ASKED},
    errors=(400, 402, 404, 409),
    json=ChangeBody,
)
def change(subscription_id: str, json: ChangeBody) -> Reply:
    """Change seats or tier (paid by card at once), or the period from the next renewal on."""
    session, user, body = get_session(), api_user(), sent(json)
    subscription = billing.get_subscription(session, user, subscription_id)
    corporate = _corporate(user)
    period = json.period
    if period is not None and corporate:
        # A Corporate account's billing frequency is changed by Corporate account services.
        return _ask_a_technician(RequestType.FREQUENCY_CHANGE, {"frequency": period}, json)
    if period is not None:
        return _write(
            subscription.account_id,
            body,
            lambda: actions.change_period(session, user, subscription, period),
        )
    if corporate:
        return _ask_a_technician(
            RequestType.SUBSCRIPTION_CHANGE,
            {"subscription_id": subscription.id, **_wanted(body)},
            json,
        )
    return _write(
        subscription.account_id,
        body,
        lambda: actions.change(session, processor(), user, subscription, body),
    )


def _wanted(body: dict[str, Any]) -> dict[str, Any]:
    return {key: body[key] for key in ("seats", "tier") if key in body}


STEP_ERRORS = (400, 404, 409)


@bp.post("/subscriptions/<subscription_id>/cancel")
@token_required
@described(TAG, {200: SubscriptionReply, **ASKED}, errors=STEP_ERRORS, json=SubscriptionStepBody)
def cancel(subscription_id: str, json: SubscriptionStepBody) -> Reply:
    """Cancel at the end of the period (pending cancellation until then)."""
    session, user = get_session(), api_user()
    subscription = billing.get_subscription(session, user, subscription_id)
    if _corporate(user):
        return _ask_a_technician(
            RequestType.SUBSCRIPTION_CHANGE,
            {"action": "cancel", "subscription_id": subscription.id},
            json,
        )
    return _write(
        subscription.account_id,
        sent(json),
        lambda: actions.cancel(session, get_bridge(), get_settings().timers, user, subscription),
    )


@bp.post("/subscriptions/<subscription_id>/undo-cancel")
@token_required
@described(TAG, {200: SubscriptionReply, **ASKED}, errors=STEP_ERRORS, json=SubscriptionStepBody)
def undo_cancel(subscription_id: str, json: SubscriptionStepBody) -> Reply:
    """Keep a subscription pending cancellation."""
    session, user = get_session(), api_user()
    subscription = billing.get_subscription(session, user, subscription_id)
    if _corporate(user):
        return _ask_a_technician(
            RequestType.SUBSCRIPTION_CHANGE,
            {"action": "undo_cancel", "subscription_id": subscription.id},
            json,
        )
    return _write(
        subscription.account_id,
        sent(json),
        lambda: actions.undo_cancel(session, user, subscription),
    )


@bp.post("/subscriptions/<subscription_id>/reactivate")
@token_required
@described(
    TAG,
    {200: SubscriptionReply, **ASKED},
    errors=(*STEP_ERRORS, 402),
    json=SubscriptionStepBody,
)
def reactivate(subscription_id: str, json: SubscriptionStepBody) -> Reply:
    """Bring an expired subscription back, its new period paid by card."""
    session, user = get_session(), api_user()
    subscription = billing.get_subscription(session, user, subscription_id)
    if _corporate(user):
        return _ask_a_technician(
            RequestType.SUBSCRIPTION_CHANGE,
            {"action": "reactivate", "subscription_id": subscription.id},
            json,
        )
    return _write(
        subscription.account_id,
        sent(json),
        lambda: actions.reactivate(session, processor(), user, subscription),
    )


@bp.get("/invoices")
@token_required
@described(TAG, {200: InvoicePage}, errors=(400, 404), query=InvoiceListQuery)
def invoices(query: InvoiceListQuery) -> Reply:
    """The account's invoices, newest first (staff: of the account named by `account`)."""
    refusal = _("Only the account's billing contact can see its billing history.")
    account_id = listed_account_id(refusal, query.account)
    year = str(query.year) if query.year is not None else None
    found = invoices_query(account_id, year, query.status)
    page = page_of(get_session(), found, Invoice, list_args(query))
    return jsonify(
        {
            "items": [actions.invoice_json(item) for item in page.items],
            "next_cursor": page.next_cursor,
        }
    )


@bp.get("/invoices/<invoice_id>")
@token_required
@described(TAG, {200: InvoiceReply}, errors=(404,))
def invoice(invoice_id: str) -> Reply:
    """One invoice with its lines."""
    invoice = get_invoice(get_session(), api_user(), invoice_id)
    return jsonify(actions.invoice_json(invoice, lines=True))


@bp.get("/invoices/<invoice_id>/pdf")
@token_required
@described(TAG, {200: None}, errors=(404,))
def invoice_pdf_file(invoice_id: str) -> Reply:
    """The invoice as a PDF."""
    found = get_invoice(get_session(), api_user(), invoice_id)
    content = invoice_pdf(found, active_locale())  # the page's language
    return send_document(content, f"{found.number}.pdf", "application/pdf")


@bp.get("/payment-method")
@token_required
@described(TAG, {200: CardReply})
def payment_method() -> Reply:
    """The card on file (never its number)."""
    return jsonify(actions.card_json(cards.payment_method_of(get_session(), api_user())))


@bp.post("/payment-method")
@token_required
@described(
    TAG,
    {200: CardSaved},
    errors=(400, 402, 409),
    json=CardBody,
    # Corporate accounts pay by invoice: they have no card to save.
    gate=lambda: standard_account(get_session(), api_user()),
)
def save_payment_method(json: CardBody) -> Reply:
    """Save a card (standard accounts); the past-due renewals are charged to it at once."""
    session, user, body = get_session(), api_user(), sent(json)
    return _write(
        account_id_of(user), body, lambda: actions.save_card(session, processor(), user, body)
    )


@bp.get("/balance")
@token_required
@described(TAG, {200: BalanceReply})
def balance() -> Reply:
    """The account's credit, spent on its next charges."""
    return jsonify(
        actions.balance_json(get_session(), billing.account_of(get_session(), api_user()))
    )


@bp.get("/payments")
@token_required
@described(TAG, {200: PaymentList}, errors=(400,), query=ListQuery)
def payments(query: ListQuery) -> Reply:
    """Every call to the payment processor (charges, refunds, declines), newest first."""
    found = payments_query(api_user())
    page = page_of(get_session(), found, Payment, list_args(query))
    return jsonify(
        {
            "items": [actions.payment_json(payment) for payment in page.items],
            "next_cursor": page.next_cursor,
        }
    )


def _clock_account(account_id: int | None) -> Account:
    """The caller's account; staff name one (`account_id`)."""
    session, user = get_session(), api_user()
    if not user.is_staff:
        return billing.account_of(session, user)
    account = session.get(Account, account_id) if account_id is not None else None
    if account is None:
        raise NotFound(str(_("No such account.")), {"account_id": str(_("No such account."))})
    return account


@bp.get("/sandbox/clock")
@token_required
@described(TAG, {200: ClockReply}, errors=(400, 404), query=ClockQuery)
def sandbox_clock(query: ClockQuery) -> Reply:
    """The account's sandbox business date (development)."""
    account = _clock_account(query.account_id)
    return jsonify({"date": sandbox.today_of(account).isoformat(), "account_id": account.id})


@bp.post("/sandbox/clock")
@token_required
@described(
    TAG,
    {200: ClockReply},
    errors=(400, 404, 409),
    json=ClockBody,
    gate=lambda: api_user().is_staff or billing.account_of(get_session(), api_user()),
)
def move_sandbox_clock(json: ClockBody) -> Reply:
    """Move the sandbox date forward; what falls due by then has run when it answers."""
    account = _clock_account(json.account_id)
    moved = sandbox.move_clock(
        get_session(),
        get_bridge(),
        get_settings().timers,
        account,
        json.date,
        get_settings().development,
    )
    return jsonify({"date": moved.isoformat(), "account_id": account.id})
