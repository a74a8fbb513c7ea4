"""Lifecycles/s of PO-edit requests through the real stack, beside the bare-Temporal ceiling.

    python -m bench.lifecycle [--requests 200] [--concurrency 10]

Each client thread: submit (API) → claim → approve (a technician) → wait for `completed` in the
read model. The ceiling runs the same shape on the same Temporal server with nothing else.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sqlalchemy as sa
from temporalio.client import Client
from temporalio.worker import Worker

from bench.bare import BareLifecycle, noop
from bench.common import (
    Stack,
    api,
    cpu_spent,
    fresh_postgres,
    stack,
    summary,
    table,
    token_for,
    wait_until,
    write_results,
)
from portal.models import BillingRequest


def portal_run(bench: Stack, requests: int, concurrency: int) -> dict[str, Any]:
    alice, tess = (
        token_for(bench.base_url, "alice@acme.example"),
        token_for(bench.base_url, "tess@logmein.example"),
    )
    _, orders = api(bench.base_url, "GET", "/api/v1/purchase-orders", alice)
    submits: list[float] = []
    completions: list[float] = []

    def status(request_id: int) -> str | None:
        with bench.database.session() as session:
            return session.scalar(
                sa.select(BillingRequest.status).where(BillingRequest.id == request_id)
            )

    def lifecycle(index: int) -> None:
        po = orders["items"][index % len(orders["items"])]
        payload = {
            "purchase_order_id": po["id"],
            "changes": {"notes": f"bench {index}"},
            "reason": "benchmark",
        }
        started = time.perf_counter()
        code, body = api(
            bench.base_url,
            "POST",
            "/api/v1/requests",
            alice,
            {"type": "po_edit", "payload": payload},
        )
        submits.append(time.perf_counter() - started)
        assert code == 202, body
        request_id = body["id"]
        assert api(bench.base_url, "POST", f"/api/v1/tasks/{request_id}/claim", tess, {})[0] == 200
        code, body = api(bench.base_url, "POST", f"/api/v1/tasks/{request_id}/approve", tess, {})
        assert code == 200, body
        completions.append(wait_until(lambda: status(request_id) == "completed", timeout=120))

    cpu: dict[str, float] = {}
    started = time.perf_counter()
    with cpu_spent(bench.parts, cpu), ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lifecycle, range(requests)))
    elapsed = time.perf_counter() - started
    return {
        "lifecycles_per_s": round(requests / elapsed, 1),
        "submit": summary(submits),
        "approve_to_completed": summary(completions),
        "cpu_ms_per_lifecycle": per_lifecycle(cpu, requests),
        "cores_busy": round(sum(cpu.values()) / elapsed, 2),
    }


def per_lifecycle(cpu: dict[str, float], requests: int) -> dict[str, float]:
    return {part: round(seconds * 1000 / requests, 1) for part, seconds in cpu.items()}


async def bare_run(
    address: str, temporal_pid: int, requests: int, concurrency: int
) -> dict[str, Any]:
    client = await Client.connect(address)
    queue = f"bare-{uuid.uuid4().hex[:6]}"
    completions: list[float] = []
    gate = asyncio.Semaphore(concurrency)

    async def lifecycle(index: int) -> None:
        async with gate:
            handle = await client.start_workflow(
                BareLifecycle.run, id=f"{queue}-{index}", task_queue=queue
            )
            await handle.execute_update(BareLifecycle.approve)
            approved = time.perf_counter()
            await handle.result()
            completions.append(time.perf_counter() - approved)

    from concurrent.futures import ThreadPoolExecutor as Pool

    async with Worker(
        client,
        task_queue=queue,
        workflows=[BareLifecycle],
        activities=[noop],
        activity_executor=Pool(concurrency),
        max_concurrent_activities=concurrency,
    ):
        cpu: dict[str, float] = {}
        started = time.perf_counter()
        with cpu_spent({"Temporal server": temporal_pid}, cpu):
            await asyncio.gather(*(lifecycle(index) for index in range(requests)))
        elapsed = time.perf_counter() - started
    cpu["worker and load (this process)"] = cpu.pop("load generator (this process)")
    return {
        "lifecycles_per_s": round(requests / elapsed, 1),
        "approve_to_completed": summary(completions),
        "cpu_ms_per_lifecycle": per_lifecycle(cpu, requests),
        "cores_busy": round(sum(cpu.values()) / elapsed, 2),
    }


def cpu_table(runs: dict[str, dict[str, Any]]) -> str:
    """Where each run's CPU went, per lifecycle: with every part sharing the machine's cores,
    the sum bounds the rate (cores * 1000 / ms per lifecycle)."""
    parts = list(
        dict.fromkeys(part for run in runs.values() for part in run["cpu_ms_per_lifecycle"])
    )
    rows = [("CPU ms per lifecycle", *runs)]
    for part in parts:
        rows.append(
            (part, *(str(run["cpu_ms_per_lifecycle"].get(part, "-")) for run in runs.values()))
        )
    totals = [sum(run["cpu_ms_per_lifecycle"].values()) for run in runs.values()]
    rows.append(("total", *(f"{total:.1f}" for total in totals)))
    rows.append(("cores busy", *(str(run["cores_busy"]) for run in runs.values())))
    cores = os.cpu_count() or 1
    rows.append(
        (
            f"bound on {cores} cores (lifecycles/s)",
            *(f"{cores * 1000 / total:.1f}" for total in totals),
        )
    )
    return table(rows)


def latency(figures: dict[str, float]) -> str:
    return f"{figures['p50_ms']} / {figures['p95_ms']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument(
        "--postgres",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench",
        help="a database to create afresh for the PostgreSQL run ('' to skip it)",
    )
    args = parser.parse_args()
    runs: dict[str, dict[str, Any]] = {}
    with stack(worker_concurrency=args.concurrency) as bench:
        runs["SQLite"] = portal_run(bench, args.requests, args.concurrency)
        bare = asyncio.run(
            bare_run(
                bench.temporal_address,
                bench.parts["Temporal server"],
                args.requests,
                args.concurrency,
            )
        )
    if args.postgres:
        with stack(
            worker_concurrency=args.concurrency, database_url=fresh_postgres(args.postgres)
        ) as bench:
            runs["PostgreSQL"] = portal_run(bench, args.requests, args.concurrency)
    rows = [
        ("run", "lifecycles/s", "of ceiling", "submit p50/p95 ms", "approve→completed p50/p95 ms")
    ]
    for name, portal in runs.items():
        ratio = round(portal["lifecycles_per_s"] / bare["lifecycles_per_s"], 2)
        portal["ratio"] = ratio
        rows.append(
            (
                f"portal, {name}",
                str(portal["lifecycles_per_s"]),
                str(ratio),
                latency(portal["submit"]),
                latency(portal["approve_to_completed"]),
            )
        )
    rows.append(
        (
            "bare Temporal (ceiling)",
            str(bare["lifecycles_per_s"]),
            "1",
            "-",
            latency(bare["approve_to_completed"]),
        )
    )
    print(table(rows))
    print("targets: >= 0.6 of the ceiling; approve→completed p95 <= 250 ms")
    print(f"{args.requests} requests, {args.concurrency} concurrent clients")
    print()
    print(cpu_table({**{f"portal, {name}": run for name, run in runs.items()}, "bare": bare}))
    path = write_results(
        "lifecycle",
        {
            "requests": args.requests,
            "concurrency": args.concurrency,
            "portal": runs,
            "ceiling": bare,
        },
    )
    print(f"written to {path}")


if __name__ == "__main__":
    main()
