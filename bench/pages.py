"""Page latency at 20 concurrent users, beside a bare Flask page under the same gunicorn; and
the technician queue with 100 vs 10,000 pending requests.

    python -m bench.pages [--users 20] [--requests 400]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sqlalchemy as sa

from bench.common import (
    Browser,
    Stack,
    api,
    cpu_spent,
    free_port,
    stack,
    summary,
    table,
    token_for,
    write_results,
)
from portal import clock
from portal.devserver import wait_for_port
from portal.models import Account, BillingRequest, User

WORKERS, THREADS = 2, 8


def measure(browsers: list[Browser], path: str, requests: int, server: int) -> dict[str, float]:
    """Latency and pages/s of `requests` loads of `path` by the browsers at once, and the CPU
    time the server's processes spent per page."""
    timings: list[float] = []

    def one(index: int) -> None:
        started = time.perf_counter()
        status, _ = browsers[index % len(browsers)].get(path)
        timings.append(time.perf_counter() - started)
        assert status == 200, (path, status)

    cpu: dict[str, float] = {}
    started = time.perf_counter()
    with cpu_spent({"server": server}, cpu), ThreadPoolExecutor(len(browsers)) as pool:
        list(pool.map(one, range(requests)))
    elapsed = time.perf_counter() - started
    return {
        **summary(timings),
        "pages_per_s": round(requests / elapsed, 1),
        "server_cpu_ms_per_page": round(cpu["server"] * 1000 / requests, 1),
    }


def signed_in(base_url: str, email: str, count: int) -> list[Browser]:
    browsers = []
    for _ in range(count):
        browser = Browser(base_url)
        browser.sign_in(email)
        browsers.append(browser)
    return browsers


def add_pending(bench: Stack, count: int) -> None:
    """Pending requests straight into the read model (the queue page reads nothing else)."""
    with bench.database.session() as session:
        alice = session.scalar(sa.select(User).where(User.email == "alice@acme.example"))
        acme = session.scalar(sa.select(Account).where(Account.name == "Acme Corporation"))
        assert alice is not None and acme is not None
        now = clock.now()
        session.execute(
            sa.insert(BillingRequest),
            [
                {
                    "account_id": acme.id,
                    "requester_id": alice.id,
                    "type": "po_edit",
                    "status": "submitted",
                    "payload": {
                        "purchase_order_id": 1,
                        "changes": {"notes": "x"},
                        "reason": "bench",
                    },
                    "timeline": [],
                    "created_at": now,
                    "updated_at": now,
                }
                for _ in range(count)
            ],
        )


def bare_page(users: int, requests: int) -> dict[str, float]:
    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
            "--threads",
            str(THREADS),
            "--worker-class",
            "gthread",
            "bench.bare_web:app",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, timeout=30)
        browsers = [Browser(f"http://127.0.0.1:{port}") for _ in range(users)]
        return measure(browsers, "/", requests, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    results: dict[str, Any] = {"users": args.users, "requests_per_page": args.requests}
    with stack(web_workers=WORKERS, web_threads=THREADS) as bench:
        alice = token_for(bench.base_url, "alice@acme.example")
        _, orders = api(bench.base_url, "GET", "/api/v1/purchase-orders", alice)
        payload = {
            "purchase_order_id": orders["items"][0]["id"],
            "changes": {"notes": "b"},
            "reason": "bench",
        }
        _, created = api(
            bench.base_url,
            "POST",
            "/api/v1/requests",
            alice,
            {"type": "po_edit", "payload": payload},
        )
        web = bench.parts["portal web"]
        contacts = signed_in(bench.base_url, "alice@acme.example", args.users)
        technicians = signed_in(bench.base_url, "tess@logmein.example", args.users)
        pages: dict[str, Callable[[], dict[str, float]]] = {
            "contact dashboard /": lambda: measure(contacts, "/", args.requests, web),
            "request detail": lambda: measure(
                contacts, f"/requests/{created['id']}", args.requests, web
            ),
            "technician queue": lambda: measure(technicians, "/console/", args.requests, web),
        }
        results["pages"] = {name: run() for name, run in pages.items()}
        add_pending(bench, 100 - 1)
        results["queue_100"] = measure(technicians, "/console/", args.requests, web)
        add_pending(bench, 10_000 - 100)
        results["queue_10000"] = measure(technicians, "/console/", args.requests, web)
    results["bare_flask"] = bare_page(args.users, args.requests)
    results["queue_ratio_p95"] = round(
        results["queue_10000"]["p95_ms"] / results["queue_100"]["p95_ms"], 2
    )
    bare_rate = results["bare_flask"]["pages_per_s"]
    rows = [("page", "p50 ms", "p95 ms", "pages/s", "of bare", "server CPU ms/page")]
    for name, figures in {
        **results["pages"],
        "queue, 100 pending": results["queue_100"],
        "queue, 10,000 pending": results["queue_10000"],
        "bare Flask page (ceiling)": results["bare_flask"],
    }.items():
        rows.append(
            (
                name,
                str(figures["p50_ms"]),
                str(figures["p95_ms"]),
                str(figures["pages_per_s"]),
                f"{figures['pages_per_s'] / bare_rate:.2f}",
                str(figures["server_cpu_ms_per_page"]),
            )
        )
    print(table(rows))
    print(
        f"{args.users} concurrent users, {args.requests} requests per page; targets: p95 <= 100 ms,"
        " pages/s >= 0.4 of bare,"
    )
    print(f"queue p95 at 10,000 <= 1.5 x at 100: {results['queue_ratio_p95']}")
    print(f"written to {write_results('pages', results)}")


if __name__ == "__main__":
    main()
