"""Every JSON API body fuzzed with hypothesis: never a 500, always a JSON error; and a body
beyond the largest upload refused unread."""

from __future__ import annotations

import json
import os
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.security.gates import BY_NAME, PASS
from tests.security.hostile import hostile_scalars
from tests.security.support import Browser, Cell, World, cells, json_of, routes

FIELD_NAMES = sorted(
    {
        *("email", "password", "type", "payload", "idempotency_key", "attachment_id"),
        *("reason", "comment", "question", "message", "assignee", "pricing", "po_number"),
        *("valid_until", "seats", "tier", "plan", "period", "number", "exp_month", "exp_year"),
        *("cvc", "purchase_order_id", "changes", "lines", "items", "term_months", "form"),
        *("details", "region", "topic", "invoice_id", "frequency", "new_contact_email"),
        *("new_contact_name", "account_id", "discount_pct", "valid_days", "subscription_id"),
        "replaces",
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
    hostile_scalars
    | st.none()
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


STABLE_CODE = re.compile(r"[a-z][a-z0-9_]*")
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
        fuzz_route(client, cell, headers, [""])
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
            # A stable code beside the translated message.
            code = response.json.get("code")
            assert isinstance(code, str) and STABLE_CODE.fullmatch(code), (str(cell), response.json)
            if response.status_code in (429, 503):
                assert int(response.headers["Retry-After"]) > 0, (str(cell), response.headers)

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
