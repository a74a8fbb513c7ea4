"""What every JSON API endpoint shares: the one `api` blueprint (/api/v1; each feature adds
its endpoints in its own api.py), bearer-token authentication, the body as a JSON object and
errors as JSON (docs/design.md §5)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, Flask, Response, g, jsonify, request
from flask.json.provider import DefaultJSONProvider

from portal.accounts.security import live_token
from portal.accounts.service_tokens import allows, bearer_of, scope_needed
from portal.errors import Forbidden, NotFound, PortalError, ValidationFailed
from portal.i18n import _
from portal.models import Account, User
from portal.web.extensions import get_session, use_account_clock

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
    from portal.web import openapi

    app.json = BodyParser(app)
    app.register_blueprint(bp)
    openapi.init_app(app)


class BodyParser(DefaultJSONProvider):
    """JSON nested deeper than Python can parse is no JSON at all: a 400 (the body must be a
    JSON object), not a RecursionError in whatever reads the body first."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("nested too deeply") from None


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


def listed_account_id(refusal: str, account: int | None) -> int:
    """Whose list a call reads: a billing contact's own account; for staff, the one named by
    `?account=` (400 without it, 404 for none). Anyone else: Forbidden(`refusal`)."""
    user = api_user()
    if user.is_staff:
        if account is None:
            message = _("Name the account: ?account=<id>.")
            raise ValidationFailed(message, {"account": message})
        if get_session().get(Account, account) is None:
            raise NotFound(_("No such account."), {"account": _("No such account.")})
        return account
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
