"""Security, on the real app, Temporal server and worker:

- an authorization matrix generated from the app's URL map: every route, every role, an
  object of its own account and of another one, against a table of what each route family
  allows (a route missing from the table fails, so a new route cannot be forgotten);
- CSRF refused on every state-changing form, with nothing changed;
- cookie flags in development and outside it, security headers, no inline script;
- sign-in throttling per e-mail and per address, for the pages and the API, with no user
  enumeration;
- every JSON API body fuzzed with hypothesis: never a 500, always a JSON error.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_login import login_user
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from werkzeug.routing import Rule
from werkzeug.test import TestResponse
from werkzeug.wrappers import Response as BaseResponse

import portal.accounts.security
import portal.accounts.throttle
from portal import clock
from portal.app import create_app
from portal.billing_centre.invoices import Line, issue_invoice
from portal.config import TemporalSettings, VendorSettings
from portal.console.api import TASK_ACTIONS
from portal.db import Base, Database
from portal.demo import DEMO_PASSWORD
from portal.documents import operations as documents
from portal.documents.pdf import render_vendor_form
from portal.gateway import TemporalBridge
from portal.models import (
    Account,
    Invitation,
    Invoice,
    LoginAttempt,
    PurchaseOrder,
    Subscription,
    User,
)
from portal.web.extensions import get_session
from portal.web.security_headers import CONTENT_SECURITY_POLICY
from tests.conftest import WorkerThread, api_token, csrf_token, login, make_settings

ALICE = "alice@acme.example"
BOB = "bob@acme.example"
CHLOE = "chloe@globex.example"
PETER = "peter@initech.example"
TESS = "tess@logmein.example"
SAM = "sam@logmein.example"
INCORRECT = "Incorrect e-mail or password."
TOO_MANY = "Too many attempts, try again in a few minutes."

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
    "health.healthz": PUBLIC,
    "metrics": PUBLIC,
    "api.create_token": PUBLIC,
    # any signed-in person
    "accounts.home": SIGNED_IN_PAGE,
    "accounts.logout": SIGNED_IN_PAGE,
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
    "billing.act": CONTACT_PAGE,  # cancel, undo, reactivate: refused to Corporate with a message
    "billing.add": CONTACT_PAGE,
    "billing.payment_method": CONTACT_PAGE,
    "billing.history": CONTACT_PAGE,
    "billing.statement": CONTACT_PAGE,
    "billing.statement_pdf": CONTACT_PAGE,
    "console.queue": STAFF_PAGE,
    "console.task": STAFF_PAGE,
    "console.act": STAFF_PAGE,
    "console.bulk_approve": STAFF_PAGE,
    "console.new_contact_change": STAFF_PAGE,
    # API: identity
    "api.me": Gate(UNAUTHORIZED, PASS, PASS, PASS),
    "api.account": Gate(UNAUTHORIZED, PASS, PASS, NOT_FOUND),  # staff belong to no account
    # API: requests
    "api.submit": Gate(UNAUTHORIZED, FORBIDDEN, PASS, PASS, only={"standard_contact": FORBIDDEN}),
    "api.list_requests": Gate(UNAUTHORIZED, FORBIDDEN, PASS, PASS),
    "api.show_request": Gate(UNAUTHORIZED, FORBIDDEN, PASS, PASS),
    "api.cancel": CONTACT_STEP_API,
    "api.provide_info": CONTACT_STEP_API,
    "api.accept_quote": CONTACT_STEP_API,
    "api.decline_quote": CONTACT_STEP_API,
    # API: purchase orders, documents, the W-9
    "api.purchase_orders": CONTACT_API,
    "api.purchase_order": Gate(UNAUTHORIZED, FORBIDDEN, PASS, PASS),
    "documents_api.api_download": Gate(UNAUTHORIZED, FORBIDDEN, PASS, PASS),
    "documents_api.api_w9": Gate(
        UNAUTHORIZED, FORBIDDEN, FORBIDDEN, FORBIDDEN, only=US_CORPORATE_CONTACT_ONLY
    ),
    # API: technicians
    "api.tasks": STAFF_API,
    "api.task": STAFF_API,
    "api.task_action": STAFF_API,
    # API: billing centre
    "billing_api.subscriptions": CONTACT_API,
    "billing_api.add": STANDARD_ONLY_API,
    "billing_api.preview": CONTACT_API,
    "billing_api.change": CONTACT_API,  # a Corporate account's change becomes a request
    "billing_api.cancel": STANDARD_ONLY_API,
    "billing_api.undo_cancel": STANDARD_ONLY_API,
    "billing_api.reactivate": STANDARD_ONLY_API,
    "billing_api.invoices": CONTACT_API,
    # Staff read any invoice by its id (they answer invoice questions), list none.
    "billing_api.invoice": Gate(UNAUTHORIZED, FORBIDDEN, PASS, PASS),
    "billing_api.invoice_pdf_file": Gate(UNAUTHORIZED, FORBIDDEN, PASS, PASS),
    "billing_api.payment_method": CONTACT_API,
    "billing_api.save_payment_method": STANDARD_ONLY_API,  # Corporate accounts pay by invoice
}

# URL parameters naming an object, by the family of objects they name.
OBJECT_PARAMETERS = {
    "request_id": "requests",
    "po_id": "purchase_orders",
    "document_id": "documents",
    "invoice_id": "invoices",
    "subscription_id": "subscriptions",
}
# The other parameters: one value each (the invitation's token is the world's real one).
FIXED_PARAMETERS = {"verb": "claim", "request_type": "quote"}
# Where that value is no action of the route's: the route's own.
ROUTE_PARAMETERS = {"billing_requests.act": {"verb": "cancel"}}

QUOTE = {"items": [{"product": "GoToMeeting Business", "seats": 10}], "term_months": 12}


# -- the world the matrix walks ----------------------------------------------------------------


@dataclass
class World:
    objects: dict[str, dict[str, int]]  # family → account key → id
    tokens: dict[str, dict[str, str]]  # role name → bearer headers
    invitation_token: str


def _account_ids(session: Any) -> dict[str, int]:
    names = {"acme": "Acme Corporation", "globex": "Globex SARL", "initech": "Initech LLC"}
    return {
        key: session.scalar(sa.select(Account.id).where(Account.name == name))
        for key, name in names.items()
    }


def _first(session: Any, model: Any, account_id: int) -> int:
    found = session.scalar(
        sa.select(model.id).where(model.account_id == account_id).order_by(model.id).limit(1)
    )
    assert found is not None, (model, account_id)
    return int(found)


def _priced_quote(client: FlaskClient, contact: dict[str, str], staff: dict[str, str]) -> int:
    submitted = client.post(
        "/api/v1/requests", json={"type": "quote", "payload": QUOTE}, headers=contact
    )
    assert submitted.status_code == 202, submitted.json
    request_id = int(json_of(submitted)["id"])
    for verb in ("claim", "approve"):
        done = client.post(f"/api/v1/tasks/{request_id}/{verb}", json={}, headers=staff)
        assert done.status_code == 200, done.json
    assert json_of(done)["status"] == "quoted"
    return request_id


@pytest.fixture
def world(app: Flask, running: WorkerThread, database: Database) -> World:
    client = app.test_client()
    tokens = {who.name: api_token(client, who.email) for who in ROLES if who.email}
    acme_request = _priced_quote(client, tokens["contact"], tokens["technician"])
    globex_request = _priced_quote(client, tokens["other_contact"], tokens["technician"])
    invitation_token = "matrix-invitation-token"
    pdf = render_vendor_form(VendorSettings(), "Test", "for the matrix")
    with database.session() as session:
        accounts = _account_ids(session)
        objects: dict[str, dict[str, int]] = {
            "requests": {"acme": acme_request, "globex": globex_request},
            "purchase_orders": {
                key: _first(session, PurchaseOrder, accounts[key]) for key in ("acme", "globex")
            },
            "subscriptions": {
                key: _first(session, Subscription, accounts[key]) for key in accounts
            },
            "documents": {
                key: documents.store_document(
                    session, accounts[key], "vendor_form", f"{key}.pdf", pdf
                ).id
                for key in ("acme", "globex")
            },
        }
        globex = session.get(Account, accounts["globex"])
        assert globex is not None
        issue_invoice(session, globex, [Line("Consulting", 1, Decimal("100"))], "open", "charge")
        session.flush()
        objects["invoices"] = {key: _first(session, Invoice, accounts[key]) for key in accounts}
        bob = session.scalar(sa.select(User).where(User.email == BOB))
        assert bob is not None
        session.add(
            Invitation(
                user_id=bob.id,
                token_hash=hashlib.sha256(invitation_token.encode()).hexdigest(),
                expires_at=clock.now() + timedelta(days=1),
            )
        )
    return World(objects, tokens, invitation_token)


# -- walking the URL map -----------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    rule: Rule
    method: str
    owner: str | None  # whose object the URL names, if any
    url: str

    @property
    def is_api(self) -> bool:
        return self.rule.rule.startswith("/api/")

    @property
    def gate(self) -> Gate:
        endpoint = self.rule.endpoint
        return GATES.get(f"{endpoint} {self.method}") or GATES[endpoint]

    def __str__(self) -> str:
        owner = f" [{self.owner}'s object]" if self.owner else ""
        return f"{self.method} {self.rule.rule}{owner}"


def routes(app: Flask) -> list[Rule]:
    return sorted(
        (rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"),
        key=lambda rule: rule.rule,
    )


def cells(app: Flask, world: World) -> Iterator[Cell]:
    """Every route, method and owner; reads first, then writes, signing out last."""
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in routes(app):
        families = {OBJECT_PARAMETERS[name] for name in rule.arguments if name in OBJECT_PARAMETERS}
        unknown = set(rule.arguments) - set(OBJECT_PARAMETERS) - {*FIXED_PARAMETERS, "token"}
        assert not unknown, f"{rule.rule}: say in this test what {unknown} should be"
        assert len(families) <= 1, rule.rule
        fixed = {name: value for name, value in FIXED_PARAMETERS.items() if name in rule.arguments}
        fixed.update(ROUTE_PARAMETERS.get(rule.endpoint, {}))
        if "token" in rule.arguments:
            fixed["token"] = world.invitation_token
        owners: list[str | None] = list(world.objects[next(iter(families))]) if families else [None]
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            for owner in owners:
                values: dict[str, Any] = dict(fixed)
                if owner is not None:
                    family = next(iter(families))
                    parameter = next(n for n in rule.arguments if n in OBJECT_PARAMETERS)
                    values[parameter] = world.objects[family][owner]
                url = adapter.build(rule.endpoint, values, method=method)
                found.append(Cell(rule, method, owner, url))
    found.sort(key=lambda c: (c.method == "POST", c.rule.endpoint == "accounts.logout", str(c)))
    yield from found


def json_of(response: TestResponse) -> dict[str, Any]:
    body = response.get_json(silent=True)
    assert isinstance(body, dict), response.get_data(as_text=True)
    return body


def outcome(response: TestResponse) -> str:
    status = response.status_code
    if status in (301, 302, 303, 307, 308) and "/login?next=" in (response.location or ""):
        return LOGIN
    gates = {401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND}
    if status in gates:
        return gates[status]
    return PASS if status < 500 else f"server error {status}"


class Browser:
    """One role's session on the pages, signed in once, with its CSRF token."""

    def __init__(self, app: Flask, who: Who) -> None:
        self.app, self.who = app, who
        self.client = app.test_client()
        self.sign_in()

    def sign_in(self) -> None:
        if self.who.email:
            login(self.client, self.who.email)
        page = self.client.get("/forms/w9" if self.who.email else "/login")
        self.csrf = csrf_token(page.text)

    def request(self, cell: Cell, body: dict[str, str] | None = None) -> TestResponse:
        if cell.method == "GET":
            return self.client.get(cell.url)
        response = self.client.post(cell.url, data={"csrf_token": self.csrf, **(body or {})})
        if cell.rule.endpoint == "accounts.logout":
            self.sign_in()
        return response


