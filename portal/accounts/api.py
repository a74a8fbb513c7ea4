"""The API of the account itself: tokens (sign in), who I am, my account."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from portal.accounts.recipients import set_invoice_recipients
from portal.accounts.security import issue_token
from portal.accounts.throttle import Throttled, sign_in
from portal.billing_requests.queries import pending_requests_of_account
from portal.errors import NotFound, ValidationFailed
from portal.i18n import _
from portal.models import Account
from portal.web.api_support import Reply, api_user, bp, json_body, token_required
from portal.web.extensions import get_session


def account_json(account: Account) -> dict[str, Any]:
    contact = account.billing_contact
    pending = get_session().scalars(pending_requests_of_account(account.id))
    return {
        "id": account.id,
        "name": account.name,
        "country": account.country,
        "kind": account.kind,
        "billing_frequency": account.billing_frequency,
        "next_renewal": account.next_renewal.isoformat() if account.next_renewal else None,
        "billing_contact": {"name": contact.name, "email": contact.email} if contact else None,
        "pending_changes": [{"id": r.id, "type": r.type, "status": r.status} for r in pending],
        "invoice_recipients": list(account.invoice_recipients or []),
    }


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


@bp.put("/account/invoice-recipients")
@token_required
def invoice_recipients() -> Reply:
    """The whole list at once: `{"emails": [...]}`; `[]` empties it."""
    kept = set_invoice_recipients(get_session(), api_user(), json_body().get("emails"))
    get_session().commit()
    return jsonify({"invoice_recipients": kept})
