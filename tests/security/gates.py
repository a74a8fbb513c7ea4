"""Who may do what: the roles the security tests play and, for every route of the app, what
each role gets (GATES). A route missing here fails test_authorization_matrix.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

ALICE = "alice@acme.example"
BOB = "bob@acme.example"
CHLOE = "chloe@globex.example"
PETER = "peter@initech.example"
TESS = "tess@logmein.example"
SAM = "sam@logmein.example"


# -- who ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Who:
    name: str
    email: str | None
    account: str | None  # the key of their account's objects: "acme", "globex", "initech"
    kind: str  # "anonymous", "member", "contact" or "staff"


ANONYMOUS = Who("anonymous", None, None, "anonymous")
ROLES = (
    ANONYMOUS,
    Who("member", BOB, "acme", "member"),
    Who("contact", ALICE, "acme", "contact"),
    Who("other_contact", CHLOE, "globex", "contact"),
    Who("standard_contact", PETER, "initech", "contact"),
    Who("technician", TESS, None, "staff"),
    Who("supervisor", SAM, None, "staff"),
)
BY_NAME = {who.name: who for who in ROLES}


# -- what each route allows --------------------------------------------------------------------


PASS = "allowed"  # past the gate: 2xx, a redirect elsewhere than the sign-in, 400, 409, 410...
LOGIN = "redirect to /login"
UNAUTHORIZED = "401"
FORBIDDEN = "403"
NOT_FOUND = "404"


@dataclass(frozen=True)
class Gate:
    """What a route answers: anonymous, a member, a billing contact (on an object of their own
    account, or on a route without one), staff; a billing contact on another account's object
    gets `foreign`. `only` overrides one role by name, e.g. the one account a rule allows."""

    anonymous: str
    member: str
    contact: str
    staff: str
    foreign: str = NOT_FOUND
    only: Mapping[str, str] = field(default_factory=dict)

    def expect(self, who: Who, owner: str | None) -> str:
        if who.kind == "anonymous":
            return self.only.get(who.name, self.anonymous)
        if who.kind == "contact" and owner is not None and owner != who.account:
            return self.foreign
        default = {"member": self.member, "contact": self.contact, "staff": self.staff}[who.kind]
        return self.only.get(who.name, default)


PUBLIC = Gate(PASS, PASS, PASS, PASS, foreign=PASS)
SIGNED_IN_PAGE = Gate(LOGIN, PASS, PASS, PASS)
CONTACT_PAGE = Gate(LOGIN, FORBIDDEN, PASS, FORBIDDEN)
STAFF_PAGE = Gate(LOGIN, FORBIDDEN, FORBIDDEN, PASS, foreign=FORBIDDEN)
CONTACT_API = Gate(UNAUTHORIZED, FORBIDDEN, PASS, FORBIDDEN)
STAFF_API = Gate(UNAUTHORIZED, FORBIDDEN, FORBIDDEN, PASS, foreign=FORBIDDEN)
# A customer's step on a request: staff see every request, so they pass the route; the
# workflow's validator then refuses them the step itself (test_staff_cannot_take_...).
CONTACT_STEP_API = Gate(UNAUTHORIZED, FORBIDDEN, PASS, PASS)
# Only a standard account serves itself; a Corporate one asks a technician (403).
STANDARD_ONLY_API = Gate(
    UNAUTHORIZED, FORBIDDEN, FORBIDDEN, FORBIDDEN, only={"standard_contact": PASS}
)
US_CORPORATE_CONTACT_ONLY = {"contact": PASS}

# Every route of the app, by endpoint ("endpoint METHOD" when one method differs). A route
# missing here fails the matrix.
GATES: dict[str, Gate] = {
    # public
    "accounts.login": PUBLIC,
    "language.choose": PUBLIC,
    "accounts.accept_invitation_page": PUBLIC,
    "account_security.forgot": PUBLIC,
    "accounts.login_code": PUBLIC,  # back to the sign-in page unless a password was just right
    "account_security.reset": PUBLIC,  # the link's token is the key: 410 for an unknown one
    "health.healthz": PUBLIC,
    # The API's description: what it takes is no secret, what it holds is behind tokens.
    "openapi_document": PUBLIC,
    "api_docs": PUBLIC,
    # A bearer token of its own (PORTAL_METRICS_TOKEN), which no role here holds.
    "metrics": Gate(UNAUTHORIZED, UNAUTHORIZED, UNAUTHORIZED, UNAUTHORIZED, foreign=UNAUTHORIZED),
    # Signing in, for anyone; with a bearer token, a service token: the billing contact's.
    "api.create_token": Gate(PASS, FORBIDDEN, PASS, FORBIDDEN, foreign=PASS),
    "api.ask_for_password_reset": PUBLIC,
    # any signed-in person
    "accounts.home": SIGNED_IN_PAGE,
    "accounts.logout": SIGNED_IN_PAGE,
    "account_security.security": SIGNED_IN_PAGE,
    "account_security.change_password": SIGNED_IN_PAGE,
    "account_security.two_step_page": SIGNED_IN_PAGE,
    "account_security.turn_on_two_step": SIGNED_IN_PAGE,
    "account_security.turn_off_two_step": SIGNED_IN_PAGE,  # refused to staff, who keep it on
    # One's own session or token; for anybody else's, "no such session" and nothing done.
    "account_security.end_session": SIGNED_IN_PAGE,
    "account_security.revoke_token": SIGNED_IN_PAGE,
    "outbox.index": SIGNED_IN_PAGE,  # each sees only their own mails; staff every mail
    "documents.w9_page": SIGNED_IN_PAGE,  # says why not, and what to do instead
    "documents.w9_pdf": Gate(
        LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, only=US_CORPORATE_CONTACT_ONLY
    ),
    "documents.download": Gate(LOGIN, FORBIDDEN, PASS, PASS),
    "billing_requests.quote_pdf": Gate(LOGIN, FORBIDDEN, PASS, PASS),
    # billing contacts' pages
    "purchase_orders.index": CONTACT_PAGE,
    "purchase_orders.detail": CONTACT_PAGE,
    "purchase_orders.edit": CONTACT_PAGE,
    "billing_requests.index": CONTACT_PAGE,
    "billing_requests.detail": CONTACT_PAGE,
    "billing_requests.act": CONTACT_PAGE,  # cancel, answer, accept or decline a quote
    "billing_requests.new": CONTACT_PAGE,
    # A standard account's contact sees the form, but only Corporate accounts may send it.
    "billing_requests.new POST": Gate(
        LOGIN, FORBIDDEN, PASS, FORBIDDEN, only={"standard_contact": FORBIDDEN}
    ),
    # the technicians' console
    "billing.subscriptions": CONTACT_PAGE,
    "billing.preview": CONTACT_PAGE,
    "billing.change": CONTACT_PAGE,  # a Corporate account's change becomes a request
    "billing.act": CONTACT_PAGE,  # cancel, reactivate: a Corporate account's become requests
    "billing.change_period": CONTACT_PAGE,  # refused to Corporate (a frequency-change request)
    "sandbox.move": CONTACT_PAGE,  # development only: the test settings are development
    "accounts.invoice_recipients": CONTACT_PAGE,
    "billing.add": CONTACT_PAGE,
    "billing.payment_method": CONTACT_PAGE,
    "billing.history": CONTACT_PAGE,
    # An invoice: its account's contact, or staff answering a question about it.
    "billing.statement": Gate(LOGIN, FORBIDDEN, PASS, PASS),
    "billing.statement_pdf": Gate(LOGIN, FORBIDDEN, PASS, PASS),
    "console.queue": STAFF_PAGE,
    "console.task": STAFF_PAGE,
    "console.act": STAFF_PAGE,
    "console.bulk_approve": STAFF_PAGE,
    "console.new_contact_change": STAFF_PAGE,
    "console.resend_invitation": STAFF_PAGE,
    "console.account": STAFF_PAGE,
    # API: identity
    "api.me": Gate(UNAUTHORIZED, PASS, PASS, PASS),
    "api.tokens": Gate(UNAUTHORIZED, PASS, PASS, PASS),
    "api.revoke_this_token": Gate(UNAUTHORIZED, PASS, PASS, PASS),
    # One's own token or session; another's, or none: 404.
    "api.revoke_token": Gate(UNAUTHORIZED, NOT_FOUND, NOT_FOUND, NOT_FOUND),
    "api.browser_sessions": Gate(UNAUTHORIZED, PASS, PASS, PASS),
    "api.end_browser_session": Gate(UNAUTHORIZED, NOT_FOUND, NOT_FOUND, NOT_FOUND),
    "api.account": Gate(UNAUTHORIZED, PASS, PASS, NOT_FOUND),  # staff belong to no account
    "api.invoice_recipients": CONTACT_API,
    # API: requests
    "api.submit": Gate(UNAUTHORIZED, FORBIDDEN, PASS, PASS, only={"standard_contact": FORBIDDEN}),
    "api.list_requests": Gate(UNAUTHORIZED, FORBIDDEN, PASS, PASS),
    "api.show_request": Gate(UNAUTHORIZED, FORBIDDEN, PASS, PASS),
    "api.quote_pdf": Gate(UNAUTHORIZED, FORBIDDEN, PASS, PASS),
    # The one who named a new contact (a member by then), or staff; anyone else: 404.
    "api.resend_my_invitation": Gate(UNAUTHORIZED, NOT_FOUND, PASS, PASS),
    "api.cancel": CONTACT_STEP_API,
    "api.provide_info": CONTACT_STEP_API,
    "api.accept_quote": CONTACT_STEP_API,
    "api.decline_quote": CONTACT_STEP_API,
    # API: purchase orders, documents, the W-9
    # Staff name the account (?account=): the technicians' view of a customer's lists.
    "api.purchase_orders": Gate(UNAUTHORIZED, FORBIDDEN, PASS, PASS),
    "api.purchase_order": Gate(UNAUTHORIZED, FORBIDDEN, PASS, PASS),
    "documents_api.api_download": Gate(UNAUTHORIZED, FORBIDDEN, PASS, PASS),
    "documents_api.api_w9": Gate(
        UNAUTHORIZED, FORBIDDEN, FORBIDDEN, FORBIDDEN, only=US_CORPORATE_CONTACT_ONLY
    ),
    # API: technicians
    "api.tasks": STAFF_API,
    "api.task": STAFF_API,
    **{
        f"api.{verb}": STAFF_API
        for verb in (
            "claim",
            "approve",
            "reject",
            "request_info",
            "reassign",
            "extend_quote",
            "retry",
        )
    },
    "api.resend_invitation": STAFF_API,
    "api.bulk_approve": STAFF_API,
    # Webhooks: the billing contact's; an endpoint of anyone else's is a 404.
    "api.register_webhook": CONTACT_API,
    "api.webhooks": CONTACT_API,
    "api.change_webhook": Gate(UNAUTHORIZED, NOT_FOUND, NOT_FOUND, NOT_FOUND),  # PATCH
    "api.webhook_deliveries": Gate(UNAUTHORIZED, NOT_FOUND, NOT_FOUND, NOT_FOUND),
    "api.approve_with_a_file": STAFF_API,
    # API: billing centre
    "billing_api.subscriptions": CONTACT_API,
    "billing_api.add": CONTACT_API,  # a Corporate account's becomes a request
    "billing_api.preview": CONTACT_API,
    "billing_api.change": CONTACT_API,  # a Corporate account's change becomes a request
    "billing_api.cancel": CONTACT_API,  # a Corporate account's becomes a request
    "billing_api.undo_cancel": CONTACT_API,  # a Corporate account's becomes a request
    "billing_api.reactivate": CONTACT_API,  # a Corporate account's becomes a request
    "billing_api.invoices": Gate(UNAUTHORIZED, FORBIDDEN, PASS, PASS),
    # Staff read any invoice by its id (they answer invoice questions), list none.
    "billing_api.invoice": Gate(UNAUTHORIZED, FORBIDDEN, PASS, PASS),
    "billing_api.invoice_pdf_file": Gate(UNAUTHORIZED, FORBIDDEN, PASS, PASS),
    "billing_api.payment_method": CONTACT_API,
    "billing_api.balance": CONTACT_API,
    # The sandbox clock: a contact's own account; staff name one (none named here: 404).
    "billing_api.sandbox_clock": Gate(UNAUTHORIZED, FORBIDDEN, PASS, NOT_FOUND),
    # Moving it, staff name the account in the body (the empty body here is a 400 for that).
    "billing_api.move_sandbox_clock": Gate(UNAUTHORIZED, FORBIDDEN, PASS, PASS),
    "billing_api.payments": CONTACT_API,
    "billing_api.save_payment_method": STANDARD_ONLY_API,  # Corporate accounts pay by invoice
}

# URL parameters naming an object, by the family of objects they name.
OBJECT_PARAMETERS = {
    "request_id": "requests",
    "po_id": "purchase_orders",
    "document_id": "documents",
    "invoice_id": "invoices",
    "subscription_id": "subscriptions",
    "account_id": "accounts",
}
# The other parameters: one value each (the invitation's token is the world's real one).
FIXED_PARAMETERS = {
    "verb": "claim",
    "request_type": "quote",
    "session_id": 999999,
    "token_id": 999999,
    "endpoint_id": 999999,
}
# Where that value is no action of the route's: the route's own.
ROUTE_PARAMETERS = {"billing_requests.act": {"verb": "cancel"}}
