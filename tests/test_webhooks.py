"""Webhooks for real: an endpoint on 127.0.0.1 receives signed deliveries of the account's
events from the worker's delivery workflows, a failing receiver is retried until it answers,
every attempt is listed, and a disabled endpoint gets nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from temporalio.exceptions import ApplicationError

from activities.webhooks import WebhookActivities
from portal.db import Database
from portal.errors import ValidationFailed
from portal.models import User, WebhookDelivery, WebhookEndpoint
from portal.webhooks.operations import check_url
from tests.conftest import WorkerThread
from tests.support import api_token, request_status, wait_for

ALICE = "alice@acme.example"


class Receiver:
    """A procurement system's endpoint: answers 500 to the first `failures` posts."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.answers: list[int] = []


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    state = Receiver(failures=1)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = 500 if len(state.answers) < state.failures else 200
            state.answers.append(status)
            if status == 200:
                state.received.append((dict(self.headers), body))
            self.send_response(status)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_port}/hooks"
    server.shutdown()
    server.server_close()


def verified(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a receiver does (the README's 15 lines): recompute the signature, compare."""
    parts = dict(item.split("=", 1) for item in headers["X-Portal-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(parts["v1"], expected.hexdigest())


def test_a_request_is_told_to_the_endpoint_signed_and_retried(
    client: FlaskClient, running: WorkerThread, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    alice = api_token(client, ALICE)
    made = client.post(
        "/api/v1/webhooks", json={"url": url, "events": ["request.updated"]}, headers=alice
    )
    assert made.status_code == 201, made.json
    secret, endpoint_id = made.json["secret"], made.json["id"]
    assert "secret" not in client.get("/api/v1/webhooks", headers=alice).json["items"][0]

    body = {"type": "account_inquiry", "payload": {"topic": "contract_copy", "message": "m"}}
    request_id = client.post("/api/v1/requests", json=body, headers=alice).json["id"]
    headers, raw = wait_for(lambda: state.received and state.received[0], timeout=30)
    assert verified(secret, headers, raw)
    assert not verified("another-secret", headers, raw)
    told = json.loads(raw)
    assert told["event"] == "request.updated" and headers["X-Portal-Event"] == "request.updated"
    assert told["data"] == {
        "id": request_id,
        "type": "account_inquiry",
        "status": "submitted",
        "version": told["data"]["version"],
    }
    assert headers["X-Portal-Delivery"] == told["id"]
    assert state.answers[:2] == [500, 200], "the failed attempt was retried"

    def first_delivery() -> dict[str, object]:
        listed = client.get(f"/api/v1/webhooks/{endpoint_id}/deliveries", headers=alice).json
        return dict(listed["items"][-1])

    # The receiver has its answer a moment before the worker records it: look as a user would,
    # again until it says delivered.
    first = wait_for(lambda: (found := first_delivery())["status"] == "delivered" and found)
    assert first["attempts"] == 2
    assert first["delivery"] == told["id"]


def test_a_disabled_endpoint_gets_nothing(
    client: FlaskClient, running: WorkerThread, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    alice = api_token(client, ALICE)
    endpoint = client.post(
        "/api/v1/webhooks", json={"url": url, "events": ["request.updated"]}, headers=alice
    ).json
    off = client.patch(f"/api/v1/webhooks/{endpoint['id']}", json={"enabled": False}, headers=alice)
    assert off.status_code == 200 and off.json["enabled"] is False
    body = {"type": "account_inquiry", "payload": {"topic": "contract_copy", "message": "m"}}
    assert client.post("/api/v1/requests", json=body, headers=alice).status_code == 202
    deliveries = client.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries", headers=alice)
    assert deliveries.json["items"] == [] and state.answers == []
    chloe = api_token(client, "chloe@globex.example")
    theirs = client.patch(
        f"/api/v1/webhooks/{endpoint['id']}", json={"enabled": True}, headers=chloe
    )
    assert theirs.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://127.0.0.1/x", "events": ["request.updated"]}, "url"),
        ({"url": "http://example.com/hooks", "events": ["request.updated"]}, "url"),
        ({"url": "http://127.0.0.1:9/x", "events": []}, "events"),
        ({"url": "http://127.0.0.1:9/x", "events": ["everything"]}, "events"),
        ({"url": 12, "events": ["request.updated"]}, "url"),
    ],
)
def test_a_bad_endpoint_is_a_400_naming_the_field(
    client: FlaskClient, running: WorkerThread, body: dict[str, Any], field: str
) -> None:
    refused = client.post("/api/v1/webhooks", json=body, headers=api_token(client, ALICE))
    assert refused.status_code == 400 and list(refused.json["fields"]) == [field]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hooks",
        "https://127.0.0.1/hooks",
        "https://localhost/hooks",
        "https://[::1]/x",
    ],
)
def test_outside_development_only_public_https_endpoints(url: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        check_url(url, development=False)
    assert list(refused.value.fields) == ["url"]


def test_an_invoice_and_its_payment_are_told(
    client: FlaskClient, running: WorkerThread, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    state.failures = 0
    peter = api_token(client, "peter@initech.example")
    events = ["invoice.created", "payment.succeeded"]
    made = client.post("/api/v1/webhooks", json={"url": url, "events": events}, headers=peter)
    assert made.status_code == 201, made.json
    business = next(
        item
        for item in client.get("/api/v1/subscriptions", headers=peter).json["items"]
        if item["plan"] == "GoToMeeting Business"
    )
    more = client.post(
        f"/api/v1/subscriptions/{business['id']}/change", json={"seats": 40}, headers=peter
    )
    assert more.status_code == 200, more.json
    wait_for(lambda: len(state.received) >= 2, timeout=30, what="two deliveries")
    told = sorted(json.loads(body)["event"] for _headers, body in state.received)
    assert told == ["invoice.created", "payment.succeeded"]


def test_a_name_that_now_resolves_inside_is_not_called(
    database: Database, demo: None, receiver: tuple[Receiver, str], monkeypatch: Any
) -> None:
    """DNS rebinding: an endpoint registered as a public https host whose name later resolves to
    the portal's own network. The delivery asks again and does not connect; the attempt says
    why."""
    state, url = receiver
    port = int(url.split(":")[2].split("/")[0])
    with database.session() as session:
        account_id = session.scalar(sa.select(User.account_id).where(User.email == ALICE))
        assert account_id is not None
        endpoint = WebhookEndpoint(
            account_id=account_id,
            url=f"https://hooks.example.com:{port}/hooks",
            events=["request.updated"],
            secret="s",
        )
        session.add(endpoint)
        session.flush()
        delivery = WebhookDelivery(
            endpoint_id=endpoint.id, delivery_key="k1", event="request.updated", payload={}
        )
        session.add(delivery)
        session.flush()
        delivery_id = delivery.id

    def resolves_to_loopback(host: str, port: int, *args: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolves_to_loopback)
    with pytest.raises(ApplicationError):
        WebhookActivities(database, development=False).deliver(delivery_id)
    with database.session() as session:
        attempt = session.get(WebhookDelivery, delivery_id)
        assert attempt is not None
        assert (attempt.status, attempt.attempts) == ("pending", 1)
        assert attempt.last_error == "the address is no longer allowed"
    assert state.answers == [], "nothing reached the address inside"


def test_subscription_changes_are_told_by_whoever_makes_them(
    client: FlaskClient,
    running: WorkerThread,
    database: Database,
    receiver: tuple[Receiver, str],
) -> None:
    """A Corporate cancellation is applied by the request's workflow, not by a page: the
    endpoint hears of it all the same, once, with the subscription as it now is."""
    state, url = receiver
    state.failures = 0
    alice = api_token(client, ALICE)
    made = client.post(
        "/api/v1/webhooks", json={"url": url, "events": ["subscription.updated"]}, headers=alice
    )
    assert made.status_code == 201, made.json
    held = client.get("/api/v1/subscriptions", headers=alice).json["items"]
    enterprise = next(item for item in held if item["plan"] == "GoToMeeting Enterprise")
    asked = client.post(
        f"/api/v1/subscriptions/{enterprise['id']}/cancel", json={"reason": "merger"}, headers=alice
    )
    assert asked.status_code == 202, asked.json
    assert state.received == [], "asking changes nothing yet"
    tess = api_token(client, "tess@logmein.example")
    for verb in ("claim", "approve"):
        done = client.post(f"/api/v1/tasks/{asked.json['id']}/{verb}", json={}, headers=tess)
        assert done.status_code == 200, done.json
    wait_for(lambda: request_status(database, asked.json["id"]) == "completed")
    headers, raw = wait_for(lambda: state.received and state.received[0], timeout=30)
    told = json.loads(raw)
    assert headers["X-Portal-Event"] == "subscription.updated"
    assert told["data"]["id"] == enterprise["id"]
    assert told["data"]["status"] == "pending_cancellation"
    assert told["data"]["plan"] == "GoToMeeting Enterprise"
    assert len(state.received) == 1