def api_request(client: FlaskClient, cell: Cell, headers: dict[str, str]) -> TestResponse:
    if cell.method == "GET":
        return client.get(cell.url, headers=headers)
    return client.post(cell.url, json={}, headers=headers)


# -- 1. the authorization matrix ---------------------------------------------------------------


def test_every_route_is_in_the_table(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in routes(app)}
    missing = sorted(endpoints - set(GATES))
    assert not missing, f"routes with no declared access rule (add them to GATES): {missing}"
    stale = sorted({key.split(" ")[0] for key in GATES} - endpoints)
    assert not stale, f"GATES names routes the app no longer has: {stale}"


def test_authorization_matrix_every_route_every_role(
    app: Flask, world: World, database: Database
) -> None:
    endpoints = {rule.endpoint for rule in routes(app)}
    assert endpoints <= set(GATES), sorted(endpoints - set(GATES))
    browsers = {who.name: Browser(app, who) for who in ROLES}
    api = app.test_client()
    wrong: list[str] = []
    walked = 0
    for cell in cells(app, world):
        gate = cell.gate
        for who in ROLES:
            if cell.is_api:
                response = api_request(api, cell, world.tokens.get(who.name, {}))
            else:
                response = browsers[who.name].request(cell)
            walked += 1
            got, expected = outcome(response), gate.expect(who, cell.owner)
            if got != expected:
                wrong.append(
                    f"{cell} as {who.name}: {got} ({response.status_code}), not {expected}"
                )
            elif (
                cell.is_api
                and got != PASS
                and not (response.is_json and response.json and response.json.get("error"))
            ):
                wrong.append(f"{cell} as {who.name}: refusal without a JSON error")
    assert walked > 500
    assert not wrong, "\n".join(wrong)


