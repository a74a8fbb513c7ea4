"""A click's request id reaches the workflow's activities' logs; metrics count what happened."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from portal.db import Database
from portal.observability.logs import JsonFormatter
from tests.conftest import METRICS_TOKEN, WorkerThread
from tests.support import api_token, request_status, wait_for


class JsonLines(logging.Handler):
    """Formats at emit time, in the emitting thread, as the production handler does."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def json_logs() -> Iterator[JsonLines]:
    handler = JsonLines()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler
    root.removeHandler(handler)
    root.setLevel(previous)


def test_request_ids_reach_activity_logs_and_metrics_count(
    client: FlaskClient, running: WorkerThread, database: Database, json_logs: JsonLines
) -> None:
    alice, tess = api_token(client, "alice@acme.example"), api_token(client, "tess@logmein.example")
    po = client.get("/api/v1/purchase-orders", headers=alice).json["items"][0]
    body = {
        "type": "po_edit",
        "payload": {"purchase_order_id": po["id"], "changes": {"notes": "x"}, "reason": "r"},
    }
    submitted = client.post(
        "/api/v1/requests", json=body, headers={**alice, "X-Request-ID": "trace-submit"}
    )
    assert submitted.headers["X-Request-ID"] == "trace-submit"
    request_id = submitted.json["id"]
    client.post(f"/api/v1/tasks/{request_id}/claim", json={}, headers=tess)
    approved = client.post(
        f"/api/v1/tasks/{request_id}/approve",
        json={},
        headers={**tess, "X-Request-ID": "trace-approve"},
    )
    assert approved.status_code == 200
    wait_for(lambda: request_status(database, request_id) == "completed", what="completion")

    def logged(message: str) -> list[dict[str, object]]:
        return [line for line in json_logs.lines if str(line["message"]).startswith(message)]

    assert {line.get("request_id") for line in logged("request submitted")} == {"trace-submit"}
    wait_for(lambda: logged("change applied"), what="the apply log")
    assert {line.get("request_id") for line in logged("change applied")} == {"trace-submit"}

    # A quote's approval runs an activity of its own: it carries the approving click's id.
    quote = {
        "type": "quote",
        "payload": {"items": [{"product": "GoToWebinar Pro", "seats": 2}], "term_months": 12},
    }
    quote_id = client.post("/api/v1/requests", json=quote, headers=alice).json["id"]
    client.post(f"/api/v1/tasks/{quote_id}/claim", json={}, headers=tess)
    priced = client.post(
        f"/api/v1/tasks/{quote_id}/approve",
        json={},
        headers={**tess, "X-Request-ID": "trace-price"},
    )
    assert priced.status_code == 200
    assert "trace-price" in {line.get("request_id") for line in logged("approval prepared")}

    unsafe = client.get("/healthz", headers={"X-Request-ID": "evil id <script>"})
    assert unsafe.headers["X-Request-ID"] != "evil id <script>"

    # Only the scraper reads the metrics: a bearer token, not a signed-in session.
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer guess"})
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"].startswith("Bearer")
    scraper = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    metrics = client.get("/metrics", headers=scraper).text
    assert (
        'portal_http_request_duration_seconds_count{method="POST",route="/api/v1/requests",status="202"}'
        in metrics
    )
    assert 'portal_requests_finished_total{status="completed",type="po_edit"}' in metrics
