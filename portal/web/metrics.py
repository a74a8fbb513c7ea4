"""Route latency and the request id of every web request, and the `/metrics` page.

Several gunicorn workers share one registry through prometheus_client's multiprocess mode:
`portal web` sets PROMETHEUS_MULTIPROC_DIR before anything imports prometheus_client.
"""

from __future__ import annotations

import hmac
import os
import time
import uuid

from flask import Flask, Response, abort, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)

from portal.web.extensions import settings_of
from workflows.correlation import request_id

ROUTE_LATENCY = Histogram(
    "portal_http_request_duration_seconds",
    "Time to answer a web or API request, by route",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


def _valid_request_id(value: str | None) -> str:
    """Keep a caller's id only when it is short and plain: it ends up in every log line."""
    if value and len(value) <= 64 and all(c.isalnum() or c in "-_." for c in value):
        return value
    return uuid.uuid4().hex


def init_app(app: Flask) -> None:
    @app.before_request
    def _start() -> None:
        g.request_started = time.perf_counter()
        g.request_id = _valid_request_id(request.headers.get("X-Request-ID"))
        g.request_id_token = request_id.set(g.request_id)

    @app.after_request
    def _finish(response: Response) -> Response:
        started = g.pop("request_started", None)
        if started is not None:
            route = request.url_rule.rule if request.url_rule else "unmatched"
            ROUTE_LATENCY.labels(request.method, route, str(response.status_code)).observe(
                time.perf_counter() - started
            )
        if "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
        return response

    @app.teardown_request
    def _forget(_error: BaseException | None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            request_id.reset(token)

    @app.get("/metrics")
    def metrics() -> Response:
        # Route names and volumes tell an attacker much: only the scraper reads them.
        expected = settings_of(app).metrics_token
        if not expected:
            abort(404)
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return Response(
                "A bearer token is required.\n",
                status=401,
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
                mimetype="text/plain",
            )
        registry = None
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return Response(
            generate_latest(registry) if registry else generate_latest(),
            mimetype=CONTENT_TYPE_LATEST,
        )
