"""What every JSON API endpoint shares: the one `api` blueprint (/api/v1; each feature adds
its endpoints in its own api.py), bearer-token authentication, the body as a JSON object and
errors as JSON (docs/design.md §5)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, Flask, Response, g, jsonify, request

from portal.accounts.security import live_token
from portal.accounts.service_tokens import allows, bearer_of, scope_needed
from portal.db import row_id
from portal.errors import Forbidden, NotFound, PortalError, ValidationFailed
from portal.i18n import _
from portal.models import Account, User
from portal.web.extensions import get_session, use_account_clock
from portal.web.input_guard import refuse_unreadable

bp = Blueprint("api", __name__, url_prefix="/api/v1")
F = TypeVar("F", bound=Callable[..., Any])
Reply = tuple[Response, int] | Response


def init_app(app: Flask) -> None:
    # The features' endpoints join the blueprint when their modules are imported.
    import portal.accounts.api
    import portal.billing_requests.api
    import portal.console.api
    import portal.purchase_orders.api
    import portal.webhooks.api  # noqa: F401

    app.register_blueprint(bp)


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def portal_error_json(error: PortalError) -> Reply:
    body: dict[str, Any] = {"error": error.message, "code": error.code}
    if error.fields:
        body["fields"] = error.fields
    reply = jsonify(body)
    if error.retry_after is not None:
        reply.headers["Retry-After"] = str(error.retry_after)
    return reply, error.status


def api_user() -> User:
    return cast(User, g.api_user)


def token_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        scheme, _space, token = header.partition(" ")
        session = get_session()
        row = live_token(session, token.strip()) if scheme.lower() == "bearer" else None
        bearer = bearer_of(session, row) if row is not None else None
        if bearer is None:
            message = _("A valid bearer token is required.")
            return jsonify({"error": message, "code": "unauthorized"}), 401
        if not allows(bearer, request.endpoint, request.method):
            needed = scope_needed(request.endpoint, request.method)
            message = (
                _("This token's scopes do not include %(scope)s.", scope=needed)
                if needed
                else _("This takes a person's token, not a service token.")
            )
            return jsonify({"error": message, "code": "insufficient_scope"}), 403
        user = bearer.user
        g.api_user, g.api_token_id, g.api_bearer = user, row.id if row else None, bearer
        use_account_clock(user)
        return view(*args, **kwargs)

    return cast(F, wrapper)


def listed_account_id(refusal: str) -> int:
    """Whose list a call reads: a billing contact's own account; for staff, the one named by
    `?account=` (400 without it, 404 for none). Anyone else: Forbidden(`refusal`)."""
    user = api_user()
    if user.is_staff:
        wanted = row_id(request.args.get("account", ""))
        if wanted is None:
            message = _("Name the account: ?account=<id>.")
            raise ValidationFailed(message, {"account": message})
        if get_session().get(Account, wanted) is None:
            raise NotFound(_("No such account."), {"account": _("No such account.")})
        return wanted
    if not user.is_billing_contact or user.account_id is None:
        raise Forbidden(refusal)
    return user.account_id


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
    # Nothing unreadable goes further (portal.web.input_guard).
    refuse_unreadable(body)
    return body
