"""Billing centre JSON API (docs/design.md §5): subscriptions, previews, changes, invoices, card."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from flask.typing import ResponseReturnValue

from portal.billing_centre import cards
from portal.billing_centre import operations as billing
from portal.billing_centre import subscriptions as lifecycle
from portal.billing_centre.invoices import get_invoice, invoices_of
from portal.billing_centre.payments import PaymentProcessor, SandboxProcessor
from portal.billing_centre.statements import invoice_pdf
from portal.billing_centre.timers import schedule_end
from portal.billing_requests.api import request_json
from portal.billing_requests.submit import submit_request
from portal.documents.views import send_document
from portal.models import Invoice, PaymentMethod, Subscription
from portal.web.api_support import api_user, json_body, token_required
from portal.web.extensions import get_bridge, get_session, settings_of
from workflows.lifecycle import RequestType

bp = Blueprint("billing_api", __name__, url_prefix="/api/v1")


def init_app(app: Flask, processor: PaymentProcessor | None = None) -> None:
    app.extensions["payment_processor"] = processor or SandboxProcessor()


def processor() -> PaymentProcessor:
    found: PaymentProcessor = current_app.extensions["payment_processor"]
    return found


def subscription_json(subscription: Subscription) -> dict[str, Any]:
    return {
        "id": subscription.id,
        "product": subscription.plan.product,
        "tier": subscription.plan.tier,
        "plan": subscription.plan.name,
        "seats": subscription.seats,
        "period": subscription.period,
        "status": subscription.status,
        "next_billing_date": subscription.next_billing_date.isoformat(),
    }


def invoice_json(invoice: Invoice, lines: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": invoice.id,
        "number": invoice.number,
        "issued_on": invoice.issued_on.isoformat(),
        "due_on": invoice.due_on.isoformat(),
        "kind": invoice.kind,
        "status": invoice.status,
        "subtotal": str(invoice.subtotal),
        "tax": str(invoice.tax),
        "total": str(invoice.amount),
        "currency": invoice.currency,
        "po_number": invoice.purchase_order.current.po_number if invoice.purchase_order else None,
    }
    if lines:
        body["lines"] = [
            {
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price),
                "amount": str(line.amount),
            }
            for line in invoice.lines
        ]
    return body


def card_json(method: PaymentMethod | None) -> dict[str, Any]:
    if method is None:
        return {"kind": None}
    return {
        "kind": method.kind,
        "brand": method.brand,
        "last4": method.last4,
        "exp_month": method.exp_month,
        "exp_year": method.exp_year,
    }


@bp.get("/subscriptions")
@token_required
def subscriptions() -> ResponseReturnValue:
    items = billing.subscriptions_of(get_session(), api_user())
    return jsonify({"items": [subscription_json(item) for item in items]})


@bp.post("/subscriptions")
@token_required
def add() -> ResponseReturnValue:
    session = get_session()
    added = lifecycle.add_subscription(session, processor(), api_user(), json_body())
    session.commit()
    return jsonify(subscription_json(added)), 201


@bp.post("/subscriptions/<subscription_id>/preview")
@token_required
def preview(subscription_id: str) -> ResponseReturnValue:
    session = get_session()
    subscription = billing.get_subscription(session, api_user(), subscription_id)
    result = billing.preview(session, subscription, json_body())
    return jsonify(
        {
            "amount_due": str(result.amount_due),
            "amount_credited": str(result.amount_credited),
            "new_billing_date": result.new_billing_date.isoformat(),
            "error": billing.refusal_text(result.error) if result.error else None,
        }
    )


@bp.post("/subscriptions/<subscription_id>/change")
@token_required
def change(subscription_id: str) -> ResponseReturnValue:
    session, user, body = get_session(), api_user(), json_body()
    subscription = billing.get_subscription(session, user, subscription_id)
    if subscription.account_id and user.account and user.account.kind == "corporate":
        payload = {
            "subscription_id": subscription.id,
            **_wanted(body),
            "reason": body.get("reason", ""),
        }
        created = submit_request(
            session,
            get_bridge(),
            settings_of(current_app).timers,
            user,
            RequestType.SUBSCRIPTION_CHANGE,
            payload,
            body.get("idempotency_key"),
        )
        return jsonify(request_json(created, detail=True)), 202
    changed = billing.change_now(session, processor(), user, subscription, body)
    session.commit()
    return jsonify(subscription_json(changed))


def _wanted(body: dict[str, Any]) -> dict[str, Any]:
    return {key: body[key] for key in ("seats", "tier") if key in body}


@bp.post("/subscriptions/<subscription_id>/cancel")
@token_required
def cancel(subscription_id: str) -> ResponseReturnValue:
    session, user = get_session(), api_user()
    subscription = billing.get_subscription(session, user, subscription_id)
    lifecycle.cancel_subscription(session, user, subscription)
    schedule_end(session, get_bridge(), subscription)
    return jsonify(subscription_json(subscription))


@bp.post("/subscriptions/<subscription_id>/undo-cancel")
@token_required
def undo_cancel(subscription_id: str) -> ResponseReturnValue:
    session, user = get_session(), api_user()
    subscription = billing.get_subscription(session, user, subscription_id)
    lifecycle.undo_cancel(session, user, subscription)
    session.commit()
    return jsonify(subscription_json(subscription))


@bp.post("/subscriptions/<subscription_id>/reactivate")
@token_required
def reactivate(subscription_id: str) -> ResponseReturnValue:
    session, user = get_session(), api_user()
    subscription = billing.get_subscription(session, user, subscription_id)
    lifecycle.reactivate(session, processor(), user, subscription)
    session.commit()
    return jsonify(subscription_json(subscription))


@bp.get("/invoices")
@token_required
def invoices() -> ResponseReturnValue:
    from flask import request

    items = invoices_of(
        get_session(), api_user(), request.args.get("year"), request.args.get("status")
    )
    return jsonify({"items": [invoice_json(item) for item in items]})


@bp.get("/invoices/<invoice_id>")
@token_required
def invoice(invoice_id: str) -> ResponseReturnValue:
    return jsonify(invoice_json(get_invoice(get_session(), api_user(), invoice_id), lines=True))


@bp.get("/invoices/<invoice_id>/pdf")
@token_required
def invoice_pdf_file(invoice_id: str) -> ResponseReturnValue:
    found = get_invoice(get_session(), api_user(), invoice_id)
    return send_document(invoice_pdf(found), f"{found.number}.pdf", "application/pdf")


@bp.get("/payment-method")
@token_required
def payment_method() -> ResponseReturnValue:
    return jsonify(card_json(cards.payment_method_of(get_session(), api_user())))


@bp.post("/payment-method")
@token_required
def save_payment_method() -> ResponseReturnValue:
    session, body = get_session(), json_body()
    method = cards.save_card(
        session,
        processor(),
        api_user(),
        body.get("number"),
        body.get("exp_month"),
        body.get("exp_year"),
        body.get("cvc"),
    )
    session.commit()
    return jsonify(card_json(method))
