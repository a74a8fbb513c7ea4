"""JSON API v1 (DESIGN §5): bearer tokens, the same operations as the pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from portal.accounts.security import issue_token, user_for_token
from portal.accounts.throttle import Throttled, sign_in
from portal.billing_requests import operations as requests_ops
from portal.errors import Forbidden, NotFound, PortalError, ValidationFailed
from portal.i18n import _
from portal.models import Account, BillingRequest, PurchaseOrder, PurchaseOrderRevision, User
from portal.purchase_orders import operations as po_ops
from portal.web.extensions import get_bridge, get_session, settings_of
from workflows.lifecycle import Action, Role

bp = Blueprint("api", __name__, url_prefix="/api/v1")
F = TypeVar("F", bound=Callable[..., Any])
Reply = tuple[Response, int] | Response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        if is_api_request():
            return jsonify({"error": error.description or error.name}), error.code or 500
        return error


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def portal_error_json(error: PortalError) -> Reply:
    body: dict[str, Any] = {"error": error.message}
    if error.fields:
        body["fields"] = error.fields
    return jsonify(body), error.status


def api_user() -> User:
    return cast(User, g.api_user)


def token_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        scheme, _space, token = header.partition(" ")
        user = user_for_token(get_session(), token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            return jsonify({"error": _("A valid bearer token is required.")}), 401
        g.api_user = user
        return view(*args, **kwargs)

    return cast(F, wrapper)


def staff_only(view: F) -> F:
    @wraps(view)
    @token_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not api_user().is_staff:
            raise Forbidden(_("Only LogMeIn technicians can use this endpoint."))
        return view(*args, **kwargs)

    return cast(F, wrapper)


def json_body() -> dict[str, Any]:
    """The JSON object sent; an empty body is an empty object, anything else is an error."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested too deep to parse: no object either
        body = None
    if body is None and not request.get_data(cache=True).strip():
        body = {}
    if not isinstance(body, dict):
        raise ValidationFailed(
            _("The body must be a JSON object."), {"body": _("Must be a JSON object.")}
        )
    if _holds_nul(body):
        # No text column stores it (PostgreSQL refuses it): refused here, not deep inside.
        raise ValidationFailed(
            _("Text cannot contain NUL characters."), {"body": _("Remove the NUL characters.")}
        )
    return body