def test_the_api_never_takes_a_session_cookie_for_a_token(app: Flask, world: World) -> None:
    """The API is exempt from CSRF because it reads bearer tokens only: a signed-in browser's
    cookie must get nothing from it, or any site could drive it."""
    browser = Browser(app, BY_NAME["contact"])
    wrong = []
    for cell in cells(app, world):
        if not cell.is_api or cell.gate.anonymous == PASS:
            continue
        response = api_request(browser.client, cell, {})
        if response.status_code != 401:
            wrong.append(f"{cell}: {response.status_code}")
    assert not wrong, wrong


def test_staff_cannot_take_a_customers_step_on_a_request(
    app: Flask, world: World, database: Database
) -> None:
    """The matrix lets staff through these routes (they see every request); with a body the
    step would take, the workflow refuses them, and nothing changes."""
    client = app.test_client()
    request_id = world.objects["requests"]["acme"]
    steps = {
        f"/api/v1/requests/{request_id}/cancel": {"reason": "Not needed"},
        f"/api/v1/requests/{request_id}/provide-info": {"message": "Lyon"},
        f"/api/v1/quotes/{request_id}/accept": {"po_number": "PO-STAFF-1"},
        f"/api/v1/quotes/{request_id}/decline": {"reason": "Too dear"},
    }
    before = fingerprint(database)
    for who in ("technician", "supervisor"):
        for url, body in steps.items():
            response = client.post(url, json=body, headers=world.tokens[who])
            assert response.status_code == 403, (who, url, response.json)
    assert fingerprint(database) == before


