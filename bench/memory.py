"""The worker's memory with 1,000 and with 5,000 open requests: each request a workflow waiting
for a technician, as most are in production. The worker keeps at most its cache of workflows in
memory (the others are replayed when they next move), so memory should not follow the count.

    python -m bench.memory [--first 1000] [--then 5000]
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import Stack, api, cpu_seconds, stack, table, token_for, write_results

TARGET = 1.5


def resident_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError("no VmRSS")


def settled(pid: int, quiet_for: float = 3.0) -> None:
    """Until the worker has done what it was given (its CPU time stops growing)."""
    last, quiet = cpu_seconds(pid), 0.0
    while quiet < quiet_for:
        time.sleep(1.0)
        now = cpu_seconds(pid)
        quiet = quiet + 1.0 if now - last < 0.02 else 0.0
        last = now


def open_requests(bench: Stack, token: str, count: int, start: int) -> None:
    def submit(index: int) -> None:
        body = {
            "type": "account_inquiry",
            "payload": {"topic": "contract_copy", "message": f"open request {index}"},
        }
        code, answer = api(bench.base_url, "POST", "/api/v1/requests", token, body)
        assert code == 202, answer

    with ThreadPoolExecutor(10) as pool:
        list(pool.map(submit, range(start, start + count)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--first", type=int, default=1000)
    parser.add_argument("--then", type=int, default=5000)
    args = parser.parse_args()
    with stack() as bench:
        alice = token_for(bench.base_url, "alice@acme.example")
        settled(bench.worker_pid)
        idle = resident_mib(bench.worker_pid)
        open_requests(bench, alice, args.first, 0)
        settled(bench.worker_pid)
        at_first = resident_mib(bench.worker_pid)
        open_requests(bench, alice, args.then - args.first, args.first)
        settled(bench.worker_pid)
        at_then = resident_mib(bench.worker_pid)
    ratio = round(at_then / at_first, 2)
    print(
        table(
            [
                ("open requests", "worker RSS MiB"),
                ("0", str(idle)),
                (str(args.first), str(at_first)),
                (str(args.then), str(at_then)),
            ]
        )
    )
    print(f"ratio {args.then} / {args.first}: {ratio} (target <= {TARGET})")
    path = write_results(
        "memory",
        {"idle_mib": idle, "first": [args.first, at_first], "then": [args.then, at_then]},
    )
    print(f"written to {path}")


if __name__ == "__main__":
    main()
