"""What the benchmarks share: the whole stack on 127.0.0.1 (Temporal dev server, `portal worker`,
`portal web` under gunicorn), HTTP clients with cookies, percentiles and the results file."""

from __future__ import annotations

import http.cookiejar
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from portal import clock
from portal.db import Database
from portal.demo import DEMO_PASSWORD, DEMO_TOTP_SECRETS, demo_code, seed_demo
from portal.devserver import start_temporal, wait_for_port
from portal.migrate import upgrade

RESULTS = Path(__file__).parent / "results"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Stack:
    base_url: str
    temporal_address: str
    database_url: str
    database: Database
    data_dir: Path
    env: dict[str, str]
    worker_pid: int
    # The stack's processes by part, to tell where a run's CPU time went.
    parts: dict[str, int]


@contextmanager
def stack(
    web_workers: int = 2,
    web_threads: int = 8,
    worker_concurrency: int = 10,
    database_url: str | None = None,
) -> Iterator[Stack]:
    """The portal as it runs in production, on this machine, with the demo data (in SQLite
    unless a database is named)."""
    data_dir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    database_url = (
        database_url
        or os.environ.get("PORTAL_DATABASE_URL")
        or f"sqlite:///{data_dir / 'portal.db'}"
    )
    temporal_port, web_port = free_port(), free_port()
    temporal = start_temporal(temporal_port, None, None, data_dir / "temporal.log")
    upgrade(database_url)
    database = Database(database_url)
    with database.session() as session:
        seed_demo(session)
    env = {
        **os.environ,
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_DATA_DIR": str(data_dir),
        "PORTAL_TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
        "PORTAL_SECRET_KEY": "benchmark-only",
        "PORTAL_BASE_URL": f"http://127.0.0.1:{web_port}",
    }
    cli = [sys.executable, "-m", "portal.cli"]
    logs = (data_dir / "worker.log").open("w"), (data_dir / "web.log").open("w")
    worker = subprocess.Popen(  # noqa: S603
        [*cli, "worker", "--concurrency", str(worker_concurrency)],
        env=env,
        stdout=logs[0],
        stderr=subprocess.STDOUT,
    )
    web = subprocess.Popen(  # noqa: S603
        [
            *cli,
            "web",
            "--port",
            str(web_port),
            "--workers",
            str(web_workers),
            "--threads",
            str(web_threads),
        ],
        env=env,
        stdout=logs[1],
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(web_port, timeout=60)
        yield Stack(
            f"http://127.0.0.1:{web_port}",
            f"127.0.0.1:{temporal_port}",
            database_url,
            database,
            data_dir,
            env,
            worker.pid,
            {"Temporal server": temporal.pid, "portal web": web.pid, "portal worker": worker.pid},
        )
    finally:
        for process in (web, worker, temporal):
            process.terminate()
        for process in (web, worker, temporal):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        database.dispose()


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of one process."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process, its living descendants and the children it has reaped."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(_stat(int(entry.name))[1])
            except (OSError, IndexError):
                continue
    tree, grew = {pid}, True
    while grew:
        found = {child for child, parent in parents.items() if parent in tree} - tree
        tree |= found
        grew = bool(found)
    total = 0.0
    for member in tree:
        try:
            fields = _stat(member)
        except OSError:
            continue
        total += sum(int(field) for field in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return total


@contextmanager
def cpu_spent(parts: dict[str, int], into: dict[str, float]) -> Iterator[None]:
    """Fills `into` with the CPU seconds each part (and this process, the load) spent in the
    block: where a run's time went, on a machine whose cores they all share."""
    before = {name: tree_cpu_seconds(pid) for name, pid in parts.items()}
    load = time.process_time()
    yield
    for name, pid in parts.items():
        into[name] = round(tree_cpu_seconds(pid) - before[name], 2)
    into["load generator (this process)"] = round(time.process_time() - load, 2)


def fresh_postgres(url: str) -> str:
    """`url`'s database dropped and made again, empty (a benchmark's own, never the tests')."""
    name = sa.engine.make_url(url).database
    assert name and name not in ("test", "postgres"), name
    server = sa.create_engine(sa.engine.make_url(url).set(database="postgres"))
    with server.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    server.dispose()
    return url


class Browser:
    """One signed-in user: a cookie jar and the page's CSRF token, like a browser tab."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> tuple[int, str]:
        with self.opener.open(self.base_url + path, timeout=30) as response:
            return response.status, response.read().decode()

    def sign_in(self, email: str) -> None:
        _, page = self.get("/login")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert token, "no CSRF token on the sign-in page"
        data = urllib.parse.urlencode(
            {"email": email, "password": DEMO_PASSWORD, "csrf_token": token.group(1)}
        )
        with self.opener.open(self.base_url + "/login", data=data.encode(), timeout=30) as response:
            assert response.status == 200
            landed = response.url
        if landed.endswith("/login/code"):  # staff: the demo's published key answers
            _, page = self.get("/login/code")
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
            assert token, "no CSRF token on the code page"
            data = urllib.parse.urlencode({"code": demo_code(email), "csrf_token": token.group(1)})
            with self.opener.open(
                self.base_url + "/login/code", data=data.encode(), timeout=30
            ) as response:
                assert response.status == 200 and not response.url.endswith("/login/code")


def api(
    base_url: str, method: str, path: str, token: str | None = None, body: Any = None
) -> tuple[int, Any]:
    request = urllib.request.Request(  # noqa: S310 - 127.0.0.1 only
        base_url + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def token_for(base_url: str, email: str) -> str:
    body: dict[str, str] = {"email": email, "password": DEMO_PASSWORD}
    if email in DEMO_TOTP_SECRETS:
        body["code"] = demo_code(email)
    status, answer = api(base_url, "POST", "/api/v1/tokens", body=body)
    assert status == 201, answer
    return str(answer["token"])


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def summary(values: Sequence[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values, 0.50) * 1000, 1),
        "p95_ms": round(percentile(values, 0.95) * 1000, 1),
        "mean_ms": round(statistics.fmean(values) * 1000, 1) if values else float("nan"),
        "n": len(values),
    }


def machine() -> dict[str, Any]:
    return {
        "date": clock.now().isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
        "python": platform.python_version(),
        "database": "postgresql"
        if os.environ.get("PORTAL_DATABASE_URL", "").startswith("postgresql")
        else "sqlite",
    }


def write_results(name: str, results: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({**machine(), **results}, indent=2))
    return path


def table(rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = [
        " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(lines)


def wait_until(predicate: Any, timeout: float, interval: float = 0.02) -> float:
    """Seconds until `predicate()` held (or the timeout), polled every `interval`."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if predicate():
            return time.perf_counter() - started
        time.sleep(interval)
    raise TimeoutError("condition not reached")