# -- 2. CSRF on every state-changing form --------------------------------------------------------

# What any of the forms reads: with a token, each of these posts would change something.
FORM_BODY = {
    "email": ALICE,
    "password": DEMO_PASSWORD,
    "confirm": DEMO_PASSWORD,
    "text": "Because we say so",
    "reason": "Because we say so",
    "comment": "Approved",
    "question": "Which office?",
    "message": "The Lyon office",
    "po_number": "PO-CSRF-1",
    "assignee": "1",
}


def fingerprint(database: Database) -> str:
    digest = hashlib.sha256()
    with database.session() as session:
        for table in Base.metadata.sorted_tables:
            rows = session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
            digest.update(f"{table.name}:{rows!r}".encode())
    return digest.hexdigest()


def test_every_form_refuses_a_post_without_its_csrf_token(
    app: Flask, world: World, database: Database
) -> None:
    writes = [c for c in cells(app, world) if not c.is_api and c.method == "POST"]
    assert {c.rule.endpoint for c in writes} >= {"accounts.login", "accounts.logout", "console.act"}
    preference = ["anonymous", "contact", "standard_contact", "technician", "supervisor"]
    for cell in writes:
        if cell.owner not in (None, "acme"):
            continue
        gate = cell.gate
        who = next(BY_NAME[n] for n in preference if gate.expect(BY_NAME[n], cell.owner) == PASS)
        browser = Browser(app, who)
        signed_in_before = outcome(browser.client.get("/forms/w9"))
        before = fingerprint(database)
        forged = browser.client.post(cell.url, data=FORM_BODY)
        assert forged.status_code == 400, (str(cell), who.name, forged.status_code)
        assert "The CSRF token is missing." in forged.text, str(cell)
        assert fingerprint(database) == before, f"{cell}: changed without a CSRF token"
        assert outcome(browser.client.get("/forms/w9")) == signed_in_before, str(cell)