def _holds_nul(value: Any) -> bool:
    """Whether a NUL character is in any string or key of a parsed JSON value (no recursion:
    a value may be nested as deep as the parser allows)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


# -- serialisers ---------------------------------------------------------------------------


def request_json(item: BillingRequest, detail: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": item.id,
        "type": item.type,
        "status": item.status,
        "account_id": item.account_id,
        "requester": {"id": item.requester_id, "name": item.requester.name},
        "assignee": {"id": item.assignee.id, "name": item.assignee.name} if item.assignee else None,
        "created_at": item.created_at.isoformat(),
        "updated_at": item.updated_at.isoformat(),
        "escalated": item.escalated,
    }
    if detail:
        body["payload"] = item.payload
        body["result"] = item.result
        body["timeline"] = [
            {"at": e["at"], "actor": e["actor_name"], "event": e["event"], "note": e["note"]}
            for e in item.timeline
        ]
    return body


def revision_json(revision: PurchaseOrderRevision) -> dict[str, Any]:
    return {
        "revision": revision.number,
        "po_number": revision.po_number,
        "bill_to": revision.bill_to,
        "notes": revision.notes,
        "currency": revision.currency,
        "created_at": revision.created_at.isoformat(),
        "request_id": revision.request_id,
        "total": str(revision.total),
        "lines": [
            {
                "line_id": line.line_no,
                "product": line.product,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price),
                "amount": str(line.amount),
            }
            for line in revision.lines
        ],
    }


def purchase_order_json(po: PurchaseOrder, with_revisions: bool = False) -> dict[str, Any]:
    body = {"id": po.id, "account_id": po.account_id, **revision_json(po.current)}
    if with_revisions:
        body["revisions"] = [revision_json(r) for r in reversed(po.revisions)]
    return body


def account_json(account: Account) -> dict[str, Any]:
    contact = account.billing_contact
    pending = get_session().scalars(requests_ops.pending_requests_of_account(account.id))
    return {
        "id": account.id,
        "name": account.name,
        "country": account.country,
        "kind": account.kind,
        "billing_frequency": account.billing_frequency,
        "next_renewal": account.next_renewal.isoformat() if account.next_renewal else None,
        "billing_contact": {"name": contact.name, "email": contact.email} if contact else None,
        "pending_changes": [{"id": r.id, "type": r.type, "status": r.status} for r in pending],
    }


# -- auth and identity ---------------------------------------------------------------------


@bp.post("/tokens")
def create_token() -> Reply:
    body = json_body()
    email, password = body.get("email"), body.get("password")
    if not isinstance(email, str) or not isinstance(password, str) or not email or not password:
        raise ValidationFailed(
            _("E-mail and password are required."),
            {"email": _("Required."), "password": _("Required.")},
        )
    session = get_session()
    try:
        user = sign_in(session, email, password)
    except Throttled as refused:
        reply = jsonify({"error": refused.message})
        reply.headers["Retry-After"] = str(refused.retry_after)
        return reply, 429
    if user is None:
        return jsonify({"error": _("Incorrect e-mail or password.")}), 401
    token = issue_token(session, user)
    session.commit()
    return jsonify({"token": token}), 201


@bp.get("/me")
@token_required
def me() -> Reply:
    user = api_user()
    return jsonify(
        {
            "id": user.id,
            "email": user.email,
            "name": user.name,
            "role": user.role,
            "account_id": user.account_id,
        }
    )


@bp.get("/account")
@token_required
def account() -> Reply:
    user = api_user()
    if user.account_id is None:
        raise NotFound(_("You are not a member of a customer account."))
    found = get_session().get(Account, user.account_id)
    assert found is not None
    return jsonify(account_json(found))


# -- requests (billing contacts) -----------------------------------------------------------


@bp.post("/requests")
@token_required
def submit() -> Reply:
    body = json_body()
    created = requests_ops.submit_request(
        get_session(),
        get_bridge(),
        settings_of(current_app).timers,
        api_user(),
        body.get("type"),
        body.get("payload"),
        body.get("idempotency_key"),
    )
    return jsonify(request_json(created, detail=True)), 202


@bp.get("/requests")
@token_required
def list_requests() -> Reply:
    items = requests_ops.list_requests(
        get_session(), api_user(), request.args.get("status"), request.args.get("type")
    )
    return jsonify({"items": [request_json(item) for item in items]})


@bp.get("/requests/<request_id>")
@token_required
def show_request(request_id: str) -> Reply:
    return jsonify(
        request_json(requests_ops.get_request(get_session(), api_user(), request_id), detail=True)
    )


def _act(request_id: str, action: Action, text_field: str | None = None) -> Reply:
    body = json_body()
    attachment = body.get("attachment_id")
    step = requests_ops.Step(
        text=body.get(text_field, "") if text_field else "",
        assignee_id=body.get("assignee"),
        pricing=body.get("pricing"),
        attachment_id=attachment if isinstance(attachment, int) else None,
        po_number=body.get("po_number", ""),
        valid_until=body.get("valid_until", ""),
    )
    updated = requests_ops.perform(
        get_session(),
        get_bridge(),
        api_user(),
        request_id,
        action,
        step,
        update_id=request.headers.get("Idempotency-Key"),
    )
    return jsonify(request_json(updated, detail=True)), 200


@bp.post("/requests/<request_id>/cancel")
@token_required
def cancel(request_id: str) -> Reply:
    return _act(request_id, Action.CANCEL, "reason")


@bp.post("/requests/<request_id>/provide-info")
@token_required
def provide_info(request_id: str) -> Reply:
    return _act(request_id, Action.PROVIDE_INFO, "message")


@bp.post("/quotes/<request_id>/accept")
@token_required
def accept_quote(request_id: str) -> Reply:
    return _act(request_id, Action.ACCEPT_QUOTE)


@bp.post("/quotes/<request_id>/decline")
@token_required
def decline_quote(request_id: str) -> Reply:
    return _act(request_id, Action.DECLINE_QUOTE, "reason")


# -- purchase orders -----------------------------------------------------------------------


def _contact_account_id() -> int:
    user = api_user()
    if user.role != Role.BILLING_CONTACT or user.account_id is None:
        raise Forbidden(_("Only the account's billing contact can see purchase orders."))
    return user.account_id


@bp.get("/purchase-orders")
@token_required
def purchase_orders() -> Reply:
    items = po_ops.list_purchase_orders(get_session(), _contact_account_id())
    return jsonify({"items": [purchase_order_json(po) for po in items]})


@bp.get("/purchase-orders/<po_id>")
@token_required
def purchase_order(po_id: str) -> Reply:
    user = api_user()
    account_id = None if user.is_staff else _contact_account_id()
    po = po_ops.get_purchase_order(get_session(), account_id, po_id)
    return jsonify(purchase_order_json(po, with_revisions=True))


# -- technicians ---------------------------------------------------------------------------


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() else None


@bp.get("/tasks")
@staff_only
def tasks() -> Reply:
    page = requests_ops.technician_queue(
        get_session(),
        api_user(),
        requests_ops.QueueFilters(
            status=request.args.get("status") or None,
            request_type=request.args.get("type") or None,
            account_id=_int_arg("account"),
            assignee=request.args.get("assignee") or None,
            page=_int_arg("page") or 1,
        ),
    )
    return jsonify(
        {
            "items": [request_json(item) for item in page.items],
            "page": page.page,
            "pages": page.pages,
            "total": page.total,
        }
    )


@bp.get("/tasks/<request_id>")
@staff_only
def task(request_id: str) -> Reply:
    session = get_session()
    item = requests_ops.get_request(session, api_user(), request_id)
    body = request_json(item, detail=True)
    body["account"] = {
        "id": item.account.id,
        "name": item.account.name,
        "country": item.account.country,
    }
    body["proposed_change"] = [
        {"field": change.field, "before": change.before, "after": change.after}
        for change in requests_ops.describe_changes(session, item)
    ]
    return jsonify(body)


TASK_ACTIONS = {
    "claim": (Action.CLAIM, None),
    "approve": (Action.APPROVE, "comment"),
    "reject": (Action.REJECT, "reason"),
    "request-info": (Action.REQUEST_INFO, "question"),
    "reassign": (Action.REASSIGN, None),
    "extend-quote": (Action.EXTEND_QUOTE, None),
    "retry": (Action.RETRY, None),
}


@bp.post("/tasks/<request_id>/<verb>")
@staff_only
def task_action(request_id: str, verb: str) -> Reply:
    if verb not in TASK_ACTIONS:
        raise NotFound(_("No such action."))
    action, text_field = TASK_ACTIONS[verb]
    return _act(request_id, action, text_field)
