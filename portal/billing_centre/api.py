"""Billing centre JSON API (docs/design.md §5): subscriptions, previews, changes, invoices, card."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from portal.billing_centre import actions, cards, sandbox, writes
from portal.billing_centre import operations as billing
from portal.billing_centre.invoices import get_invoice, invoices_query, payments_of
from portal.billing_centre.payments import PaymentProcessor, SandboxProcessor
from portal.billing_centre.statements import invoice_pdf
from portal.billing_centre.writes import Outcome
from portal.billing_requests.api import request_json
from portal.billing_requests.submit import submit_request
from portal.db import row_id
from portal.documents.views import send_document
from portal.errors import NotFound
from portal.i18n import _
from portal.models import Account, Invoice, User
from portal.web.api_support import (
    Reply,
    api_user,
    json_body,
    listed_account_id,
    token_required,
)
from portal.web.extensions import get_bridge, get_session, get_settings
from portal.web.paging import list_args, page_of
from workflows.lifecycle import RequestType

bp = Blueprint("billing_api", __name__, url_prefix="/api/v1")


def init_app(app: Flask, processor: PaymentProcessor | None = None) -> None:
    app.extensions["payment_processor"] = processor or SandboxProcessor()


def processor() -> PaymentProcessor:
    found: PaymentProcessor = current_app.extensions["payment_processor"]
    return found


def account_id_of(user: User) -> int:
    return billing.account_of(get_session(), user).id


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


def _ask_a_technician(request_type: RequestType, payload: dict[str, Any]) -> Reply:
    """A Corporate account's change: 202 with the request a technician approves."""
    body = json_body()
    created = submit_request(
        get_session(),
        get_bridge(),
        get_settings().timers,
        api_user(),
        request_type,
        {**payload, "reason": body.get("reason", "")},
        body.get("idempotency_key") or request.headers.get("Idempotency-Key"),
    )
    return jsonify(request_json(created, detail=True)), 202


@bp.get("/subscriptions")
@token_required
def subscriptions() -> ResponseReturnValue:
    items = billing.subscriptions_of(get_session(), api_user())
    return jsonify({"items": [actions.subscription_json(item) for item in items]})


@bp.post("/subscriptions")
@token_required
def add() -> ResponseReturnValue:
    session, user, body = get_session(), api_user(), json_body()
    if _corporate(user):
        wanted: dict[str, Any] = {k: body[k] for k in ("plan", "seats", "period") if k in body}
        return _ask_a_technician(RequestType.SUBSCRIPTION_CHANGE, {"action": "add", **wanted})
    return _write(account_id_of(user), body, lambda: actions.add(session, processor(), user, body))


@bp.post("/subscriptions/<subscription_id>/preview")
@token_required
def preview(subscription_id: str) -> ResponseReturnValue:
    session = get_session()
    subscription = billing.get_subscription(session, api_user(), subscription_id)
    account = billing.account_of(session, api_user())
    result = billing.as_paid(account, billing.preview(session, subscription, json_body()))
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
def change(subscription_id: str) -> ResponseReturnValue:
    session, user, body = get_session(), api_user(), json_body()
    subscription = billing.get_subscription(session, user, subscription_id)
    corporate = _corporate(user)
    if "period" in body and corporate:
        # A Corporate account's billing frequency is changed by Corporate account services.
        return _ask_a_technician(RequestType.FREQUENCY_CHANGE, {"frequency": body["period"]})
    if "period" in body:
        return _write(
            subscription.account_id,
            body,
            lambda: actions.change_period(session, user, subscription, body["period"]),
        )
    if corporate:
        return _ask_a_technician(
            RequestType.SUBSCRIPTION_CHANGE, {"subscription_id": subscription.id, **_wanted(body)}
        )
    return _write(
        subscription.account_id,
        body,
        lambda: actions.change(session, processor(), user, subscription, body),
    )


def _wanted(body: dict[str, Any]) -> dict[str, Any]:
    return {key: body[key] for key in ("seats", "tier") if key in body}


@bp.post("/subscriptions/<subscription_id>/cancel")
@token_required
def cancel(subscription_id: str) -> ResponseReturnValue:
    session, user = get_session(), api_user()
    subscription = billing.get_subscription(session, user, subscription_id)
    if _corporate(user):
        return _ask_a_technician(
            RequestType.SUBSCRIPTION_CHANGE,
            {"action": "cancel", "subscription_id": subscription.id},
        )
    return _write(
        subscription.account_id,
        json_body(),
        lambda: actions.cancel(session, get_bridge(), get_settings().timers, user, subscription),
    )