# -- 3. cookies, headers, no inline script -------------------------------------------------------


def _cookie(response: BaseResponse, name: str) -> str:
    found = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert found, (name, response.headers.getlist("Set-Cookie"))
    return found[-1]


def _remember_cookie(app: Flask) -> str:
    with app.test_request_context("/"):
        user = get_session().scalar(sa.select(User).where(User.email == ALICE))
        assert login_user(user, remember=True)
        response = app.process_response(app.response_class("signed in"))
    return _cookie(response, app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))


@pytest.mark.parametrize("development", [True, False], ids=["development", "production"])
def test_session_and_remember_cookies_are_httponly_samesite_and_secure_outside_development(
    development: bool,
    database: Database,
    database_url: str,
    temporal_settings: TemporalSettings,
    bridge: TemporalBridge,
    tmp_path: Path,
    demo: None,
) -> None:
    settings = dataclasses.replace(
        make_settings(database_url, temporal_settings, tmp_path), development=development
    )
    app = create_app(settings, database=database, bridge=bridge, TESTING=True)
    base = "http://localhost" if development else "https://localhost"
    client = app.test_client()
    page = client.get("/login", base_url=base)
    signed_in = client.post(
        "/login",
        base_url=base,
        headers={"Referer": f"{base}/login"},
        data={"email": ALICE, "password": DEMO_PASSWORD, "csrf_token": csrf_token(page.text)},
    )
    assert signed_in.status_code == 302, signed_in.text
    for cookie in (_cookie(signed_in, "session"), _remember_cookie(app)):
        attributes = [part.strip().lower() for part in cookie.split(";")]
        assert "httponly" in attributes, cookie
        assert "samesite=lax" in attributes, cookie
        assert ("secure" in attributes) is not development, cookie
    hsts = signed_in.headers.get("Strict-Transport-Security")
    assert (hsts is None) is development, hsts


def assert_security_headers(response: TestResponse, no_store: bool = True) -> None:
    headers = response.headers
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    policy = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
    assert policy["script-src"] == "'self'" and "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin")
    if no_store:
        assert "no-store" in headers.get("Cache-Control", ""), headers.get("Cache-Control")


def test_security_headers_on_pages_api_answers_errors_and_files(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    @app.get("/test-boom")
    def boom() -> str:
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert_security_headers(client.get("/login"))
    token = api_token(client, ALICE)
    assert_security_headers(client.get("/api/v1/me", headers=token))
    assert_security_headers(client.get("/api/v1/me"))  # 401
    assert_security_headers(client.get("/api/v1/forms/w9", headers=token))  # a PDF
    assert_security_headers(client.get("/no-such-page"))  # 404 page
    assert_security_headers(client.get("/test-boom"))  # 500
    login(client, ALICE)
    assert_security_headers(client.get("/"))
    assert_security_headers(client.get("/console/"))  # 403 page
    static = client.get("/static/portal.css")
    assert static.status_code == 200
    assert_security_headers(static, no_store=False)
    assert "no-store" not in static.headers.get("Cache-Control", "")


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I)
SCRIPT_SRC = re.compile(r"<script\b[^>]*\bsrc=\"([^\"]+)\"", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\s(on[a-z]+|style)\s*=", re.I)


def test_no_inline_script_or_style_in_any_rendered_page(app: Flask, world: World) -> None:
    browsers = {who.name: Browser(app, who) for who in ROLES}
    rendered = 0
    for cell in cells(app, world):
        if cell.is_api or cell.method != "GET":
            continue
        for who in ROLES:
            response = browsers[who.name].request(cell)
            if response.status_code >= 300 or response.mimetype != "text/html":
                continue
            rendered += 1
            page = response.text
            assert not INLINE_SCRIPT.search(page), (str(cell), who.name)
            assert not INLINE_HANDLER.search(page), (
                str(cell),
                who.name,
                INLINE_HANDLER.findall(page),
            )
            for source in SCRIPT_SRC.findall(page):
                assert source.startswith("/static/"), (str(cell), source)
    assert rendered > 20


# -- 4. sign-in throttling -----------------------------------------------------------------------


def _flashes(page: str) -> list[str]:
    return re.findall(r'<p class="flash flash-\w+"[^>]*>(.*?)</p>', page, re.S)


def sign_in_page(
    client: FlaskClient, email: str, password: str, address: str = "192.0.2.10"
) -> TestResponse:
    page = client.get("/login", environ_base={"REMOTE_ADDR": address})
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(page.text)},
        environ_base={"REMOTE_ADDR": address},
    )


