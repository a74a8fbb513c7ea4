"""The API of the account itself: tokens (sign in, list, revoke), browser sessions, password
resets, who I am, my account."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Response, g, jsonify, request

from portal.accounts import passwords, service_tokens, sessions, two_step
from portal.accounts.recipients import set_invoice_recipients
from portal.accounts.schemas import (
    SERVICE_TOKEN_FIELDS,
    SIGN_IN_FIELDS,
    AccountReply,
    InvoiceRecipientsBody,
    InvoiceRecipientsReply,
    MeReply,
    MessageReply,
    NewToken,
    PasswordResetBody,
    SessionList,
    TokenBody,
    TokenList,
)
from portal.accounts.security import issue_token
from portal.accounts.throttle import Throttled, sign_in
from portal.billing_requests.queries import pending_requests_of_account
from portal.errors import NotFound, ValidationFailed
from portal.i18n import _
from portal.models import Account, ApiToken, User, UserSession
from portal.web.api_support import Reply, api_user, bp, token_required
from portal.web.extensions import get_session, get_settings
from portal.web.openapi import described
from portal.web.paging import ListQuery, list_args, page_of

TAG = "Accounts"
F = TypeVar("F", bound=Callable[..., Any])


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


def _token_if_sent(view: F) -> F:
    """A bearer token, when the call sends one, is checked before anything else (making a
    service token takes a billing contact's); without one, the call signs in."""
    guarded = token_required(view)

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if request.headers.get("Authorization"):
            return guarded(*args, **kwargs)
        return view(*args, **kwargs)

    return cast(F, wrapper)


@bp.post("/tokens")
@_token_if_sent
@described(
    TAG,
    {201: NewToken},
    errors=(400, 401, 403, 429),
    json=TokenBody,
    public=True,
    bearer_optional=True,
)
def create_token(json: TokenBody) -> Reply:
    """Sign in for a person's token, or make a service token with a billing contact's token."""
    if request.headers.get("Authorization"):
        return _create_service_token(json)
    _refuse_fields(json, SERVICE_TOKEN_FIELDS)
    email, password = json.email, json.password
    if not email or not password:
        raise ValidationFailed(
            _("E-mail and password are required."),
            {"email": _("Required."), "password": _("Required.")},
        )
    session = get_session()
    try:
        user = sign_in(session, email, password)
    except Throttled as refused:
        return _throttled(refused)
    if user is None:
        message = _("Incorrect e-mail or password.")
        return jsonify({"error": message, "code": "invalid_credentials"}), 401
    not_yet = _second_step_refusal(user, json.code)
    if not_yet is not None:
        return not_yet
    token = issue_token(session, user)
    session.commit()
    return jsonify({"token": token}), 201


def _refuse_fields(json: TokenBody, fields: tuple[str, ...]) -> None:
    """The fields of the other way of making a token are refused, as a body's unknown ones."""
    sent = [name for name in fields if name in json.model_fields_set]
    if sent:
        why = _("Not a field of this call.")
        raise ValidationFailed(
            _("%(field)s: %(why)s", field=sent[0], why=why), dict.fromkeys(sent, why)
        )


def _throttled(refused: Throttled) -> Reply:
    reply = jsonify({"error": refused.message, "code": refused.code})
    reply.headers["Retry-After"] = str(refused.retry_after)
    return reply, 429


def _second_step_refusal(user: User, code: str | None) -> Reply | None:
    """Why a right password is not enough yet (None: it is): the code of two-step sign-in is
    missing or wrong, or a technician has not turned two-step sign-in on."""
    if user.has_two_step:
        if code is None or not code.strip():
            error = _("Give the code of your authenticator app as `code`.")
            return jsonify({"error": error, "code": "two_step_required"}), 401
        try:
            passed = two_step.check_code(get_session(), user, code)
        except Throttled as refused:
            return _throttled(refused)
        if not passed:
            return jsonify({"error": str(two_step.WRONG_CODE), "code": "two_step_required"}), 401
    elif two_step.required_of(user):
        error = _("Turn on two-step sign-in on the portal's Sign-in and security page first.")
        return jsonify({"error": error, "code": "two_step_setup_required"}), 403
    return None


def _create_service_token(json: TokenBody) -> Reply:
    """A service token of the caller's account (the caller's token is checked already)."""
    _refuse_fields(json, SIGN_IN_FIELDS)
    row, secret = service_tokens.create_service_token(
        get_session(), api_user(), json.name, json.scopes
    )
    return jsonify({**_token_json(row), "token": secret}), 201


@bp.get("/me")
@token_required
@described(TAG, {200: MeReply})
def me() -> Reply:
    """Who the token acts as (a service token: the account's billing contact)."""
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
@described(TAG, {200: AccountReply}, errors=(404,))
def account() -> Reply:
    """The caller's customer account, with its changes under way."""
    user = api_user()
    if user.account_id is None:
        raise NotFound(_("You are not a member of a customer account."))
    found = get_session().get(Account, user.account_id)
    assert found is not None
    return jsonify(account_json(found))


@bp.put("/account/invoice-recipients")
@token_required
@described(TAG, {200: InvoiceRecipientsReply}, errors=(400,), json=InvoiceRecipientsBody)
def invoice_recipients(json: InvoiceRecipientsBody) -> Reply:
    """Replace the list of who else is mailed every invoice (the billing contact only)."""
    kept = set_invoice_recipients(get_session(), api_user(), json.emails)
    get_session().commit()
    return jsonify({"invoice_recipients": kept})


@bp.get("/tokens")
@token_required
@described(TAG, {200: TokenList}, errors=(400,), query=ListQuery)
def tokens(query: ListQuery) -> Reply:
    """The caller's live tokens and, for a billing contact, the account's service tokens."""
    held = service_tokens.held_tokens_query(api_user())
    page = page_of(get_session(), held, ApiToken, list_args(query))
    return jsonify(
        {"items": [_token_json(token) for token in page.items], "next_cursor": page.next_cursor}
    )


def _token_json(token: ApiToken) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": token.id,
        "kind": "service" if token.account_id is not None else "personal",
        "created_at": token.created_at.isoformat(),
        "expires_at": token.expires_at.isoformat(),
        "current": token.id == g.api_token_id,
    }
    if token.account_id is not None:
        last = token.last_used_at
        body |= {
            "name": token.name,
            "scopes": token.scopes,
            "last_used_at": last and last.isoformat(),
        }
    return body


