"""Helpers the tests call (the fixtures are in tests/conftest.py): the CSRF token of a page,
signing in, posting a form as a browser does, API tokens, waiting for what the worker does."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pyotp
import sqlalchemy as sa
from flask.testing import FlaskClient
from temporalio.testing import TimeSkippingConfig, WorkflowEnvironment

from portal.db import Database
from portal.demo import DEMO_PASSWORD, DEMO_TOTP_SECRETS, demo_code
from portal.devserver import temporal_binary
from portal.models import Account, BillingRequest, Subscription
from workflows.search import dev_server_flags

CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def csrf_token(html: str) -> str:
    match = CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1) or match.group(2)


def login(client: FlaskClient, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in on the pages, giving the two-step code when the portal asks for it."""
    page = client.get("/login")
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_token(page.text)}
    )
    assert response.status_code == 302, response.text
    if response.location == "/login/code":
        step = client.get("/login/code")
        data = {"code": demo_code(email), "csrf_token": csrf_token(step.text)}
        response = client.post("/login/code", data=data)
        assert response.status_code == 302 and response.location != "/login", response.text


def post_form(client: FlaskClient, page_url: str, action_url: str, data: dict[str, Any]) -> Any:
    """Submit a form the way a browser does: read the page for its CSRF token, then post."""
    page = client.get(page_url)
    assert page.status_code == 200, page.status_code
    return client.post(action_url, data={**data, "csrf_token": csrf_token(page.text)})


def api_token(client: FlaskClient, email: str, totp_secret: str | None = None) -> dict[str, str]:
    """Bearer headers of a sign-in; staff give their code (the demo's key, or `totp_secret`)."""
    body = {"email": email, "password": DEMO_PASSWORD}
    if totp_secret is not None:
        body["code"] = pyotp.TOTP(totp_secret).now()
    elif email in DEMO_TOTP_SECRETS:
        body["code"] = demo_code(email)
    response = client.post("/api/v1/tokens", json=body)
    assert response.status_code == 201, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


def wait_for(predicate: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def request_status(database: Database, request_id: int) -> str:
    with database.session() as session:
        row = session.get(BillingRequest, request_id)
        assert row is not None
        return row.status


async def time_skipping_server() -> WorkflowEnvironment:
    """A dev server of its own with time skipping (start_time_skipping_v2, offline): virtual
    time moves only when a test fast-forwards a workflow, never on its own."""
    return await WorkflowEnvironment.start_time_skipping_v2(
        ts_config=TimeSkippingConfig(enabled=False),
        dev_server_existing_path=temporal_binary(),
        dev_server_extra_args=[
            "--headless",
            "--dynamic-config-value",
            "frontend.WorkflowTimeSkippingEnabled=true",
            *dev_server_flags(),
        ],
    )


def initech_business(database: Database) -> Subscription:
    """The demo's standard account's GoToMeeting Business subscription, as stored now."""
    with database.session() as session:
        found = session.scalars(
            sa.select(Subscription).join(Account).where(Account.name == "Initech LLC")
        ).all()
        [business] = [item for item in found if item.plan.name == "GoToMeeting Business"]
        session.expunge(business)
        return business


def post_over_http(url: str, body: Any, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """POST `body` as JSON over a real connection (for threads racing on the live `server`):
    the status and the decoded answer, errors included."""
    call = urllib.request.Request(  # noqa: S310 - the tests' server is on 127.0.0.1
        url,
        data=json.dumps(body).encode(),
        headers={**(headers or {}), "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(call, timeout=60) as answer:  # noqa: S310
            return int(answer.status), json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read() or b"null")
