"""Prometheus metrics the worker records: requests by type and outcome (the web's own are in
portal/web/metrics.py)."""

from __future__ import annotations

from datetime import datetime

from prometheus_client import Counter, Histogram

from workflows.messages import RequestSnapshot

REQUESTS_FINISHED = Counter(
    "portal_requests_finished_total",
    "Billing requests that reached a final status",
    ["type", "status"],
)
REQUEST_DURATION = Histogram(
    "portal_request_lifetime_seconds",
    "From submission to a final status, by request type",
    ["type"],
    buckets=(1, 10, 60, 600, 3600, 8 * 3600, 86400, 7 * 86400, 30 * 86400),
)


def count_finished(request_type: str, snapshot: RequestSnapshot) -> None:
    REQUESTS_FINISHED.labels(request_type, snapshot.status).inc()
    if snapshot.timeline:
        started = datetime.fromisoformat(snapshot.timeline[0].at)
        finished = datetime.fromisoformat(snapshot.timeline[-1].at)
        REQUEST_DURATION.labels(request_type).observe(
            max(0.0, (finished - started).total_seconds())
        )