def sign_in_api(
    client: FlaskClient, email: str, password: str, address: str = "192.0.2.10"
) -> TestResponse:
    return client.post(
        "/api/v1/tokens",
        json={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


@pytest.fixture(autouse=True)
def cheap_unknown_email_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unknown e-mail is checked against a dummy hash made at import with production costs;
    the tests' cheap one keeps dozens of failures quick (both paths stay alike)."""
    monkeypatch.setattr(
        portal.accounts.security, "_DUMMY_HASH", portal.accounts.security.hash_password("x")
    )


@pytest.fixture
def password_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The e-mails whose password was checked."""
    checked: list[str] = []
    real = portal.accounts.security.authenticate

    def spy(session: Any, email: str, password: str) -> User | None:
        checked.append(email)
        return real(session, email, password)

    monkeypatch.setattr(portal.accounts.throttle, "authenticate", spy)
    return checked


def test_five_failures_for_one_email_lock_it_for_pages_and_api_alike(
    app: Flask, demo: None, password_checks: list[str]
) -> None:
    client = app.test_client()
    for _attempt in range(3):
        failed = sign_in_page(client, ALICE, "not-it")
        assert failed.status_code == 200 and _flashes(failed.text) == [INCORRECT]
    for _attempt in range(2):
        assert sign_in_api(client, ALICE, "not-it").status_code == 401
    assert len(password_checks) == 5

    # The right password now: refused without being checked, on both doors.
    locked = sign_in_page(client, ALICE, DEMO_PASSWORD)
    assert locked.status_code == 429
    assert _flashes(locked.text) == [INCORRECT, TOO_MANY]
    assert int(locked.headers["Retry-After"]) > 0
    assert client.get("/").status_code == 302, "signed in while locked"
    refused = sign_in_api(client, ALICE.upper(), DEMO_PASSWORD)  # the same e-mail, any case
    assert refused.status_code == 429
    assert refused.json == {"error": TOO_MANY}
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    assert len(password_checks) == 5, "a password was checked while locked"

    # Another person, from the same address, is not concerned.
    assert sign_in_api(client, CHLOE, DEMO_PASSWORD).status_code == 201


def test_an_unknown_email_is_throttled_and_answered_exactly_like_a_known_one(
    app: Flask, demo: None
) -> None:
    client = app.test_client()
    answers: dict[str, list[tuple[int, Any]]] = {}
    for email in (BOB, "nobody@acme.example"):
        answers[email] = [
            (r.status_code, r.json)
            for r in (sign_in_api(client, email, f"guess-{n}") for n in range(6))
        ]
        page = sign_in_page(client, email, "guess-7")
        answers[email].append((page.status_code, _flashes(page.text)))
    assert answers[BOB] == answers["nobody@acme.example"]
    assert answers[BOB][0] == (401, {"error": INCORRECT})
    assert answers[BOB][5] == (429, {"error": TOO_MANY})
    assert answers[BOB][6] == (429, [INCORRECT, TOO_MANY])


def test_twenty_failures_from_one_address_lock_that_address_only(
    app: Flask, demo: None, password_checks: list[str]
) -> None:
    client = app.test_client()
    attacker, neighbour = "198.51.100.7", "198.51.100.8"
    for n in range(20):  # a different e-mail each time: no e-mail reaches its own limit
        assert sign_in_api(client, f"guess{n}@acme.example", "x", attacker).status_code == 401
    assert sign_in_api(client, BOB, DEMO_PASSWORD, attacker).status_code == 429
    assert sign_in_page(client, BOB, DEMO_PASSWORD, attacker).status_code == 429
    assert len(password_checks) == 20
    assert sign_in_api(client, BOB, DEMO_PASSWORD, neighbour).status_code == 201
    assert sign_in_page(client, BOB, DEMO_PASSWORD, neighbour).status_code == 302


def test_forwarded_addresses_are_believed_only_from_a_trusted_proxy(
    database: Database,
    database_url: str,
    temporal_settings: TemporalSettings,
    bridge: TemporalBridge,
    tmp_path: Path,
    demo: None,
) -> None:
    def app_with(proxies: int) -> FlaskClient:
        settings = dataclasses.replace(
            make_settings(database_url, temporal_settings, tmp_path), trusted_proxies=proxies
        )
        return create_app(settings, database=database, bridge=bridge, TESTING=True).test_client()

    def attempt(client: FlaskClient, n: int, forwarded: str, peer: str) -> int:
        return client.post(
            "/api/v1/tokens",
            json={"email": f"guess{n}@acme.example", "password": "x"},
            headers={"X-Forwarded-For": forwarded},
            environ_base={"REMOTE_ADDR": peer},
        ).status_code

    locked_at_the_21st = [401] * 20 + [429]
    # No trusted proxy: a forged X-Forwarded-For does not spread one client over many addresses.
    direct = app_with(0)
    forged = [attempt(direct, n, f"203.0.113.{n}", "192.0.2.50") for n in range(21)]
    assert forged == locked_at_the_21st
    # Behind one trusted proxy, each client is counted apart, by the address the proxy saw.
    proxied = app_with(1)
    behind = [attempt(proxied, n, "198.51.100.1", "192.0.2.60") for n in range(21)]
    assert behind == locked_at_the_21st
    assert attempt(proxied, 99, "198.51.100.2", "192.0.2.60") == 401


def test_a_success_clears_the_emails_failures_and_the_window_ends(
    app: Flask, demo: None, database: Database
) -> None:
    client = app.test_client()
    for _round in range(2):  # 4 + 4 failures: a lock without the reset in between
        for _attempt in range(4):
            assert sign_in_api(client, PETER, "not-it").status_code == 401
        assert sign_in_api(client, PETER, DEMO_PASSWORD).status_code == 201
    for _attempt in range(5):
        assert sign_in_api(client, PETER, "not-it").status_code == 401
    assert sign_in_api(client, PETER, DEMO_PASSWORD).status_code == 429
    # Fifteen minutes later, the failures count for nothing.
    with database.session() as session:
        session.execute(
            sa.update(LoginAttempt).values(at=clock.now() - timedelta(minutes=15, seconds=1))
        )
    assert sign_in_api(client, PETER, DEMO_PASSWORD).status_code == 201


def test_a_nul_character_in_the_email_is_an_ordinary_failure(app: Flask, demo: None) -> None:
    """PostgreSQL stores no NUL: it must not reach the query and turn into a server error."""
    client = app.test_client()
    page = sign_in_page(client, "alice\x00@acme.example", DEMO_PASSWORD)
    assert page.status_code == 200 and _flashes(page.text) == [INCORRECT]
    api = sign_in_api(client, "alice\x00@acme.example", DEMO_PASSWORD)
    assert api.status_code == 400 and json_of(api)["error"]


def test_no_password_or_email_is_logged_or_stored(
    app: Flask, demo: None, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    client = app.test_client()
    secret = "Sup3r-secret-typo"
    caplog.set_level(logging.DEBUG)
    for _attempt in range(6):
        sign_in_api(client, ALICE, secret)
        sign_in_page(client, secret, secret)  # a password typed in the e-mail field
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "sign-in" in logged
    assert secret not in logged and ALICE not in logged
    with database.session() as session:
        stored = repr(session.execute(sa.select(LoginAttempt.__table__)).all())
    assert "192.0.2.10" in stored
    assert secret not in stored and secret.lower() not in stored and ALICE not in stored


# -- 5. fuzzing every JSON API body -----------------------------------------------------------

FIELD_NAMES = sorted(
    {
        *("email", "password", "type", "payload", "idempotency_key", "attachment_id"),
        *("reason", "comment", "question", "message", "assignee", "pricing", "po_number"),
        *("valid_until", "seats", "tier", "plan", "period", "number", "exp_month", "exp_year"),
        *("cvc", "purchase_order_id", "changes", "lines", "items", "term_months", "form"),
        *("details", "region", "topic", "invoice_id", "frequency", "new_contact_email"),
        *("new_contact_name", "account_id", "discount_pct", "valid_days", "subscription_id"),
    }
)
REQUEST_TYPES = [
    "po_edit",
    "quote",
    "contact_change",
    "frequency_change",
    "form_request",
    "account_inquiry",
    "subscription_change",
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(REQUEST_TYPES)
)


def containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    keys = st.sampled_from(FIELD_NAMES) | st.text(max_size=8)
    return st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5)


json_values = st.recursive(scalars, containers, max_leaves=15)
bodies = st.one_of(
    st.dictionaries(st.sampled_from(FIELD_NAMES), json_values, max_size=6).map(json.dumps),
    json_values.map(json.dumps),
    st.binary(max_size=80),  # not JSON at all
).map(lambda body: body.encode() if isinstance(body, str) else body)


# Always tried as well: nesting deeper than the parser allows, and NUL characters in every
# field (PostgreSQL stores none).
DEEP_BODY = b"[" * 100_000 + b"]" * 100_000
NUL_BODY = json.dumps({name: f"x\x00{name}" for name in FIELD_NAMES}).encode()
# 25 bodies per endpoint keeps the suite quick; PORTAL_FUZZ_EXAMPLES=1000 digs deeper.
FUZZ_EXAMPLES = int(os.environ.get("PORTAL_FUZZ_EXAMPLES", "25"))


def test_every_api_body_is_answered_without_a_server_error(app: Flask, world: World) -> None:
    client = app.test_client()
    preference = ["contact", "standard_contact", "technician", "supervisor", "anonymous"]
    writes = [c for c in cells(app, world) if c.is_api and c.method == "POST"]
    # Signing in last: its failures lock this address for the others.
    writes.sort(key=lambda c: c.rule.endpoint == "api.create_token")
    fuzzed: set[str] = set()
    for cell in writes:
        if cell.rule.endpoint in fuzzed:
            continue
        gate = cell.gate
        who = next(
            (
                BY_NAME[n]
                for n in preference
                if gate.expect(BY_NAME[n], cell.owner) == PASS
                and (cell.owner is None or cell.owner == (BY_NAME[n].account or "acme"))
            ),
            None,
        )
        if who is None:
            continue  # another owner's cell of this route
        fuzzed.add(cell.rule.endpoint)
        headers = world.tokens.get(who.name, {})
        verbs = [*sorted(TASK_ACTIONS), "no-such-verb"] if "verb" in cell.rule.arguments else [""]
        fuzz_route(client, cell, headers, verbs)
    posts = {
        r.endpoint
        for r in routes(app)
        if r.rule.startswith("/api/") and "POST" in (r.methods or ())
    }
    assert fuzzed == posts, sorted(posts - fuzzed)


def fuzz_route(client: FlaskClient, cell: Cell, headers: dict[str, str], verbs: list[str]) -> None:
    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(body=bodies, verb=st.sampled_from(verbs))
    @example(body=DEEP_BODY, verb=verbs[0])
    @example(body=NUL_BODY, verb=verbs[0])
    def answer(body: bytes, verb: str) -> None:
        url = cell.url.replace("/claim", f"/{verb}") if verb else cell.url
        response = client.post(
            url, data=body, headers={**headers, "Content-Type": "application/json"}
        )
        assert response.status_code < 500, (str(cell), verb, body, response.text)
        if response.status_code >= 400:
            assert response.is_json, (str(cell), body, response.text)
            error = response.json.get("error") if isinstance(response.json, dict) else None
            assert isinstance(error, str) and error, (str(cell), body, response.json)

    answer()


def test_a_body_beyond_the_largest_upload_is_refused_unread(app: Flask, world: World) -> None:
    client = app.test_client()
    huge = b"x" * (7 * 1024 * 1024)
    response = client.post(
        "/api/v1/requests",
        data=huge,
        headers={**world.tokens["contact"], "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.is_json and json_of(response)["error"]
    browser = Browser(app, BY_NAME["technician"])
    page = browser.client.post("/console/contact-change/new", data={"notes": huge.decode()})
    assert page.status_code == 413