@bp.post("/subscriptions/<subscription_id>/undo-cancel")
@token_required
def undo_cancel(subscription_id: str) -> ResponseReturnValue:
    session, user = get_session(), api_user()
    subscription = billing.get_subscription(session, user, subscription_id)
    if _corporate(user):
        return _ask_a_technician(
            RequestType.SUBSCRIPTION_CHANGE,
            {"action": "undo_cancel", "subscription_id": subscription.id},
        )
    return _write(
        subscription.account_id,
        json_body(),
        lambda: actions.undo_cancel(session, user, subscription),
    )


@bp.post("/subscriptions/<subscription_id>/reactivate")
@token_required
def reactivate(subscription_id: str) -> ResponseReturnValue:
    session, user = get_session(), api_user()
    subscription = billing.get_subscription(session, user, subscription_id)
    if _corporate(user):
        return _ask_a_technician(
            RequestType.SUBSCRIPTION_CHANGE,
            {"action": "reactivate", "subscription_id": subscription.id},
        )
    return _write(
        subscription.account_id,
        json_body(),
        lambda: actions.reactivate(session, processor(), user, subscription),
    )


@bp.get("/invoices")
@token_required
def invoices() -> ResponseReturnValue:
    refusal = _("Only the account's billing contact can see its billing history.")
    account_id = listed_account_id(refusal)
    query = invoices_query(account_id, request.args.get("year"), request.args.get("status"))
    page = page_of(get_session(), query, Invoice, list_args(request.args))
    return jsonify(
        {
            "items": [actions.invoice_json(item) for item in page.items],
            "next_cursor": page.next_cursor,
        }
    )


@bp.get("/invoices/<invoice_id>")
@token_required
def invoice(invoice_id: str) -> ResponseReturnValue:
    invoice = get_invoice(get_session(), api_user(), invoice_id)
    return jsonify(actions.invoice_json(invoice, lines=True))


@bp.get("/invoices/<invoice_id>/pdf")
@token_required
def invoice_pdf_file(invoice_id: str) -> ResponseReturnValue:
    found = get_invoice(get_session(), api_user(), invoice_id)
    return send_document(invoice_pdf(found), f"{found.number}.pdf", "application/pdf")


@bp.get("/payment-method")
@token_required
def payment_method() -> ResponseReturnValue:
    return jsonify(actions.card_json(cards.payment_method_of(get_session(), api_user())))


@bp.post("/payment-method")
@token_required
def save_payment_method() -> ResponseReturnValue:
    session, user, body = get_session(), api_user(), json_body()
    return _write(
        account_id_of(user), body, lambda: actions.save_card(session, processor(), user, body)
    )


@bp.get("/balance")
@token_required
def balance() -> ResponseReturnValue:
    return jsonify(
        actions.balance_json(get_session(), billing.account_of(get_session(), api_user()))
    )


@bp.get("/payments")
@token_required
def payments() -> ResponseReturnValue:
    return jsonify(
        {
            "items": [
                actions.payment_json(payment, number)
                for payment, number in payments_of(get_session(), api_user())
            ]
        }
    )


def _clock_account(given: Any) -> Account:
    """The caller's account; staff name one (`account_id`)."""
    session, user = get_session(), api_user()
    if not user.is_staff:
        return billing.account_of(session, user)
    wanted = row_id(given.get("account_id"))
    account = session.get(Account, wanted) if wanted is not None else None
    if account is None:
        raise NotFound(str(_("No such account.")), {"account_id": str(_("No such account."))})
    return account


@bp.get("/sandbox/clock")
@token_required
def sandbox_clock() -> ResponseReturnValue:
    account = _clock_account(request.args)
    return jsonify({"date": sandbox.today_of(account).isoformat(), "account_id": account.id})


@bp.post("/sandbox/clock")
@token_required
def move_sandbox_clock() -> ResponseReturnValue:
    body = json_body()
    account = _clock_account(body)
    moved = sandbox.move_clock(
        get_session(),
        get_bridge(),
        get_settings().timers,
        account,
        sandbox.parse_date(body.get("date")),
        get_settings().development,
    )
    return jsonify({"date": moved.isoformat(), "account_id": account.id})