@bp.delete("/tokens")
@token_required
@described(TAG, {204: None}, errors=(404,))
def revoke_this_token() -> Reply:
    """Sign out of the API: the token of this call stops working."""
    sessions.revoke_token_of(get_session(), api_user(), g.api_token_id)
    get_session().commit()
    return Response(status=204)


@bp.delete("/tokens/<token_id>")
@token_required
@described(TAG, {204: None}, errors=(404,))
def revoke_token(token_id: str) -> Reply:
    """Revoke one of the caller's tokens, or a service token of the caller's account."""
    sessions.revoke_token_of(get_session(), api_user(), token_id)
    get_session().commit()
    return Response(status=204)


@bp.get("/sessions")
@token_required
@described(TAG, {200: SessionList}, errors=(400,), query=ListQuery)
def browser_sessions(query: ListQuery) -> Reply:
    """The caller's browsers signed in to the portal, newest first."""
    held = sessions.sessions_query(api_user())
    page = page_of(get_session(), held, UserSession, list_args(query))
    items = [
        {
            "id": item.id,
            "user_agent": item.user_agent,
            "address": item.address,
            "created_at": item.created_at.isoformat(),
            "last_seen_at": item.last_seen_at.isoformat(),
        }
        for item in page.items
    ]
    return jsonify({"items": items, "next_cursor": page.next_cursor})


@bp.delete("/sessions/<session_id>")
@token_required
@described(TAG, {204: None}, errors=(404,))
def end_browser_session(session_id: str) -> Reply:
    """Sign one of the caller's browsers out."""
    sessions.end_session_of(get_session(), api_user(), session_id)
    get_session().commit()
    return Response(status=204)


@bp.post("/password-resets")
@described(TAG, {202: MessageReply}, errors=(400,), json=PasswordResetBody, public=True)
def ask_for_password_reset(json: PasswordResetBody) -> Reply:
    """Mail a link to choose a new password to the address's owner, if any (202 whatever)."""
    if not json.email.strip():
        raise ValidationFailed(_("An e-mail address is required."), {"email": _("Required.")})
    passwords.ask_for_reset(get_session(), json.email, get_settings().base_url)
    message = _("If an account has this address, a link to choose a new password is on its way.")
    return jsonify({"message": message}), 202
